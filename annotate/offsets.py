"""Offsets at the browser boundary: UTF-16 code units in, code points stored.

The browser counts UTF-16 code units (🙂 is two), Python and the database count code
points (🙂 is one). Every offset that comes from a page is converted here, once.
Django-free.
"""

from functools import lru_cache


class OffsetError(ValueError):
    """An offset that does not name a place between two characters of the text."""


@lru_cache(maxsize=64)
def _has_astral(text: str) -> bool:
    """Whether `text` holds a character outside the Basic Multilingual Plane (two UTF-16
    code units); kept for the texts last asked about, as every change converts two
    offsets of its article's text, which a long article would otherwise encode whole."""
    return bool(text) and max(text) > "\uffff"


def utf16_to_code_point(text: str, offset: int) -> int:
    """The code-point offset of UTF-16 `offset` in `text`.

    Refused: an offset outside the text, and one that falls between the two halves
    of a surrogate pair (the middle of an astral character such as 🙂).
    """
    if not _has_astral(text):  # one code unit a character: the offsets agree
        if offset < 0 or offset > len(text):
            raise OffsetError(f"The offset {offset} lies outside the text.")
        return offset
    encoded = text.encode("utf-16-le")
    if offset < 0 or 2 * offset > len(encoded):
        raise OffsetError(f"The offset {offset} lies outside the text.")
    head = encoded[: 2 * offset]
    # A high surrogate as the last unit of the head means the cut splits a pair.
    if head and 0xD8 <= head[-1] <= 0xDB:
        raise OffsetError(f"The offset {offset} falls inside a character (between the halves of a surrogate pair).")
    return len(head.decode("utf-16-le"))


def code_point_to_utf16(text: str, offset: int) -> int:
    """The UTF-16 offset of code-point `offset` in `text`."""
    return len(text[:offset].encode("utf-16-le")) // 2
