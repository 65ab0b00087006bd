"""Hostile files, one corpus for every way in: the import page's preview, its import,
and the import_articles command. Each file gets the same verdict everywhere (the same
status and the same message) and leaves the database as it was."""

import io
import json
import threading
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.urls import reverse

from annotate import datasets
from annotate.formats.records import ArticleRecord, LayerRecord, SpanRecord, UnitRecord
from annotate.forms import NO_FILE
from annotate.models import ArgumentUnit, Article, Change, Label, Layer, Project, Relation

TEXT = "Cities should ban cars. Traffic kills."
CLAIM = {"id": "T1", "label": "Claim", "spans": [[0, 22]], "text": ["Cities should ban cars"]}
PREMISE = {"id": "T2", "label": "Premise", "spans": [[24, 38]], "text": ["Traffic kills."]}


def line(**fields) -> dict:
    return {"title": "Ban cars", "text": TEXT, **fields}


def layer(units=(), relations=(), owner="ann_annotator", **fields) -> dict:
    return {"owner": owner, "units": list(units), "relations": list(relations), **fields}


def jsonl_file(*lines: dict | str) -> bytes:
    return "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in lines).encode()


def zip_file(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def brat(ann: str, text: str = TEXT, name: str = "op-ed") -> bytes:
    return zip_file({f"gold/{name}.txt": text, f"gold/{name}.ann": ann})


def html_page(body: str, title: str = "Ban cars") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


ARTICLE_BODY = (
    "<article><p>" + "Cities should ban cars from their centres, because traffic kills. " * 3 + "</p></article>"
)
NEW_LABELS = [
    {"id": f"T{n}", "label": f"Kind{n}", "spans": [[n, n + 1]], "text": [TEXT[n]]} for n in range(30) if TEXT[n] != " "
]
RELATION = {"id": "R1", "type": "supports", "source": "T2", "target": "T1"}
# 21 Claims with a stance of their own each: Claim would allow 23 values.
MANY_STANCES = [
    {"id": f"T{n}", "label": "Claim", "spans": [[0, n + 2]], "text": [TEXT[: n + 2]], "attributes": {"stance": f"s{n}"}}
    for n in range(21)
]
ELEVEN = {f"a{n}": "x" for n in range(11)}

# (file name, content, form options, the one problem every entry point reports, or a
# tuple of them when one is the consequence of another)
CASES = [
    # Plain text and Markdown
    ("empty.txt", b"", {}, "empty.txt: the file holds no article text"),
    ("blank.txt", b"  \n\t \n\n", {}, "blank.txt: the file holds no article text"),
    ("bom.txt", b"\xef\xbb\xbf", {}, "bom.txt: the file holds no article text"),
    ("latin-1.txt", b"Caf\xe9\n\nAu lait.", {}, "latin-1.txt line 1: not valid UTF-8 (byte 0xe9)"),
    ("garbage.txt", bytes(range(256)) * 8, {}, "garbage.txt line 2: not valid UTF-8 (byte 0x80)"),
    ("utf-16.txt", "Ban cars\n\nNow.".encode("utf-16"), {}, "utf-16.txt line 1: not valid UTF-8 (byte 0xff)"),
    (
        "long-title.txt",
        ("T" * 501 + "\n\nBody.").encode(),
        {},
        "long-title.txt: the title has 501 characters, more than the 500 it may have",
    ),
    (
        "long-heading.md",
        ("# " + "H" * 600 + "\n\nBody.").encode(),
        {},
        "long-heading.md: the title has 600 characters, more than the 500 it may have",
    ),
    (
        "nul-text.txt",
        b"Ban cars\n\nCities \x00 should.",
        {},
        "nul-text.txt: the text holds a NUL character (\\u0000), which cannot be stored",
    ),
    (
        "nul-title.txt",
        b"Ban\x00cars\n\nCities should.",
        {},
        "nul-title.txt: the title holds a NUL character (\\u0000), which cannot be stored",
    ),
    (
        "README",
        b"Ban cars\n\nBody.",
        {},
        "README: no import format reads files without an extension (known: .jsonl, .zip, .html, .htm, .txt, .md)",
    ),
    (
        "op-ed.docx",
        b"PK\x03\x04",
        {},
        "op-ed.docx: no import format reads .docx (known: .jsonl, .zip, .html, .htm, .txt, .md)",
    ),
    # JSON Lines: syntax
    ("empty.jsonl", b"", {}, "empty.jsonl: the file holds no articles"),
    ("blank.jsonl", b"\xef\xbb\xbf\n  \n\n", {}, "blank.jsonl: the file holds no articles"),
    (
        "cut.jsonl",
        b'{"title": "x", "text": "y"\n',
        {},
        "cut.jsonl line 1: not valid JSON (Expecting ',' delimiter at column 27)",
    ),
    ("list.jsonl", jsonl_file([1, 2]), {}, "list.jsonl line 1: the line must be a JSON object"),
    ("string.jsonl", jsonl_file('"just a string"'), {}, "string.jsonl line 1: the line must be a JSON object"),
    ("second-line.jsonl", jsonl_file(line(), "[]"), {}, "second-line.jsonl line 2: the line must be a JSON object"),
    (
        "bad-utf8.jsonl",
        b'{"title": "caf\xe9", "text": "x"}\n',
        {},
        "bad-utf8.jsonl line 1: not valid UTF-8 (byte 0xe9)",
    ),
    (
        "deep.jsonl",
        b"[" * 100_000 + b"\n",
        {},
        "deep.jsonl line 1: arrays and objects nest 100,000 deep, more than the 32 levels an import reads",
    ),
    (
        "deep-metadata.jsonl",
        jsonl_file(line(metadata=json.loads('{"a":' * 40 + "1" + "}" * 40))),
        {},
        "deep-metadata.jsonl line 1: arrays and objects nest 41 deep, more than the 32 levels an import reads",
    ),
    (
        "nan.jsonl",
        b'{"title": "t", "text": "x", "metadata": {"score": NaN}}\n',
        {},
        "nan.jsonl line 1: not valid JSON (NaN is not a number JSON allows)",
    ),
    (
        "huge-number.jsonl",
        jsonl_file('{"title": "t", "text": "x", "metadata": {"n": ' + "9" * 5000 + "}}"),
        {},
        "huge-number.jsonl line 1: not valid JSON (a whole number of 5,000 digits, more than 20)",
    ),
    (
        "big-number.jsonl",
        jsonl_file(line(metadata={"n": 2**64})),
        {},
        "big-number.jsonl line 1: metadata.n is a whole number larger than 9,223,372,036,854,775,807",
    ),
    # JSON Lines: types and fields
    (
        "title-number.jsonl",
        jsonl_file(line(title=5)),
        {},
        "title-number.jsonl line 1: article: “title” must be a string",
    ),
    ("no-text.jsonl", jsonl_file({"title": "t"}), {}, "no-text.jsonl line 1: article: missing field “text”"),
    ("empty-text.jsonl", jsonl_file(line(text="")), {}, "empty-text.jsonl line 1: article: “text” must not be empty"),
    ("space-text.jsonl", jsonl_file(line(text=" \n ")), {}, "Article 1 (“Ban cars”) has no text."),
    (
        "unknown-field.jsonl",
        jsonl_file(line(colour="red")),
        {},
        "unknown-field.jsonl line 1: the line: unknown field “colour”",
    ),
    (
        "layers-object.jsonl",
        jsonl_file(line(layers={"owner": "gold"})),
        {},
        "layers-object.jsonl line 1: article: “layers” must be a list",
    ),
    (
        "units-string.jsonl",
        jsonl_file(line(layers=[layer(units="T1")])),
        {},
        "units-string.jsonl line 1: layer ann_annotator: a unit must be a JSON object",
    ),
    (
        "metadata-list.jsonl",
        jsonl_file(line(metadata=[1])),
        {},
        "metadata-list.jsonl line 1: article: “metadata” must be an object",
    ),
    (
        "bad-date.jsonl",
        jsonl_file(line(published="yesterday")),
        {},
        "bad-date.jsonl line 1: article: “published” must be a date like 2024-05-01, not “yesterday”",
    ),
    (
        "bad-status.jsonl",
        jsonl_file(line(layers=[layer(status="done")])),
        {},
        "bad-status.jsonl line 1: layer ann_annotator: “status” must be one of "
        "not_started, in_progress, finished, not “done”",
    ),
    (
        "bad-stance.jsonl",
        jsonl_file(line(layers=[layer(document_stance="Maybe")])),
        {},
        "bad-stance.jsonl line 1: layer ann_annotator: “document_stance” must be empty or "
        "one of For, Against, Neutral, not “Maybe”",
    ),
    # JSON Lines: lengths, NUL and surrogates
    (
        "long-title.jsonl",
        jsonl_file(line(title="T" * 501)),
        {},
        "long-title.jsonl line 1: the title has 501 characters, more than the 500 it may have",
    ),
    (
        "long-author.jsonl",
        jsonl_file(line(author="A" * 201)),
        {},
        "long-author.jsonl line 1: the author has 201 characters, more than the 200 it may have",
    ),
    (
        "long-outlet.jsonl",
        jsonl_file(line(outlet="O" * 201)),
        {},
        "long-outlet.jsonl line 1: the outlet has 201 characters, more than the 200 it may have",
    ),
    (
        "long-url.jsonl",
        jsonl_file(line(url="https://example.org/" + "u" * 1000)),
        {},
        "long-url.jsonl line 1: the URL has 1,020 characters, more than the 1,000 it may have",
    ),
    (
        "nul-text.jsonl",
        jsonl_file(line(text="Cities\u0000ban")),
        {},
        "nul-text.jsonl line 1: the text holds a NUL character (\\u0000), which cannot be stored",
    ),
    (
        "nul-title.jsonl",
        jsonl_file(line(title="Ban\u0000")),
        {},
        "nul-title.jsonl line 1: the title holds a NUL character (\\u0000), which cannot be stored",
    ),
    (
        "nul-note.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "note": "a\u0000"}])])),
        {},
        "nul-note.jsonl line 1: layer ann_annotator, unit T1: the note holds a NUL character (\\u0000), "
        "which cannot be stored",
    ),
    (
        "surrogate-text.jsonl",
        b'{"title": "t", "text": "a\\ud800b"}\n',
        {},
        "surrogate-text.jsonl line 1: text holds a lone surrogate (\\ud800), which is half of a character",
    ),
    (
        "surrogate-key.jsonl",
        b'{"title": "t", "text": "ab", "metadata": {"\\udfff": 1}}\n',
        {},
        "surrogate-key.jsonl line 1: a key of metadata holds a lone surrogate (\\udfff), which is half of a character",
    ),
    (
        "surrogate-owner.jsonl",
        b'{"title": "t", "text": "ab", "layers": [{"owner": "\\ud800"}]}\n',
        {},
        "surrogate-owner.jsonl line 1: layers[0].owner holds a lone surrogate (\\ud800), which is half of a character",
    ),
    # JSON Lines: offsets and spans
    (
        "past-end.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[0, 99]]}])])),
        {},
        "past-end.jsonl line 1: layer ann_annotator, unit T1: offsets 0–99 lie past "
        "the end of the text (38 characters)",
    ),
    (
        "negative.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[-3, 5]]}])])),
        {},
        "negative.jsonl line 1: layer ann_annotator, unit T1: offsets -3–5 lie before the start of the text",
    ),
    (
        "reversed.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[22, 0]]}])])),
        {},
        "reversed.jsonl line 1: layer ann_annotator, unit T1: offsets 22–0 do not make a "
        "span (the start must come before the end)",
    ),
    (
        "float.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[0.5, 22]]}])])),
        {},
        "float.jsonl line 1: layer ann_annotator, unit T1: span 1 must be a pair of whole numbers [start, end]",
    ),
    (
        "string-offset.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [["0", "22"]]}])])),
        {},
        "string-offset.jsonl line 1: layer ann_annotator, unit T1: span 1 must be a pair of whole numbers [start, end]",
    ),
    (
        "true-offset.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[True, 22]]}])])),
        {},
        "true-offset.jsonl line 1: layer ann_annotator, unit T1: span 1 must be a pair of whole numbers [start, end]",
    ),
    (
        "huge-offset.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[0, 10**18]]}])])),
        {},
        "huge-offset.jsonl line 1: layer ann_annotator, unit T1: offsets "
        "0–1000000000000000000 lie past the end of the text (38 characters)",
    ),
    (
        "no-spans.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [], "text": []}])])),
        {},
        "no-spans.jsonl line 1: layer ann_annotator, unit T1: a unit needs at least one span",
    ),
    (
        "white-space.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "spans": [[23, 24]], "text": [" "]}])])),
        {},
        "white-space.jsonl line 1: layer ann_annotator, unit T1: offsets 23–24 hold only white space",
    ),
    (
        "mismatch.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "text": ["Cities should ban bikes"]}])])),
        {},
        "mismatch.jsonl line 1: layer ann_annotator, unit T1: the quoted text “Cities should ban bikes” "
        "does not match the text at 0–22 (“Cities should ban cars”)",
    ),
    (
        "attribute-number.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "attributes": {"stance": 1}}])])),
        {},
        "attribute-number.jsonl line 1: layer ann_annotator, unit T1: attribute “stance” must have a string value",
    ),
    # JSON Lines: ids, relations, owners, scheme
    (
        "same-unit-id.jsonl",
        jsonl_file(line(layers=[layer(units=[CLAIM, {**PREMISE, "id": "T1"}])])),
        {},
        "same-unit-id.jsonl line 1: layer ann_annotator: two units have the id T1",
    ),
    (
        "same-relation-id.jsonl",
        jsonl_file(
            line(
                layers=[
                    layer(units=[CLAIM, PREMISE], relations=[RELATION, {**RELATION, "source": "T1", "target": "T2"}])
                ]
            )
        ),
        {},
        "same-relation-id.jsonl line 1: layer ann_annotator: two relations have the id R1",
    ),
    (
        "missing-unit.jsonl",
        jsonl_file(line(layers=[layer(units=[CLAIM], relations=[RELATION])])),
        {},
        "missing-unit.jsonl line 1: layer ann_annotator, relation R1: its source T2 is not a unit of this layer",
    ),
    (
        "self-link.jsonl",
        jsonl_file(line(layers=[layer(units=[CLAIM], relations=[{**RELATION, "source": "T1"}])])),
        {},
        "self-link.jsonl line 1: layer ann_annotator, relation R1: it links T1 to itself",
    ),
    (
        "two-layers.jsonl",
        jsonl_file(line(layers=[layer(), layer()])),
        {},
        "two-layers.jsonl line 1: two layers belong to ann_annotator",
    ),
    (
        "stranger.jsonl",
        jsonl_file(line(layers=[layer(owner="mallory")])),
        {},
        "Article 1 (“Ban cars”), layer mallory: “mallory” is not an annotator of this "
        "project (add them on the Members page first).",
    ),
    (
        "same-text.jsonl",
        jsonl_file(line(), line(title="Again")),
        {},
        "Article 2 (“Again”) repeats the text of an earlier article in this file.",
    ),
    (
        "unknown-label.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "label": "Thesis"}])])),
        {},
        "Article 1 (“Ban cars”), layer ann_annotator: unit T1: the label “Thesis” is not in the project's scheme.",
    ),
    (
        "unknown-type.jsonl",
        jsonl_file(line(layers=[layer(units=[CLAIM, PREMISE], relations=[{**RELATION, "type": "rebuts"}])])),
        {},
        "Article 1 (“Ban cars”), layer ann_annotator: relation R1: the type “rebuts” is not in the project's scheme.",
    ),
    (
        "long-label.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "label": "L" * 61}])])),
        {"unknown": "add"},
        "long-label.jsonl line 1: layer ann_annotator, unit T1: the label has 61 "
        "characters, more than the 60 it may have",
    ),
    (
        "long-type.jsonl",
        jsonl_file(line(layers=[layer(units=[CLAIM, PREMISE], relations=[{**RELATION, "type": "r" * 61}])])),
        {"unknown": "add"},
        "long-type.jsonl line 1: layer ann_annotator, relation R1: the type has 61 "
        "characters, more than the 60 it may have",
    ),
    (
        "many-labels.jsonl",
        jsonl_file(line(layers=[layer(units=NEW_LABELS)])),
        {"unknown": "add"},
        "The scheme has no keyboard key left for 6 more new labels (“Kind24”, “Kind25”, “Kind26”, “Kind27”, "
        "“Kind28”, …): the first 20 new labels took the last free ones. Each label and relation type needs a key of "
        "its own, a letter or digit that is not a workspace command (l, e, 1–9). Add fewer, or remove some from the "
        "scheme first.",
    ),
    (
        "refused-label-and-its-relation.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "label": "Thesis"}, PREMISE], relations=[RELATION])])),
        {},
        (
            "Article 1 (“Ban cars”), layer ann_annotator: unit T1: the label “Thesis” is not in the project's scheme.",
            "Article 1 (“Ban cars”), layer ann_annotator: relation R1 depends on unit T1, which is refused above.",
        ),
    ),
    # Bounds on what one import may add to a project
    (
        "many-values.jsonl",
        jsonl_file(line(layers=[layer(units=MANY_STANCES)])),
        {"unknown": "add"},
        "With this import's attributes, the label “Claim” breaks a bound: “stance” may have at most 20 values, not 23.",
    ),
    (
        "many-attributes.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "label": "Aside", "attributes": ELEVEN}])])),
        {"unknown": "add"},
        "With this import's attributes, the label “Aside” breaks a bound: A label may have at most 10 attributes, "
        "not 11.",
    ),
    (
        "long-value.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "attributes": {"stance": "v" * 61}}])])),
        {"unknown": "add"},
        f"With this import's attributes, the label “Claim” breaks a bound: “{'v' * 60}…” has 61 characters: an "
        "attribute's name and each of its values need 1 to 60.",
    ),
    (
        "long-note.jsonl",
        jsonl_file(line(layers=[layer(units=[{**CLAIM, "note": "n" * 2001}])])),
        {},
        "long-note.jsonl line 1: layer ann_annotator, unit T1: the note has 2,001 characters, more than the 2,000 it "
        "may have",
    ),
    (
        "big-metadata.jsonl",
        jsonl_file(line(metadata={"tags": ["opinion"] * 2000})),
        {},
        "big-metadata.jsonl line 1: the metadata take 20,010 bytes as JSON, more than the 16,384 they may",
    ),
    # Web pages
    ("empty.html", b"", {}, "empty.html: no article text found in the page"),
    ("nav.html", b"<nav>menu</nav>", {}, "nav.html: no article text found in the page"),
    ("script.html", b"<html><script>alert('x')</script></html>", {}, "script.html: no article text found in the page"),
    (
        "style.html",
        b"<html><head><style>p{}</style></head></html>",
        {},
        "style.html: no article text found in the page",
    ),
    (
        "chrome.html",
        html_page("<nav><a href='/'>Home</a></nav><aside>Ads</aside><footer>(c) 2026</footer>"),
        {},
        "chrome.html: no article text found in the page",
    ),
    (
        "long-title.html",
        html_page(ARTICLE_BODY, title="T" * 800),
        {},
        "long-title.html: the title has 800 characters, more than the 500 it may have",
    ),
    # brat zips
    ("not-a-zip.zip", b"PK\x03\x04 not really", {}, "not-a-zip.zip: not a zip file"),
    ("text.zip", b"Ban cars\n\nNow.", {}, "text.zip: not a zip file"),
    (
        "climbing.zip",
        zip_file({"../x.ann": "", "../x.txt": TEXT}),
        {},
        "climbing.zip: the entry ../x.ann has an unsafe path",
    ),
    (
        "absolute.zip",
        zip_file({"/etc/x.ann": "", "/etc/x.txt": TEXT}),
        {},
        "absolute.zip: the entry /etc/x.ann has an unsafe path",
    ),
    ("drive.zip", zip_file({"C:/x.ann": "", "C:/x.txt": TEXT}), {}, "drive.zip: the entry C:/x.ann has an unsafe path"),
    ("no-ann.zip", zip_file({"gold/op-ed.txt": TEXT}), {}, "no-ann.zip: there is no .ann file in it"),
    ("no-txt.zip", zip_file({"gold/op-ed.ann": ""}), {}, "gold/op-ed.ann: there is no op-ed.txt beside it"),
    (
        "malformed.zip",
        brat("T1 Claim 0 22 Cities should ban cars\n"),
        {},
        "gold/op-ed.ann line 1: malformed line “T1 Claim 0 22 Cities should ban cars”",
    ),
    (
        "past-end.zip",
        brat("T1\tClaim 0 99\tCities should ban cars\n"),
        {},
        "gold/op-ed.ann line 1: offsets 0–99 lie past the end of the text (38 characters)",
    ),
    (
        "reversed.zip",
        brat("T1\tClaim 22 0\t\n"),
        {},
        "gold/op-ed.ann line 1: offsets 22–0 do not make a span (the start must come before the end)",
    ),
    (
        "float.zip",
        brat("T1\tClaim 0.5 22\tCities should ban cars\n"),
        {},
        "gold/op-ed.ann line 1: malformed line “T1\\tClaim 0.5 22\\tCities should ban cars”",
    ),
    (
        "huge-offset.zip",
        brat("T1\tClaim 0 " + "9" * 5000 + "\tCities should ban cars\n"),
        {},
        "gold/op-ed.ann line 1: malformed line “T1\\tClaim 0 999999999999999999999999999999999999999999999999…”",
    ),
    (
        "mismatch.zip",
        brat("T1\tClaim 0 22\tCities should ban bikes\n"),
        {},
        "gold/op-ed.ann line 1: the quoted text “Cities should ban bikes” does not match "
        "the text at 0 22 (“Cities should ban cars”)",
    ),
    (
        "attribute-nowhere.zip",
        brat("T1\tClaim 0 22\tCities should ban cars\nA1\tStance T9 For\n"),
        {},
        "gold/op-ed.ann line 2: attribute A1: T9 is not a unit in this file",
    ),
    (
        "relation-nowhere.zip",
        brat("T1\tClaim 0 22\tCities should ban cars\nR1\tsupports Arg1:T2 Arg2:T1\n"),
        {},
        "gold/op-ed.ann line 2: relation R1: its source T2 is not a unit of this layer",
    ),
    (
        "note-nowhere.zip",
        brat("#1\tAnnotatorNotes T4\tnote\n"),
        {},
        "gold/op-ed.ann line 1: the note is on T4, which is not a unit in this file",
    ),
    (
        "same-id.zip",
        brat("T1\tClaim 0 22\tCities should ban cars\nT1\tPremise 24 38\tTraffic kills.\n"),
        {},
        "gold/op-ed.ann line 2: the id T1 is used twice",
    ),
    (
        "event.zip",
        brat("E1\tClaim:T1\n"),
        {},
        "gold/op-ed.ann line 1: brat E lines (events, normalisations, equivalences) are not supported",
    ),
    (
        "latin-1.zip",
        zip_file({"gold/op-ed.txt": TEXT, "gold/op-ed.ann": b"T1\tClaim 0 4\tCit\xe9\n"}),
        {},
        "gold/op-ed.ann line 1: not valid UTF-8 (byte 0xe9)",
    ),
    (
        "nul.zip",
        brat("", text="Cities\x00ban cars."),
        {},
        "gold/op-ed.txt: the text holds a NUL character (\\u0000), which cannot be stored",
    ),
    (
        "unknown-label.zip",
        brat("T1\tThesis 0 22\tCities should ban cars\n"),
        {},
        "Article 1 (“op-ed”), layer gold: unit T1: the label “Thesis” is not in the project's scheme.",
    ),
    (
        "long-label.zip",
        brat("T1\t" + "L" * 61 + " 0 22\tCities should ban cars\n"),
        {"unknown": "add"},
        "gold/op-ed.txt: layer gold, unit T1: the label has 61 characters, more than the 60 it may have",
    ),
    (
        "long-name.zip",
        brat("", name="n" * 600),
        {},
        "gold/" + "n" * 600 + ".txt: the title has 600 characters, more than the 500 it may have",
    ),
    (
        "deep-metadata.zip",
        zip_file({"gold/op-ed.txt": TEXT, "gold/op-ed.ann": "", "op-ed.article.json": "[" * 5000}),
        {},
        "op-ed.article.json: arrays and objects nest 5,000 deep, more than the 32 levels an import reads",
    ),
    (
        "surrogate-metadata.zip",
        zip_file({"gold/op-ed.txt": TEXT, "gold/op-ed.ann": "", "op-ed.article.json": '{"title": "\\ud800"}'}),
        {},
        "op-ed.article.json: title holds a lone surrogate (\\ud800), which is half of a character",
    ),
]


def counts() -> dict:
    """How many rows of each kind there are, and the scheme with its version."""
    models = (Article, Layer, ArgumentUnit, Relation, Change)
    return {
        **{model.__name__: model.objects.count() for model in models},
        "scheme": sorted(Label.objects.values_list("project_id", "name", "attributes")),
        "scheme versions": sorted(Project.objects.values_list("pk", "scheme_version")),
    }


def problems(message: str | tuple[str, ...]) -> list[str]:
    return [message] if isinstance(message, str) else list(message)


def upload(client, project, files, **data):
    return client.post(reverse("annotate:dataset_import", args=[project.slug]), {"files": files, **data})


def web_verdict(client, project, name, content, options, action):
    data = {"unknown": "fail", "existing": "fail", "owner": "", **options}
    response = upload(client, project, [SimpleUploadedFile(name, content)], action=action, **data)
    return response.status_code, response.context["report"].problems


@pytest.fixture
def hostile_project(project, article, annotator, manager):
    """The project with an article and its annotators' empty layers, as an import finds it."""
    return project


@pytest.mark.parametrize(("name", "content", "options", "message"), CASES, ids=[case[0] for case in CASES])
def test_the_import_page_refuses_a_hostile_file_the_same_way_in_preview_and_import(
    client, manager, hostile_project, name, content, options, message
):
    client.force_login(manager)
    before = counts()

    preview = web_verdict(client, hostile_project, name, content, options, "preview")
    imported = web_verdict(client, hostile_project, name, content, options, "import")

    assert preview == imported == (422, problems(message))
    assert counts() == before


@pytest.mark.parametrize(("name", "content", "options", "message"), CASES, ids=[case[0] for case in CASES])
def test_the_import_command_refuses_a_hostile_file_with_the_same_message(
    tmp_path, hostile_project, name, content, options, message
):
    path = tmp_path / name
    path.write_bytes(content)
    before = counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", "--project", hostile_project.slug, str(path), **options)

    assert str(raised.value) == "Nothing was imported:\n  " + "\n  ".join(problems(message))
    assert counts() == before


def test_hostile_corpus_is_large_enough_to_mean_something():
    assert len(CASES) >= 60


def test_an_import_without_a_file_is_a_form_error_and_writes_nothing(client, manager, hostile_project):
    client.force_login(manager)
    before = counts()

    for action in ("preview", "import"):
        response = upload(client, hostile_project, [], action=action, unknown="fail")

        assert (response.status_code, response.context["form"].errors) == (422, {"files": [NO_FILE]})
        assert "report" not in response.context
    assert counts() == before


# Imports at the same time ---------------------------------------------------------------


def import_call(project, records):
    return lambda: datasets.import_records(project=project, records=records, user=None)


def waiting_for_the_import_lock() -> int:
    """How many database sessions wait for an import's advisory lock now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s",
            [datasets.IMPORT_LOCK],
        )
        return cursor.fetchone()[0]


def behind_a_held_lock(project, *calls):
    """Run the calls at once while another session holds the project's import lock; once
    every call waits for the lock (so each of them takes it), release it. Their results
    in order."""
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [datasets.IMPORT_LOCK, project.pk])
    results: list = [None] * len(calls)
    threads = [threading.Thread(target=run_into, args=(results, number, call)) for number, call in enumerate(calls)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while waiting_for_the_import_lock() < len(calls) and time.monotonic() < deadline:
            time.sleep(0.01)  # polling the database's lock table, not guessing at timing
        assert waiting_for_the_import_lock() == len(calls)
    finally:
        holder.rollback()
        holder.close()
        for thread in threads:
            thread.join()
    return results


def run_into(results, number, call):
    """Run a call in this thread (and so its own database connection); keep its result
    (or exception) to assert on."""
    try:
        results[number] = call()
    except Exception as error:  # a thread's exception is a result to assert on
        results[number] = error
    finally:
        connection.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_into_the_same_empty_layer_write_each_unit_once(project, article, annotator):
    layer = Layer.objects.get(article=article, annotator=annotator)
    assert (layer.revision, Change.objects.filter(layer=layer).count()) == (0, 0)  # empty, as assigned
    units = [UnitRecord("T1", "Premise", [SpanRecord(0, 6)]), UnitRecord("T2", "Premise", [SpanRecord(7, 13)])]
    record = ArticleRecord(
        title=article.title, text=article.text, layers=[LayerRecord(owner=annotator.username, units=units)]
    )

    first, second = behind_a_held_lock(project, import_call(project, [record]), import_call(project, [record]))

    layer.refresh_from_db()
    assert sorted([first.written, second.written]) == [False, True]
    loser = first if not first.written else second
    assert loser.problems == [f"Article 1 (“{article.title}”), layer {annotator.username}: {datasets.EXISTING_LAYER}"]
    assert ArgumentUnit.objects.filter(layer=layer).count() == 2
    assert layer.revision == Change.objects.filter(layer=layer).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_new_article_at_once_give_one_article_and_a_message(project):
    text = "Parks should open at night. Cities are cooler then."
    record = ArticleRecord(
        title="Open parks",
        text=text,
        layers=[LayerRecord(owner="gold", units=[UnitRecord("T1", "Premise", [SpanRecord(0, 27)])])],
    )

    first, second = behind_a_held_lock(project, import_call(project, [record]), import_call(project, [record]))

    assert sorted([first.written, second.written]) == [False, True]
    loser = first if not first.written else second
    assert loser.problems == [f"Article 1 (“Open parks”), layer gold: {datasets.EXISTING_LAYER}"]
    assert Article.objects.filter(project=project, text=text).count() == 1
    assert ArgumentUnit.objects.filter(layer__article__text=text).count() == 1
