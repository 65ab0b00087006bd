"""Native JSON Lines: one article per line with every layer, lossless both ways.

Each line is one JSON object, keys always in this order, written with
`ensure_ascii=False` and ended by "\\n" (line breaks inside strings are escaped, so a
line is always one article)::

    {"id": "17", "title": "…", "author": "", "outlet": "", "url": "", "published": "2024-05-01",
     "metadata": {}, "text": "…",
     "layers": [{"owner": "ann", "status": "finished", "document_stance": "",
                 "units": [{"id": "T1", "label": "Claim", "spans": [[3, 9], [12, 20]],
                            "text": ["quoted", "text too"], "attributes": {"stance": "For"}, "note": ""}],
                 "relations": [{"id": "R1", "type": "supports", "source": "T2", "target": "T1"}]}]}

`owner` is the annotator's username or "gold"; `status` one of not_started,
in_progress, finished (on import, a layer without one is in progress when it holds
units, not started otherwise); offsets are code points (Python `str` indices). A unit's "text"
lists the quoted text of each span: a reader needs no offset arithmetic, and the
importer requires it and checks it against the offsets, which catches offsets counted
in another unit (UTF-16, bytes) before they shift every unit.

On import, "title" and "text" are required and every other field may be left out (a
line without "layers" imports the article alone); an unknown field is refused rather
than dropped. A text that is not in the stored form (Unicode NFC, "\\n" line ends) is
normalised, its units' offsets moving with it. `parse(export(articles))` gives back
the same records, and exporting them again gives the same bytes. The importer raises
`FormatError` for the first problem, naming the line; it never returns part of a file.
"""

import datetime
import json
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import BinaryIO

import orjson

from annotate.formats.checks import FormatError, decode_utf8, quote, relation_problem, spans_problem, unstorable_problem
from annotate.formats.normalise import normalise_article
from annotate.formats.records import (
    ArticleRecord,
    LayerRecord,
    RelationRecord,
    SpanRecord,
    UnitRecord,
    collector_paused,
)

EXTENSION = ".jsonl"
CONTENT_TYPE = "application/jsonl; charset=utf-8"
LAYER_STATUSES = ("not_started", "in_progress", "finished")
DOCUMENT_STANCES = ("", "For", "Against", "Neutral")

# An article's fields besides its text and layers (brat's export writes them beside the text).
METADATA_FIELDS = ("id", "title", "author", "outlet", "url", "published", "metadata")
ARTICLE_FIELDS = (*METADATA_FIELDS, "text", "layers")
LAYER_FIELDS = ("owner", "status", "document_stance", "units", "relations")
UNIT_FIELDS = ("id", "label", "spans", "text", "attributes", "note")
RELATION_FIELDS = ("id", "type", "source", "target")

# How deeply a line's arrays and objects may nest. An article line needs 7 levels (line,
# layers, layer, units, unit, spans, span) and its free metadata a few more; Python's
# JSON reader recurses once a level and the export's writer stops at 255.
MAX_DEPTH = 32
# The most digits a whole number may have: an offset never needs more, and Python
# refuses to read a number of more than 4,300.
MAX_DIGITS = 20
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def metadata_json(article: ArticleRecord) -> dict:
    """The article's fields besides its text and layers, keys in the fixed order."""
    return {
        "id": article.id,
        "title": article.title,
        "author": article.author,
        "outlet": article.outlet,
        "url": article.url,
        "published": article.published,
        "metadata": article.metadata,
    }


def article_json(article: ArticleRecord) -> dict:
    """The JSON object of one line, keys in the fixed order."""
    return {
        **metadata_json(article),
        "text": article.text,
        "layers": [
            {
                "owner": layer.owner,
                "status": layer.status,
                "document_stance": layer.document_stance,
                "units": [
                    {
                        "id": unit.id,
                        "label": unit.label,
                        "spans": [[span.start, span.end] for span in unit.spans],
                        "text": [article.text[span.start : span.end] for span in unit.spans],
                        "attributes": unit.attributes,
                        "note": unit.note,
                    }
                    for unit in layer.units
                ],
                "relations": [
                    {"id": relation.id, "type": relation.type, "source": relation.source, "target": relation.target}
                    for relation in layer.relations
                ],
            }
            for layer in article.layers
        ],
    }


def export(articles: Iterable[ArticleRecord]) -> Iterator[str]:
    """Yield one line ("…\\n") per article; reads `articles` lazily, one at a time.

    Written by orjson: compact (no space after "," or ":"), every character as it is
    (nothing escaped that JSON does not require). The standard library's encoder took a
    third of the export's time."""
    for article in articles:
        yield orjson.dumps(article_json(article), option=orjson.OPT_APPEND_NEWLINE).decode()


def parse(
    content: bytes | str, *, file_name: str, progress: Callable[[int, int], object] | None = None
) -> list[ArticleRecord]:
    """Read a JSON Lines file into article records, checking every field.

    Blank lines are skipped. Raises `FormatError` naming the file and line for bytes
    that are not UTF-8, a line that is not JSON, a missing, unknown or mistyped field,
    a span outside the text, a quoted text that does not match its offsets, a repeated
    id, or a relation whose source or target is not a unit of its layer.
    `progress(lines read, lines)` is called before each line, so a long file can say it
    is still being read (an exception it raises stops the reading).
    """
    text = decode_utf8(content, file_name=file_name)
    # A byte-order mark written by an editor is never part of the first article.
    text = text.removeprefix("\ufeff")
    with collector_paused():
        return _articles(text, file_name=file_name, progress=progress)


def read(
    file: BinaryIO,
    *,
    file_name: str,
    progress: Callable[[int], object] | None = None,
    max_line_bytes: int | None = None,
    limit_words: str = "the limit",
) -> Iterator[ArticleRecord]:
    """Yield the article records of a JSON Lines file as it is read, one line at a
    time, checked as `parse` checks them, so that memory holds one line and one record
    whatever the file's size. Raises `FormatError` at the first problem, after the
    records of the lines before it (a caller that wants all or nothing reads the file
    through before it uses them). `progress(bytes read)` is called before each line. A
    line longer than `max_line_bytes` is refused having read no more of it than that
    ("the line is longer than " + `limit_words`).
    """
    number = done = 0
    found = False
    with collector_paused():
        while raw := file.readline(-1 if max_line_bytes is None else max_line_bytes + 1):
            number += 1
            if max_line_bytes is not None and len(raw) > max_line_bytes:
                raise FormatError(f"the line is longer than {limit_words}", file_name=file_name, line=number)
            if progress is not None:
                progress(done)
            done += len(raw)
            raw = raw.removesuffix(b"\n")
            if number == 1:
                raw = raw.removeprefix(BYTE_ORDER_MARK)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                byte = raw[error.start : error.start + 1].hex()
                raise FormatError(f"not valid UTF-8 (byte 0x{byte})", file_name=file_name, line=number) from None
            article = _line(line, file_name=file_name, number=number)
            if article is not None:
                found = True
                yield article
    if progress is not None:
        progress(done)
    if not found:
        raise FormatError("the file holds no articles", file_name=file_name)


BYTE_ORDER_MARK = "\ufeff".encode()


def _line(line: str, *, file_name: str, number: int) -> ArticleRecord | None:
    """The article of line `number`, or None for a blank line."""
    if not line.strip():
        return None
    try:
        article = _article(load_json(line))
    except json.JSONDecodeError as error:
        problem = f"not valid JSON ({error.msg} at column {error.colno})"
        raise FormatError(problem, file_name=file_name, line=number) from None
    except _Invalid as problem:
        raise FormatError(str(problem), file_name=file_name, line=number) from None
    article.line = number
    return article


def _articles(text: str, *, file_name: str, progress: Callable[[int, int], object] | None) -> list[ArticleRecord]:
    articles = []
    # Split on "\n" only: str.splitlines would also split at U+2028 and friends, which
    # JSON allows unescaped inside strings (and the export writes so).
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if progress is not None:
            progress(number - 1, len(lines))
        if (article := _line(line, file_name=file_name, number=number)) is not None:
            articles.append(article)
    if not articles:
        raise FormatError("the file holds no articles", file_name=file_name)
    return articles


def load_json(text: str) -> object:
    """`text` read as JSON, refusing what could not be stored and exported again: nesting
    deeper than MAX_DEPTH (checked before reading, which would recurse once a level),
    NaN and Infinity, whole numbers longer than MAX_DIGITS, and lone surrogates (which
    no message could even show). NUL characters are the import's to refuse: JSON
    carries them. Raises `json.JSONDecodeError` for text that is not JSON, `_Invalid` for
    the rest."""
    if (depth := _depth(text)) > MAX_DEPTH:
        raise _Invalid(f"arrays and objects nest {depth:,} deep, more than the {MAX_DEPTH} levels an import reads")
    try:
        data = json.loads(text, parse_constant=_constant, parse_int=_whole_number)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise _Invalid(f"not valid JSON ({error})") from None
    # Surrogates only come from \u escapes: a line without one needs no search.
    if "\\u" in text and isinstance(data, dict):
        for key, value in data.items():
            if problem := unstorable_problem(key, "a field name", nul=False) or unstorable_problem(
                value, key, nul=False
            ):
                raise _Invalid(problem)
    return data


def _depth(text: str) -> int:
    """How deeply the arrays and objects of the JSON `text` nest (brackets inside
    strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be deeper
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _whole_number(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a whole number of {len(digits.lstrip('-')):,} digits, more than {MAX_DIGITS}")
    return int(digits)


class _Invalid(ValueError):
    """A problem inside one line; `parse` adds the file name and line number."""


_TYPE_NAMES = {str: "a string", int: "a whole number", list: "a list", dict: "an object"}


def _object(data: object, where: str, fields: tuple[str, ...]) -> dict:
    if not isinstance(data, dict):
        raise _Invalid(f"{where} must be a JSON object")
    # Unknown fields are refused rather than dropped: this format promises to lose nothing.
    for key in data:
        if key not in fields:
            raise _Invalid(f"{where}: unknown field “{key}”")
    return data


def _field(
    data: dict,
    key: str,
    expected: type,
    where: str,
    *,
    required: bool = False,
    default: object = None,
    empty: bool = True,
):
    """`data[key]`, which must be of type `expected` (and not "" unless `empty`). A missing
    optional field is `default`, or else the empty value of `expected`."""
    if key not in data:
        if required:
            raise _Invalid(f"{where}: missing field “{key}”")
        return expected() if default is None else default
    value = data[key]
    # bool is a subclass of int, but true is not an offset.
    if not isinstance(value, expected) or isinstance(value, bool):
        raise _Invalid(f"{where}: “{key}” must be {_TYPE_NAMES[expected]}")
    if not empty and value == "":
        raise _Invalid(f"{where}: “{key}” must not be empty")
    return value


def parse_metadata(content: bytes | str, *, file_name: str) -> dict:
    """The fields `metadata_json` writes, read from one JSON object and checked as an
    article line's are ("title" required, the others optional); `FormatError` naming
    `file_name` for anything else."""
    try:
        data = load_json(decode_utf8(content, file_name=file_name).removeprefix("\ufeff"))
        return _metadata(_object(data, "the file", METADATA_FIELDS))
    except json.JSONDecodeError as error:
        raise FormatError(f"not valid JSON ({error.msg} at line {error.lineno})", file_name=file_name) from None
    except _Invalid as problem:
        raise FormatError(str(problem), file_name=file_name) from None


def _metadata(data: dict) -> dict:
    where = "article"
    published = _field(data, "published", str, where)
    if published:
        try:
            datetime.date.fromisoformat(published)
        except ValueError:
            raise _Invalid(f"{where}: “published” must be a date like 2024-05-01, not {quote(published)}") from None
    return {
        "id": _field(data, "id", str, where),
        "title": _field(data, "title", str, where, required=True),
        "author": _field(data, "author", str, where),
        "outlet": _field(data, "outlet", str, where),
        "url": _field(data, "url", str, where),
        "published": published,
        "metadata": _field(data, "metadata", dict, where),
    }


def article_from_json(data: object) -> ArticleRecord:
    """One line's JSON (as `load_json` reads it) as an article record, checked and
    normalised as `parse` does; `ValueError` saying what is wrong, for the caller to
    place (predictions read lines of this shape with fields of their own taken out)."""
    return _article(data)


def _article(data: object) -> ArticleRecord:
    data = _object(data, "the line", ARTICLE_FIELDS)
    where = "article"
    metadata = _metadata(data)
    text = _field(data, "text", str, where, required=True, empty=False)
    layers = [_layer(layer, text) for layer in _field(data, "layers", list, where)]
    if repeated := _first_repeat(layer.owner for layer in layers):
        raise _Invalid(f"two layers belong to {repeated}")
    article = ArticleRecord(**metadata, text=text, layers=layers)
    try:
        return normalise_article(article)
    except ValueError as error:
        raise _Invalid(str(error)) from None


def _layer(data: object, text: str) -> LayerRecord:
    data = _object(data, "a layer", LAYER_FIELDS)
    owner = _field(data, "owner", str, "a layer", required=True, empty=False)
    where = f"layer {owner}"
    status = _field(data, "status", str, where)
    if status and status not in LAYER_STATUSES:
        raise _Invalid(f"{where}: “status” must be one of {', '.join(LAYER_STATUSES)}, not {quote(status)}")
    document_stance = _field(data, "document_stance", str, where)
    if document_stance not in DOCUMENT_STANCES:
        allowed = ", ".join(DOCUMENT_STANCES[1:])
        raise _Invalid(f"{where}: “document_stance” must be empty or one of {allowed}, not {quote(document_stance)}")
    units = [_unit(unit, text, where) for unit in _field(data, "units", list, where)]
    if repeated := _first_repeat(unit.id for unit in units):
        raise _Invalid(f"{where}: two units have the id {repeated}")
    unit_ids = {unit.id for unit in units}
    linked: set[tuple[str, str]] = set()
    relations = [_relation(relation, where, unit_ids, linked) for relation in _field(data, "relations", list, where)]
    if repeated := _first_repeat(relation.id for relation in relations):
        raise _Invalid(f"{where}: two relations have the id {repeated}")
    return LayerRecord(owner=owner, status=status, document_stance=document_stance, units=units, relations=relations)


def _unit(data: object, text: str, layer_where: str) -> UnitRecord:
    data = _object(data, f"{layer_where}: a unit", UNIT_FIELDS)
    unit_id = _field(data, "id", str, f"{layer_where}: a unit", required=True, empty=False)
    where = f"{layer_where}, unit {unit_id}"
    spans = _field(data, "spans", list, where, required=True)
    quoted = _field(data, "text", list, where, required=True)
    for number, span in enumerate(spans, start=1):
        if not (isinstance(span, list) and len(span) == 2 and all(_is_offset(offset) for offset in span)):
            raise _Invalid(f"{where}: span {number} must be a pair of whole numbers [start, end]")
    if problem := spans_problem(text, [tuple(span) for span in spans]):
        raise _Invalid(f"{where}: {problem}")
    if len(quoted) != len(spans) or not all(isinstance(span_text, str) for span_text in quoted):
        raise _Invalid(f"{where}: “text” must be a list of one quoted text (a string) per span")
    for (start, end), span_text in zip(spans, quoted, strict=True):
        if span_text != text[start:end]:
            raise _Invalid(
                f"{where}: the quoted text {quote(span_text)} does not match the text at "
                f"{start}–{end} ({quote(text[start:end])})"
            )
    attributes = _field(data, "attributes", dict, where)
    for name, value in attributes.items():
        if not isinstance(value, str):
            raise _Invalid(f"{where}: attribute “{name}” must have a string value")
    return UnitRecord(
        id=unit_id,
        label=_field(data, "label", str, where, required=True, empty=False),
        spans=[SpanRecord(start, end) for start, end in spans],
        attributes=attributes,
        note=_field(data, "note", str, where),
    )


def _relation(data: object, layer_where: str, unit_ids: set[str], linked: set[tuple[str, str]]) -> RelationRecord:
    data = _object(data, f"{layer_where}: a relation", RELATION_FIELDS)
    relation_id = _field(data, "id", str, f"{layer_where}: a relation", required=True, empty=False)
    where = f"{layer_where}, relation {relation_id}"
    relation = RelationRecord(
        id=relation_id,
        type=_field(data, "type", str, where, required=True, empty=False),
        source=_field(data, "source", str, where, required=True, empty=False),
        target=_field(data, "target", str, where, required=True, empty=False),
    )
    if problem := relation_problem(relation.source, relation.target, unit_ids=unit_ids, linked=linked):
        raise _Invalid(f"{where}: {problem}")
    return relation


def _is_offset(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _first_repeat(values: Iterable[str]) -> str | None:
    seen = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None
