"""The tokeniser: the workspace snaps selections to its tokens, CoNLL export writes them.

A token is a word (letters, digits and their combining marks, with inner apostrophes,
hyphens or dots: "don’t", "face-saving", "U.S") or any other single grapheme that is
not white space (punctuation, an emoji such as 👍🏽 with its skin-tone modifier).
Tokens are whole extended grapheme clusters, so neither 👍🏽 nor "e\\u0301" is ever
split. So are words of right-to-left scripts: Arabic harakat and Hebrew niqqud are
combining marks of their letter, the tatweel (U+0640) is a letter, and the zero-width
joiner and non-joiner (U+200D, U+200C: Persian "می‌خواهم") extend the grapheme before
them; Hebrew's maqaf, geresh and gershayim join a word as a hyphen or apostrophe does.
Offsets are code points. Django-free.
"""

import regex

_WORD = r"(?:(?=\w)\X)+"
# What joins two words into one token: an apostrophe, hyphen or dot, the Hebrew maqaf
# (U+05BE, its hyphen) and geresh and gershayim (U+05F3, U+05F4: "צה״ל"), or a straight
# quotation mark between Hebrew letters, as Hebrew typed on a Latin keyboard writes
# gershayim ('צה"ל'). A geresh also ends a word ("ג׳").
_JOINER = r"""(?:['’\-.\u05BE\u05F3\u05F4]|(?<=\p{Script=Hebrew})"(?=\p{Script=Hebrew}))"""
TOKEN = regex.compile(rf"{_WORD}(?:{_JOINER}{_WORD})*\u05F3?|(?:(?!\s)\X)")
# Characters trimmed from the edges of a snapped selection: white space and punctuation,
# but not a per cent or per mille sign (Latin or Arabic), which belongs to its number.
OUTER_PUNCTUATION = regex.compile(r"^[\s\p{P}--[%‰٪؉]]+|[\s\p{P}--[%‰٪؉]]+$", regex.V1)


# With `keep_punctuation`: what a unit keeps of the punctuation around its words.
# Quotation marks and brackets that open before its first word (when the selection
# began at them) ...
OPENERS = frozenset("([{“‘«‹„‚¿¡\"'")
# ... marks that end a sentence, when nothing else comes between them and the words ...
SENTENCE_END = frozenset(".!?…‼⁇⁈⁉؟۔׃")  # with the Arabic question mark, the Urdu full stop, Hebrew sof pasuq
# ... and closing quotation marks and brackets that close one opened inside the unit.
CLOSER_OF = {")": "(", "]": "[", "}": "{", "”": "“", "’": "‘", "»": "«", "›": "‹", '"': '"', "'": "'"}
GRAPHEME = regex.compile(r"\X")
# An apostrophe inside a word ("don’t"), or gershayim typed as a straight quotation mark
# ('צה"ל'): not a quotation mark.
INNER = regex.compile(r"""(?<=\w)['’](?=\w)|(?<=\p{Script=Hebrew})"(?=\p{Script=Hebrew})""")


def tokenize(text: str) -> list[tuple[int, int]]:
    """The `[start, end)` code-point offsets of every token of `text`, in order."""
    return [match.span() for match in TOKEN.finditer(text)]


def snap(text: str, start: int, end: int, *, keep_punctuation: bool = False) -> tuple[int, int]:
    """Widen `[start, end)` to whole tokens, then trim white space and punctuation at
    its edges. Idempotent: snapping a snapped span returns it unchanged. A selection
    of nothing but white space or punctuation is returned as it was.

    With `keep_punctuation`, the unit keeps the punctuation that belongs to its
    sentence: the opening quotation marks and brackets right before its first word
    that the selection began at (or before), and right after its last word any full
    stop, question or exclamation mark, and any closing quotation mark or bracket
    that closes one opened inside the unit (with what stands between it and the
    words: the comma of “Cities, too,” he said). So a selected quotation keeps its
    quotation marks, a selected sentence its full stop.
    """
    # Tokens never cross white space, so only the stretch between the white space
    # around the selection needs tokenising (not the whole article, on every key press).
    low = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    high = min(position for position in (text.find(" ", end), text.find("\n", end), len(text)) if position != -1)
    for token_start, token_end in tokenize(text[low:high]):
        token_start, token_end = token_start + low, token_end + low
        if token_start < start < token_end:
            start = token_start
        if token_start < end < token_end:
            end = token_end
        if token_start >= end:
            break
    return trim(text, start, end, keep_punctuation=keep_punctuation)


def trim(text: str, start: int, end: int, *, keep_punctuation: bool = False) -> tuple[int, int]:
    """`snap` for a span already on whole tokens (a tagger's): only its edges trimmed."""
    selected = text[start:end]
    leading = OUTER_PUNCTUATION.match(selected)
    trimmed_start = start + (leading.end() if leading else 0)
    trailing = OUTER_PUNCTUATION.search(selected, pos=trimmed_start - start)
    trimmed_end = start + (trailing.start() if trailing else len(selected))
    if trimmed_start >= trimmed_end:
        return start, end
    if keep_punctuation:
        trimmed_start = _opening(text, start, trimmed_start)
        trimmed_end = _closing(text, trimmed_start, trimmed_end)
    return trimmed_start, trimmed_end


def _opening(text: str, start: int, first: int) -> int:
    """Where a unit whose first word starts at `first` begins, keeping the opening
    quotation marks and brackets right before that word from `start` on."""
    for grapheme in reversed(GRAPHEME.findall(text, start, first)):
        if grapheme not in OPENERS:
            break
        first -= len(grapheme)
    return first


def _closing(text: str, start: int, last: int) -> int:
    """Where a unit `[start, last)` ends, keeping the sentence-ending marks and
    closing quotation marks and brackets right after its last word."""
    end = last
    position = last
    for match in GRAPHEME.finditer(text, last):
        grapheme = match.group()
        if grapheme.isspace() or not regex.fullmatch(r"\p{P}", grapheme):
            break
        position = match.end()
        if grapheme in CLOSER_OF and _is_open(text[start:end], grapheme):
            end = position
        elif grapheme in SENTENCE_END and match.start() == end:
            end = position
        elif grapheme in CLOSER_OF:
            break  # it closes something outside the unit: the unit's sentence ends before it
    return end


def _is_open(unit: str, closer: str) -> bool:
    """Whether `unit` opens, and leaves open, what `closer` closes."""
    opener = CLOSER_OF[closer]
    unit = INNER.sub("", unit)
    if opener == closer:  # a straight quotation mark: open after an odd number of them
        return unit.count(opener) % 2 == 1
    return unit.count(opener) > unit.count(closer)
