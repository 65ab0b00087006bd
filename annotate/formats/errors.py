"""What every importer shares: the one error it raises, and the checks behind it.

`FormatError` names the file and, where there is one, the line. The checks here are
the ones every import format needs: UTF-8, spans against the text, relations within
a layer, normalising an imported text without moving its units, and (for the caller,
after parsing) labels against the project's scheme.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

import regex

from annotate.formats.plaintext import normalise_text
from annotate.formats.records import ArticleRecord, LabelRecord, SchemeRecord, UnitRecord

UnknownPolicy = Literal["fail", "skip", "add"]

_GRAPHEME = regex.compile(r"\X")


class FormatError(ValueError):
    """A file that cannot be imported. `str(error)` reads like
    `essay001.ann line 4: offsets 503–900 lie past the end of the text (612 characters)`.
    """

    def __init__(self, problem: str, *, file_name: str, line: int | None = None) -> None:
        self.problem = problem
        self.file_name = file_name
        self.line = line
        where = file_name if line is None else f"{file_name} line {line}"
        super().__init__(f"{where}: {problem}")


def decode_utf8(content: bytes | str, *, file_name: str) -> str:
    """`content` as text; a byte that is not UTF-8 is reported with its line.

    A leading byte-order mark is kept: brat counts it as a character, so dropping it
    here would shift every offset (callers that know better strip it themselves).
    """
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        byte = content[error.start : error.start + 1].hex()
        raise FormatError(f"not valid UTF-8 (byte 0x{byte})", file_name=file_name, line=line) from None


# What no database column (PostgreSQL text or jsonb) can hold: NUL, and a surrogate
# code point on its own (JSON's "\\ud800" decodes to one; it is half of a character,
# which UTF-8 cannot encode). Both are looked for by C code (`in`, `str.encode`): a
# regular expression takes a hundred times as long over a long text.


def storable(text: str) -> bool:
    """Whether the string `text` can be stored: no NUL, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# The largest whole number a JSON export writes (orjson's 64-bit integers).
LARGEST_WHOLE_NUMBER = 2**63 - 1


def unstorable_problem(value: object, name: str, *, nul: bool = True) -> str | None:
    """What in `value` (a string, or JSON data: lists, objects, numbers) cannot be
    stored or exported again, or None; `name` names it in the message, and the message
    never quotes the value (a lone surrogate cannot even be shown). `nul=False` leaves
    NUL characters alone (a format may carry them; only the database cannot)."""
    if isinstance(value, str):
        if nul and "\x00" in value:
            return f"{name} holds a NUL character (\\u0000), which cannot be stored"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            return f"{name} holds a lone surrogate (\\u{ord(value[error.start]):04x}), which is half of a character"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if problem := unstorable_problem(key, f"a key of {name}", nul=nul) or unstorable_problem(
                item, f"{name}.{key}", nul=nul
            ):
                return problem
    elif isinstance(value, list):
        for number, item in enumerate(value):
            if problem := unstorable_problem(item, f"{name}[{number}]", nul=nul):
                return problem
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{name} is {value}, which JSON cannot hold"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_WHOLE_NUMBER:
        return f"{name} is a whole number larger than {LARGEST_WHOLE_NUMBER:,}"
    return None


def quote(text: str, limit: int = 60) -> str:
    """`text` in a message: in quotes, with line breaks and tabs visible, cut at `limit`."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return "“" + shown.replace("\n", "\\n").replace("\t", "\\t") + "”"


def span_problem(text: str, start: int, end: int) -> str | None:
    """What is wrong with the range `[start, end)` of `text`, or None if it is a span of it."""
    if start < 0:
        return f"offsets {start}–{end} lie before the start of the text"
    if end > len(text) or start > len(text):
        return f"offsets {start}–{end} lie past the end of the text ({len(text)} characters)"
    if start >= end:
        return f"offsets {start}–{end} do not make a span (the start must come before the end)"
    return None


def spans_problem(text: str, spans: list[tuple[int, int]]) -> str | None:
    """What is wrong with the spans of one unit, or None: the rules the workspace keeps
    (at least one span; each inside the text, not empty, not only white space; in text
    order without overlapping)."""
    if not spans:
        return "a unit needs at least one span"
    for start, end in spans:
        if problem := span_problem(text, start, end):
            return problem
        if not text[start:end].strip():
            return f"offsets {start}–{end} hold only white space"
    for (previous_start, previous_end), (start, end) in zip(spans, spans[1:], strict=False):
        if start < previous_end:
            return f"the spans {previous_start}–{previous_end} and {start}–{end} overlap or are out of text order"
    return None


def relation_problem(source: str, target: str, *, unit_ids: set[str], linked: set[tuple[str, str]]) -> str | None:
    """What is wrong with a relation from `source` to `target`, or None. `linked` holds
    the (source, target) pairs already read from the layer; a good pair is added to it."""
    for role, unit_id in (("source", source), ("target", target)):
        if unit_id not in unit_ids:
            return f"its {role} {unit_id} is not a unit of this layer"
    if source == target:
        return f"it links {source} to itself"
    if (source, target) in linked:
        return f"{source} is already linked to {target}"
    linked.add((source, target))
    return None


def normalise_with_offsets(text: str) -> tuple[str, Callable[[int], int | None]]:
    """`text` in the stored form (`normalise_text`: NFC, "\\n" line ends) and a function
    moving an offset into `text` to the same place in the result.

    Normalisation only ever changes a grapheme cluster in place ("e\\u0301" → "é",
    "\\r\\n" → "\\n"), so an offset between clusters moves exactly. An offset inside a
    cluster that normalisation changes has no counterpart and moves to None.
    """
    normalised = normalise_text(text)
    if normalised == text:
        return text, lambda offset: offset
    moved: list[int | None] = [None] * (len(text) + 1)
    pieces = []
    position = 0
    for match in _GRAPHEME.finditer(text):
        start, end = match.span()
        piece = normalise_text(match.group())
        if piece == match.group():
            moved[start:end] = range(position, position + len(piece))
        else:
            moved[start] = position
        pieces.append(piece)
        position += len(piece)
    moved[len(text)] = position
    if "".join(pieces) != normalised:
        # Unicode promises composition within a cluster; if a text ever breaks that
        # promise, no offset inside it is trusted rather than any moved wrongly.
        moved = [0] + [None] * (len(text) - 1) + [len(normalised)]
    return normalised, moved.__getitem__


def normalise_article(article: ArticleRecord) -> ArticleRecord:
    """`article` with its text normalised and every span moved to match; raises
    `ValueError` naming the unit whose span cannot be moved."""
    text, move = normalise_with_offsets(article.text)
    if text == article.text:
        return article
    layers = []
    for layer in article.layers:
        units = []
        for unit in layer.units:
            spans = []
            for span in unit.spans:
                start, end = move(span.start), move(span.end)
                if start is None or end is None:
                    raise ValueError(
                        f"layer {layer.owner}, unit {unit.id}: the span {span.start}–{span.end} starts or ends inside "
                        "characters that Unicode normalisation changes"
                    )
                spans.append(replace(span, start=start, end=end))
            units.append(replace(unit, spans=spans))
        layers.append(replace(layer, units=units))
    return replace(article, text=text, layers=layers)


@dataclass
class SchemeCheck:
    """The outcome of `check_scheme`."""

    articles: list[ArticleRecord]
    # With unknown="add": what the files use that the scheme lacks. A label here is
    # new, or (if the scheme has it) carries only the attribute values to add to it.
    additions: SchemeRecord = field(default_factory=SchemeRecord)
    # With unknown="skip": one message per unit, attribute or relation left out.
    skipped: list[str] = field(default_factory=list)


def check_scheme(
    articles: Iterable[ArticleRecord], *, scheme: SchemeRecord, unknown: UnknownPolicy = "fail", file_name: str
) -> SchemeCheck:
    """Check imported labels, attribute values and relation types against `scheme`.

    What the scheme lacks is handled as `unknown` says: "fail" raises `FormatError`
    (naming `file_name`, the article, layer and unit); "skip" leaves the unit (with its
    relations), the attribute or the relation out and says so in `skipped`; "add" keeps
    it and lists it in `additions` for the caller to add to the scheme. The records
    passed in are not changed.
    """
    if unknown not in ("fail", "skip", "add"):
        raise ValueError(f"unknown must be fail, skip or add, not {unknown!r}")
    check = SchemeCheck(articles=[])

    def unknown_found(where: str, problem: str) -> bool:
        """Whether to keep what `problem` is about; raises for "fail"."""
        if unknown == "fail":
            raise FormatError(f"{where}: {problem}", file_name=file_name)
        if unknown == "skip":
            check.skipped.append(f"{where}: {problem}; skipped")
        return unknown == "add"

    def checked_unit(unit: UnitRecord, where: str) -> UnitRecord | None:
        """`unit` with only the attributes to keep, or None to leave it out."""
        label = scheme.label(unit.label)
        if label is None:
            names = ", ".join(known.name for known in scheme.labels)
            if not unknown_found(where, f"unknown label {unit.label} (the scheme has {names})"):
                return None
            _addition(check.additions, unit.label)
        attributes = {}
        for key, value in unit.attributes.items():
            allowed = label.attributes.get(key, []) if label else []
            if label is not None and value not in allowed:
                problem = (
                    f"{key} {value} is not allowed for {label.name} (it allows {', '.join(allowed)})"
                    if allowed
                    else f"{label.name} has no attribute {key}"
                )
                if not unknown_found(where, problem):
                    continue
            if value not in allowed:
                values = _addition(check.additions, unit.label).attributes.setdefault(key, [])
                if value not in values:
                    values.append(value)
            attributes[key] = value
        return replace(unit, attributes=attributes)

    for article in articles:
        layers = []
        for layer in article.layers:
            where = f"article {quote(article.title)}, layer {layer.owner}"
            units = []
            for unit in layer.units:
                if (checked := checked_unit(unit, f"{where}, unit {unit.id}")) is not None:
                    units.append(checked)
            unit_ids = {unit.id for unit in units}
            relations = []
            for relation in layer.relations:
                if relation.source not in unit_ids or relation.target not in unit_ids:
                    continue  # its unit was skipped, and said so
                if relation.type not in scheme.relation_types:
                    names = ", ".join(scheme.relation_types)
                    problem = f"unknown relation type {relation.type} (the scheme has {names})"
                    if not unknown_found(f"{where}, relation {relation.id}", problem):
                        continue
                    if relation.type not in check.additions.relation_types:
                        check.additions.relation_types.append(relation.type)
                relations.append(relation)
            layers.append(replace(layer, units=units, relations=relations))
        check.articles.append(replace(article, layers=layers))
    return check


def _addition(additions: SchemeRecord, name: str) -> LabelRecord:
    label = additions.label(name)
    if label is None:
        label = LabelRecord(name=name)
        additions.labels.append(label)
    return label
