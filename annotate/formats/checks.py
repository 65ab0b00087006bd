"""The checks every importer shares, and the one error it raises.

`FormatError` names the file and, where there is one, the line. The checks are the
ones every import format needs: UTF-8, values that can be stored, spans against the
text (the rule the workspace keeps too: `span_fault`), and relations within a layer.
"""

import math
from typing import NamedTuple


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


class SpanFault(NamedTuple):
    """What breaks the span rule, and where: `rule` is the one it breaks: NO_SPAN, BEFORE_TEXT,
    PAST_TEXT, EMPTY, BLANK, OVERLAP; `spans` the span at fault (two, for OVERLAP)."""

    rule: str
    spans: tuple[tuple[int, int], ...] = ()


NO_SPAN, BEFORE_TEXT, PAST_TEXT, EMPTY, BLANK, OVERLAP = "none", "before", "past", "empty", "blank", "overlap"


def span_fault(text: str, spans: list[tuple[int, int]]) -> SpanFault | None:
    """The rule for the spans of one unit, everywhere (the workspace, every import):
    at least one span; each inside the text, not empty, not only white space; in text
    order without overlapping. The first fault found, or None. Each caller words it for
    its reader (`spans_problem` for a file, `units.validate_spans` for an annotator)."""
    if not spans:
        return SpanFault(NO_SPAN)
    for start, end in spans:
        if start < 0:
            return SpanFault(BEFORE_TEXT, ((start, end),))
        if end > len(text) or start > len(text):
            return SpanFault(PAST_TEXT, ((start, end),))
        if start >= end:
            return SpanFault(EMPTY, ((start, end),))
        if not text[start:end].strip():
            return SpanFault(BLANK, ((start, end),))
    for previous, span in zip(spans, spans[1:], strict=False):
        if span[0] < previous[1]:
            return SpanFault(OVERLAP, (previous, span))
    return None


def span_problem(text: str, start: int, end: int) -> str | None:
    """What is wrong with the range `[start, end)` of `text`, in a file's words, or None
    if it is a span of it (white space allowed)."""
    fault = span_fault(text, [(start, end)])
    return None if fault is None or fault.rule == BLANK else _in_words(fault, text)


def spans_problem(text: str, spans: list[tuple[int, int]]) -> str | None:
    """What is wrong with the spans of one unit (`span_fault`), in a file's words, or None."""
    fault = span_fault(text, spans)
    return None if fault is None else _in_words(fault, text)


def _in_words(fault: SpanFault, text: str) -> str:
    if fault.rule == NO_SPAN:
        return "a unit needs at least one span"
    (start, end), *_ = fault.spans
    if fault.rule == BEFORE_TEXT:
        return f"offsets {start}–{end} lie before the start of the text"
    if fault.rule == PAST_TEXT:
        return f"offsets {start}–{end} lie past the end of the text ({len(text)} characters)"
    if fault.rule == EMPTY:
        return f"offsets {start}–{end} do not make a span (the start must come before the end)"
    if fault.rule == BLANK:
        return f"offsets {start}–{end} hold only white space"
    (next_start, next_end) = fault.spans[1]
    return f"the spans {start}–{end} and {next_start}–{next_end} overlap or are out of text order"


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
