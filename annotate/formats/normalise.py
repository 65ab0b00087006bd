"""Normalising an imported text (NFC, "\\n" line ends) without moving its units."""

from collections.abc import Callable
from dataclasses import replace

import regex

from annotate.formats.plaintext import normalise_text
from annotate.formats.records import ArticleRecord

_GRAPHEME = regex.compile(r"\X")


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
