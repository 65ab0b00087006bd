"""The tokeniser: the workspace snaps selections to its tokens, CoNLL export writes them.

A token is a word (letters, digits and their combining marks, with inner apostrophes,
hyphens or dots: "don’t", "face-saving", "U.S") or any other single grapheme that is
not white space (punctuation, an emoji such as 👍🏽 with its skin-tone modifier).
Tokens are whole extended grapheme clusters, so neither 👍🏽 nor "e\\u0301" is ever
split. Offsets are code points. Django-free.
"""

import regex

_WORD = r"(?:(?=\w)\X)+"
TOKEN = regex.compile(rf"{_WORD}(?:['’\-.]{_WORD})*|(?:(?!\s)\X)")
# Characters trimmed from the edges of a snapped selection: white space and punctuation,
# but not a per cent sign, which belongs to its number.
OUTER_PUNCTUATION = regex.compile(r"^[\s\p{P}--[%‰]]+|[\s\p{P}--[%‰]]+$", regex.V1)


def tokenize(text: str) -> list[tuple[int, int]]:
    """The `[start, end)` code-point offsets of every token of `text`, in order."""
    return [match.span() for match in TOKEN.finditer(text)]


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen `[start, end)` to whole tokens, then trim white space and punctuation at
    its edges. Idempotent: snapping a snapped span returns it unchanged. A selection
    of nothing but white space or punctuation is returned as it was.
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
    selected = text[start:end]
    leading = OUTER_PUNCTUATION.match(selected)
    trimmed_start = start + (leading.end() if leading else 0)
    trailing = OUTER_PUNCTUATION.search(selected, pos=trimmed_start - start)
    trimmed_end = start + (trailing.start() if trailing else len(selected))
    if trimmed_start >= trimmed_end:
        return start, end
    return trimmed_start, trimmed_end
