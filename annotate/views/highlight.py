"""The article text as HTML with every argument unit highlighted: one source of truth
for what the annotator sees.

The text is drawn line by line: each line (its characters up to and with its "\n")
is one `<span class="line" dir="auto" id="line-START">`, so that the answer to a change can
redraw only the lines the change touches. A line is a paragraph of the text, drawn as
a block: `dir="auto"` gives it the direction of its first strong character, so an
Arabic or Hebrew paragraph runs right to left whatever the page's direction. Within a line, the text is cut at every
span boundary into segments; each segment is wrapped in one `<mark>` per unit
covering it, outermost first, so overlapping units show at once (nested marks, each
with its own underline lane) and a discontinuous unit, or one that runs over a line
break, is the same `data-unit` in several places. The marks of a unit's later spans
(the second and after of a discontinuous unit) carry the class `later`, drawn dashed:
a span cut by another unit's boundary or a line break stays solid, as it is one span. Lanes are given per line, from the
units on that line alone: a line's HTML depends on nothing outside it. Nothing but
the article's own characters reaches the text nodes (label names are drawn by CSS
from `data-tag`, and a unit with a note gets the class `has-note`, which CSS marks
after the tag, and its note as the title of its first mark), so the browser's offsets
into the element are offsets into the article. Django-free.
"""

from bisect import bisect_left, bisect_right, insort
from functools import lru_cache
from heapq import heappop, heappush
from html import escape
from typing import NamedTuple


class Highlight(NamedTuple):  # a tuple: made for every unit on every line drawn
    unit_id: int
    label_id: int
    tag: str  # shown before the unit's first character, e.g. "Claim · For"
    spans: tuple[tuple[int, int], ...]  # code points, sorted, non-overlapping
    note: str = ""  # the unit's note: its first mark says it has one, and shows it as its title
    suggested: str = ""  # a suggestion (a ghost, `unit_id` its id negated): its accessible name


def of(units) -> list[Highlight]:
    """What the text shows of units (anything with `id`, `label`, `tag` and `spans`)."""
    return [Highlight(u.id, u.label.pk, u.tag, tuple(u.spans), u.note) for u in units]


def lanes(highlights: list[Highlight]) -> dict[int, int]:
    """Give overlapping units different lanes (0, 1, …): greedy interval colouring
    over each unit's extent, longer units first where they start together; each unit
    takes the lowest lane free where it starts."""
    busy: list[tuple[int, int]] = []  # (end, lane) of the lanes taken, soonest free first
    free: list[int] = []  # lanes free again, lowest first
    result = {}
    for item in sorted(highlights, key=lambda h: (h.spans[0][0], -h.spans[-1][1], h.unit_id)):
        start, end = item.spans[0][0], item.spans[-1][1]
        while busy and busy[0][0] <= start:
            heappush(free, heappop(busy)[1])
        lane = heappop(free) if free else len(busy)
        heappush(busy, (end, lane))
        result[item.unit_id] = lane
    return result


@lru_cache(maxsize=64)
def line_starts(text: str) -> tuple[int, ...]:
    """Where each line of `text` starts: 0, and after every "\n" that is not the last
    character. Kept for the texts last asked about: every change asks it of its
    article's text two or three times, and a long article has hundreds of lines."""
    starts = [0]
    index = text.find("\n")
    while index != -1 and index + 1 < len(text):
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return tuple(starts)


def line_pieces(
    starts: list[int], ends: list[int], highlights: list[Highlight]
) -> dict[int, dict[int, list[tuple[int, int]]]]:
    """The pieces of each unit on each line it touches: line index → unit id → the
    (start, end) ranges of the unit within that line, for the lines of `line_starts`."""
    pieces: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for item in highlights:
        for start, end in item.spans:
            line = bisect_right(starts, start) - 1
            if end <= ends[line]:  # most spans lie within one line
                pieces.setdefault(line, {}).setdefault(item.unit_id, []).append((start, end))
                continue
            while line < len(starts) and starts[line] < end:
                on_line = pieces.setdefault(line, {})
                on_line.setdefault(item.unit_id, []).append((max(start, starts[line]), min(end, ends[line])))
                line += 1
    return pieces


def render(
    text: str,
    highlights: list[Highlight],
    *,
    within: tuple[int, int] | None = None,
    oob: bool = False,
    line_ids: bool = True,
) -> str:
    """The HTML of `text` with `highlights` as nested `<mark>` elements (escaped; safe
    to put straight into a template): every line, or only the lines starting in
    `within` (start, end), whose highlights must all be given. `oob` marks the lines for htmx to swap in
    by their ids; `line_ids=False` leaves the ids out, for pages showing one text
    several times."""
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    pieces = line_pieces(starts, ends, highlights)
    by_id = {item.unit_id: item for item in highlights}
    first_start = {item.unit_id: item.spans[0][0] for item in highlights}
    # Where the first span of each discontinuous unit ends: past it, the unit is in a later span.
    first_end = {item.unit_id: item.spans[0][1] for item in highlights if len(item.spans) > 1}
    swap = ' hx-swap-oob="true"' if oob else ""
    # The lines to draw: all, or those starting in `within` (found by halving, not by
    # walking every line of a long text).
    first, last = 0, len(starts)
    if within is not None:
        first, last = bisect_left(starts, within[0]), bisect_left(starts, within[1])
    parts = []
    for line in range(first, last):
        start, end = starts[line], ends[line]
        items = [by_id[unit_id]._replace(spans=tuple(spans)) for unit_id, spans in pieces.get(line, {}).items()]
        parts.append(
            f'<span class="line" dir="auto" id="line-{start}"{swap}>' if line_ids else '<span class="line" dir="auto">'
        )
        parts.append(_stretch(text, start, end, items, first_start, first_end))
        parts.append("</span>")
    return "".join(parts)


def _stretch(
    text: str,
    stretch_start: int,
    stretch_end: int,
    highlights: list[Highlight],
    first_start: dict,
    first_end: dict,
) -> str:
    """The HTML of `text[stretch_start:stretch_end]`, whose highlights (cut to it) are
    given: the text cut at every span boundary, each segment in one `<mark>` per unit
    covering it, by lane (outermost first), then by unit id. `first_start`: where each
    unit's first span starts; `first_end`: where the first span of each discontinuous
    unit ends (whole spans, not cut to the stretch): a segment starting at or past it is
    in one of that unit's later spans."""
    # Most stretches of prose hold nothing to escape: then no piece of them is looked at.
    stretch = text[stretch_start:stretch_end]
    plain = "&" not in stretch and "<" not in stretch and ">" not in stretch
    lane_of = lanes(highlights)
    # The units by rank, the order they nest in: the units covering a segment are kept
    # as a sorted list of ranks as the boundaries pass, never sorted segment by segment.
    in_rank = sorted(highlights, key=lambda item: (lane_of[item.unit_id], item.unit_id))
    # Each unit's opening tag as it is continued after a boundary within its first span,
    # as it is first met (with its id, and its tag for the label drawn by CSS), and in its
    # later spans (marked `later`): built once per unit.
    openings, first_openings, later_openings, first_starts, first_ends = [], [], [], [], []
    escaped_tags: dict[str, str] = {}  # a few tags ("Claim", "Claim · For" …) for many units
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for rank, item in enumerate(in_rank):
        unit_id = item.unit_id
        tag = escaped_tags.get(item.tag)
        if tag is None:
            tag = escaped_tags[item.tag] = escape(item.tag)
        if item.suggested:  # a ghost: never a unit (no data-unit), focusable, named as a suggestion
            opening = f'<mark class="ghost label-{item.label_id}" data-suggestion="{-unit_id}"'
            openings.append(f"{opening}>")
            first_openings.append(
                f'{opening} id="u-s{-unit_id}" data-tag="{tag}" tabindex="0" aria-label="{escape(item.suggested)}">'
            )
            later_openings.append("")
        else:
            classes = f"u label-{item.label_id} lane-{min(lane_of[unit_id], 3)}"
            opening = f'<mark class="{classes}" data-unit="{unit_id}"'
            openings.append(f"{opening}>")
            if item.note:  # the tag says so (CSS), and the note is the mark's title
                first_openings.append(
                    f'<mark class="{classes} has-note" data-unit="{unit_id}" id="u-{unit_id}" data-tag="{tag}" '
                    f'title="Note: {escape(item.note)}">'
                )
            else:
                first_openings.append(f'{opening} id="u-{unit_id}" data-tag="{tag}">')
            later_openings.append(
                f'<mark class="{classes} later" data-unit="{unit_id}">' if unit_id in first_end else ""
            )
        first_starts.append(first_start[unit_id])
        first_ends.append(first_end.get(unit_id, stretch_end))  # the stretch's end: never later in it
        for start, end in item.spans:
            starts.setdefault(start, []).append(rank)
            ends.setdefault(end, []).append(rank)
    boundaries = sorted({stretch_start, stretch_end, *starts, *ends})
    firsts = set(first_starts)  # where some unit is first met: its opening carries its id and tag
    later_from = min(first_ends, default=stretch_end)  # before it, no unit here is in a later span
    active: list[int] = []
    parts = []
    append = parts.append
    for start, end in zip(boundaries, boundaries[1:], strict=False):
        ending = ends.get(start)
        if ending:
            for rank in ending:
                active.remove(rank)
        starting = starts.get(start)
        if starting:
            for rank in starting:
                insort(active, rank)
        chunk = text[start:end] if plain else escape(text[start:end], quote=False)
        if not active:
            append(chunk)
            continue
        if start >= later_from:
            append(
                "".join(
                    [
                        later_openings[r]
                        if start >= first_ends[r]
                        else first_openings[r]
                        if first_starts[r] == start
                        else openings[r]
                        for r in active
                    ]
                )
            )
        elif start in firsts:
            append("".join([first_openings[r] if first_starts[r] == start else openings[r] for r in active]))
        else:
            append("".join(map(openings.__getitem__, active)))
        append(chunk)
        append("</mark>" * len(active))
    return "".join(parts)
