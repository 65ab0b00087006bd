# ruff: noqa: E501 - a case per line reads as a table
"""Hostile predictions files, one corpus for every way in: the predictions page's
preview, its import, and the import_predictions command. Each file gets the same
verdict everywhere (422 and the same message) and leaves the database as it was: no
suggestion written or replaced, no unit, no article."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate import projects
from annotate.datasets import upload_too_large
from annotate.models import ArgumentUnit, Article, Change, Layer, Relation, Suggestion, text_hash
from tests.factories import make_article, make_user

TEXT = "Cities should ban cars. Traffic kills."
CLAIM = {"id": "T1", "label": "Claim", "spans": [[0, 22]], "text": ["Cities should ban cars"]}
PREMISE = {"id": "T2", "label": "Premise", "spans": [[24, 38]], "text": ["Traffic kills."]}
SUPPORT = {"id": "R1", "type": "supports", "source": "T2", "target": "T1"}
ID = text_hash(TEXT)[:12]


def line(*layers, text=TEXT, **fields) -> dict:
    return {"title": "Ban cars", "text": text, "layers": list(layers), **fields}


def layer(*units, relations=(), owner="ann_annotator", **fields) -> dict:
    return {"owner": owner, "source": "lab-bert", "units": list(units), "relations": list(relations), **fields}


def jsonl_file(*lines: dict | str) -> bytes:
    return "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in lines).encode()


GOOD = line(layer(CLAIM, PREMISE, relations=[SUPPORT]))

# (file name, content, the one problem every entry point reports)
CASES = [
    # Files that are not what they say
    ("empty.jsonl", b"", "empty.jsonl: the file holds no predictions"),
    ("blank.jsonl", b"\xef\xbb\xbf\n  \n", "blank.jsonl: the file holds no predictions"),
    ("latin-1.jsonl", b'{"title": "caf\xe9"}\n', "latin-1.jsonl line 1: not valid UTF-8 (byte 0xe9)"),
    ("binary.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary.jsonl line 1: not valid UTF-8 (byte 0x89)"),
    ("utf-16.jsonl", json.dumps(GOOD).encode("utf-16"), "utf-16.jsonl line 1: not valid UTF-8 (byte 0xff)"),
    (
        "cut.jsonl",
        b'{"title": "x", "text": "y"\n',
        "cut.jsonl line 1: not valid JSON (Expecting ',' delimiter at column 27)",
    ),
    ("list.jsonl", jsonl_file("[1, 2]"), "list.jsonl line 1: the line must be a JSON object"),
    ("predictions.csv", b"a,b\n", "predictions.csv: predictions come as JSON Lines (a .jsonl file)"),
    (
        "deep.jsonl",
        b"[" * 1000 + b"\n",
        "deep.jsonl line 1: arrays and objects nest 1,000 deep, more than the 32 levels an import reads",
    ),
    (
        "huge-line.jsonl",
        jsonl_file(line(layer(CLAIM), metadata={"pad": "x" * 5000})),
        "huge-line.jsonl line 1: the line is longer than 4 KB (the limit, ANNOTATE_MAX_ENTRY_BYTES)",
    ),
    # Articles that are not the project's
    (
        "unknown-article.jsonl",
        jsonl_file(line(layer(CLAIM), text="Cities should ban cars. Nobody walks.")),
        "unknown-article.jsonl line 1: no article of this project has this text; predictions are for articles already imported",
    ),
    (
        "text-differs.jsonl",
        jsonl_file(line(layer(CLAIM), text="Cities should ban cars. Nobody walks.", id=ID)),
        f"text-differs.jsonl line 1: the text differs from the project's article {ID} (“Ban cars”): these predictions were made on another text",
    ),
    (
        "wrong-id.jsonl",
        jsonl_file(line(layer(CLAIM), id="0123456789ab")),
        f"wrong-id.jsonl line 1: the id 0123456789ab is not the id of the project's article with this text ({ID})",
    ),
    (
        "twice.jsonl",
        jsonl_file(GOOD, GOOD),
        "twice.jsonl line 2: the article is the one of line 1; give each article one line",
    ),
    # Layers the project does not have
    (
        "unknown-owner.jsonl",
        jsonl_file(line(layer(CLAIM, owner="zed"))),
        "unknown-owner.jsonl line 1: “zed” is not an annotator of this project (add them on the Members page first).",
    ),
    (
        "unassigned.jsonl",
        jsonl_file(line(layer(CLAIM, owner="cat_annotator"))),
        "unassigned.jsonl line 1: the article is not assigned to cat_annotator, so they have no layer on it to suggest to",
    ),
    (
        "no-gold.jsonl",
        jsonl_file(line(layer(CLAIM, owner="gold"))),
        "no-gold.jsonl line 1: the article has no gold layer yet (a curator starts it on the review page)",
    ),
    # The scheme
    (
        "unknown-label.jsonl",
        jsonl_file(line(layer({**CLAIM, "label": "Thesis"}))),
        "unknown-label.jsonl line 1: layer ann_annotator, unit T1: the label “Thesis” is not in the project's scheme.",
    ),
    (
        "unknown-type.jsonl",
        jsonl_file(line(layer(CLAIM, PREMISE, relations=[{**SUPPORT, "type": "rebuts"}]))),
        "unknown-type.jsonl line 1: layer ann_annotator, relation R1: the type “rebuts” is not in the project's scheme.",
    ),
    # Units and relations
    (
        "missing-unit.jsonl",
        jsonl_file(line(layer(CLAIM, relations=[SUPPORT]))),
        "missing-unit.jsonl line 1: layer ann_annotator, relation R1: its source T2 is not a unit of this layer",
    ),
    (
        "past-end.jsonl",
        jsonl_file(line(layer({**CLAIM, "spans": [[30, 90]], "text": ["kills."]}))),
        "past-end.jsonl line 1: layer ann_annotator, unit T1: offsets 30–90 lie past the end of the text (38 characters)",
    ),
    (
        "utf-16-offsets.jsonl",
        jsonl_file(line(layer({**CLAIM, "text": ["Cities should ban car"]}))),
        "utf-16-offsets.jsonl line 1: layer ann_annotator, unit T1: the quoted text “Cities should ban car” does not match the text at 0–22 (“Cities should ban cars”)",
    ),
    (
        "two-spans.jsonl",
        jsonl_file(line(layer({**CLAIM, "spans": [[0, 6], [24, 31]], "text": ["Cities", "Traffic"]}))),
        "two-spans.jsonl line 1: layer ann_annotator, unit T1: a suggestion has one span, and this unit has 2 (give each span as a unit of its own)",
    ),
    (
        "attributes.jsonl",
        jsonl_file(line(layer({**CLAIM, "attributes": {"stance": "For"}}))),
        "attributes.jsonl line 1: layer ann_annotator, unit T1: a suggestion carries a label and no attributes (leave “attributes” out)",
    ),
    (
        "both-ways.jsonl",
        jsonl_file(
            line(layer(CLAIM, PREMISE, relations=[SUPPORT, {**SUPPORT, "id": "R2", "source": "T1", "target": "T2"}]))
        ),
        "both-ways.jsonl line 1: layer ann_annotator: relation R2 links the units relation R1 links (either way round); two units take one relation",
    ),
    (
        "status.jsonl",
        jsonl_file(line(layer(CLAIM, status="finished"))),
        "status.jsonl line 1: layer ann_annotator: a prediction leaves the layer's status to its owner (leave “status” out)",
    ),
    ("nothing.jsonl", jsonl_file(line(layer())), "nothing.jsonl line 1: the line predicts no unit or relation"),
    # Scores and sources
    (
        "score-high.jsonl",
        jsonl_file(line(layer({**CLAIM, "score": 1.5}))),
        "score-high.jsonl line 1: layer ann_annotator, unit T1: the score 1.5 is not between 0 and 1",
    ),
    (
        "score-negative.jsonl",
        jsonl_file(line(layer(CLAIM, PREMISE, relations=[{**SUPPORT, "score": -0.1}]))),
        "score-negative.jsonl line 1: layer ann_annotator, relation R1: the score -0.1 is not between 0 and 1",
    ),
    (
        "score-text.jsonl",
        jsonl_file(line(layer({**CLAIM, "score": "high"}))),
        "score-text.jsonl line 1: layer ann_annotator, unit T1: “score” must be a number from 0 to 1",
    ),
    (
        "score-true.jsonl",
        jsonl_file(line(layer({**CLAIM, "score": True}))),
        "score-true.jsonl line 1: layer ann_annotator, unit T1: “score” must be a number from 0 to 1",
    ),
    (
        "no-source.jsonl",
        jsonl_file(line({"owner": "ann_annotator", "units": [CLAIM]})),
        "no-source.jsonl line 1: layer ann_annotator, unit T1: missing field “source” (give it here, or a “source” once on the layer)",
    ),
    (
        "empty-source.jsonl",
        jsonl_file(line(layer({**CLAIM, "source": " "}))),
        "empty-source.jsonl line 1: layer ann_annotator, unit T1: “source” must not be empty",
    ),
    (
        "long-source.jsonl",
        jsonl_file(line(layer({**CLAIM, "source": "m" * 101}))),
        "long-source.jsonl line 1: layer ann_annotator, unit T1: the source has 101 characters, more than the 100 it may have",
    ),
    (
        "number-source.jsonl",
        jsonl_file(line({**layer(CLAIM), "source": 7})),
        "number-source.jsonl line 1: layer ann_annotator: “source” must be a string",
    ),
    (
        "nul-source.jsonl",
        jsonl_file(line(layer({**CLAIM, "source": "lab\u0000bert"}))),
        "nul-source.jsonl line 1: layer ann_annotator, unit T1: the source holds a NUL character (\\u0000), which cannot be stored",
    ),
    (
        "markers-source.jsonl",
        jsonl_file(line(layer({**CLAIM, "source": "markers"}))),
        "markers-source.jsonl line 1: layer ann_annotator, unit T1: the source “markers” names the suggestions made here; call yours otherwise",
    ),
    (
        "empty-origin.jsonl",
        jsonl_file(line(layer(CLAIM, PREMISE, relations=[{**SUPPORT, "origin": ""}]))),
        "empty-origin.jsonl line 1: layer ann_annotator, relation R1: “origin” must not be empty",
    ),
    # All or nothing: a good line before a bad one writes nothing either
    (
        "good-then-bad.jsonl",
        jsonl_file(GOOD, "{"),
        "good-then-bad.jsonl line 2: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
    ),
]


@pytest.fixture
def hostile_target(project, annotator, annotator2, manager, settings):
    """An article assigned to two annotators, an annotator it is not assigned to, and an
    open suggestion from the same source already in the first one's layer."""
    settings.ANNOTATE_MAX_ENTRY_BYTES = 4096
    projects.set_member(project=project, user=make_user("cat_annotator"), role="annotator", by=None)
    article = make_article(project, text=TEXT, title="Ban cars")
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    Suggestion.objects.create(
        layer=layer, kind="unit", source="lab-bert", label=project.labels.get(name="Premise"), start=24, end=38
    )
    return project


def state() -> dict:
    """Everything an import of predictions could change."""
    return {
        "suggestions": sorted(Suggestion.objects.values_list("pk", "layer_id", "source", "start", "end", "status")),
        **{model.__name__: model.objects.count() for model in (Article, Layer, ArgumentUnit, Relation, Change)},
    }


def web_verdict(client, project, name, content, action):
    url = reverse("annotate:predictions_import", args=[project.slug])
    response = client.post(url, {"file": SimpleUploadedFile(name, content), "action": action})
    return response.status_code, response.context["report"].problems


@pytest.mark.parametrize(("name", "content", "message"), CASES, ids=[case[0] for case in CASES])
def test_the_predictions_page_refuses_a_hostile_file_the_same_way_in_preview_and_import(
    client, curator, hostile_target, name, content, message
):
    client.force_login(curator)
    before = state()

    preview = web_verdict(client, hostile_target, name, content, "preview")
    imported = web_verdict(client, hostile_target, name, content, "import")

    assert preview == imported == (422, [message])
    assert state() == before


@pytest.mark.parametrize(("name", "content", "message"), CASES, ids=[case[0] for case in CASES])
def test_the_predictions_command_refuses_a_hostile_file_with_the_same_message(
    tmp_path, hostile_target, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    before = state()

    with pytest.raises(CommandError) as raised:
        call_command("import_predictions", hostile_target.slug, str(path))

    assert str(raised.value) == "Nothing was imported:\n  " + message
    assert state() == before


def test_the_good_line_of_the_corpus_imports(client, curator, hostile_target):
    """The corpus's refusals are the bad lines': its good line alone is imported."""
    client.force_login(curator)

    response = client.post(
        reverse("annotate:predictions_import", args=[hostile_target.slug]),
        {"file": SimpleUploadedFile("good.jsonl", jsonl_file(GOOD)), "action": "import"},
    )

    assert response.status_code == 302
    assert sorted(Suggestion.objects.values_list("source", "kind", "start", "end")) == [
        ("lab-bert", "relation", 24, 38),
        ("lab-bert", "unit", 0, 22),
        ("lab-bert", "unit", 24, 38),
    ]


def test_hostile_predictions_corpus_is_large_enough_to_mean_something():
    assert len(CASES) >= 15


def test_a_predictions_post_without_a_file_is_a_form_error_and_writes_nothing(client, curator, hostile_target):
    client.force_login(curator)
    before = state()

    for action in ("preview", "import"):
        response = client.post(reverse("annotate:predictions_import", args=[hostile_target.slug]), {"action": action})

        assert (response.status_code, response.context["form"].errors) == (
            422,
            {"file": ["Choose a predictions file to import."]},
        )
    assert state() == before


def test_a_predictions_file_over_the_upload_limit_is_refused_unread(client, curator, hostile_target, settings):
    settings.ANNOTATE_MAX_UPLOAD_BYTES = 100
    client.force_login(curator)
    before = state()

    preview = web_verdict(client, hostile_target, "big.jsonl", jsonl_file(GOOD), "preview")
    imported = web_verdict(client, hostile_target, "big.jsonl", jsonl_file(GOOD), "import")

    assert preview == imported == (422, [upload_too_large()])
    assert upload_too_large().startswith("The files of one import may add up to 100 bytes")
    assert state() == before
