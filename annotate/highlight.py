"""The article text as HTML with every argument unit highlighted: one source of truth
for what the annotator sees.

The text is cut at every span boundary into segments; each segment is wrapped in one
`<mark>` per unit covering it, outermost first, so overlapping units show at once
(nested marks, each with its own underline lane) and a discontinuous unit is the same
`data-unit` in several places. Nothing but the article's own characters reaches the
text nodes (label names are drawn by CSS from `data-tag`), so the browser's offsets
into the element are offsets into the article. Django-free.
"""

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Highlight:
    unit_id: int
    label_id: int
    tag: str  # shown before the unit's first character, e.g. "Claim · For"
    spans: tuple[tuple[int, int], ...]  # code points, sorted, non-overlapping


def lanes(highlights: list[Highlight]) -> dict[int, int]:
    """Give overlapping units different lanes (0, 1, …): greedy interval colouring
    over each unit's extent, longer units first where they start together."""
    lane_ends: list[int] = []
    result = {}
    for item in sorted(highlights, key=lambda h: (h.spans[0][0], -h.spans[-1][1], h.unit_id)):
        start, end = item.spans[0][0], item.spans[-1][1]
        lane = next((index for index, lane_end in enumerate(lane_ends) if lane_end <= start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        result[item.unit_id] = lane
    return result


def render(text: str, highlights: list[Highlight]) -> str:
    """The HTML of `text` with `highlights` as nested `<mark>` elements (escaped; safe
    to put straight into a template)."""
    lane_of = lanes(highlights)
    by_id = {item.unit_id: item for item in highlights}
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for item in highlights:
        for start, end in item.spans:
            starts.setdefault(start, []).append(item.unit_id)
            ends.setdefault(end, []).append(item.unit_id)
    first_start = {item.unit_id: item.spans[0][0] for item in highlights}
    boundaries = sorted({0, len(text), *starts, *ends})
    active: set[int] = set()
    parts = []
    for start, end in zip(boundaries, boundaries[1:], strict=False):
        active.difference_update(ends.get(start, ()))
        active.update(starts.get(start, ()))
        chunk = escape(text[start:end], quote=False)
        if not active:
            parts.append(chunk)
            continue
        ordered = sorted(active, key=lambda unit_id: (lane_of[unit_id], unit_id))
        opening = []
        for unit_id in ordered:
            item = by_id[unit_id]
            attributes = f'class="u label-{item.label_id} lane-{min(lane_of[unit_id], 3)}" data-unit="{unit_id}"'
            if first_start[unit_id] == start:
                attributes += f' id="u-{unit_id}" data-tag="{escape(item.tag)}"'
            opening.append(f"<mark {attributes}>")
        parts.append("".join(opening) + chunk + "</mark>" * len(ordered))
    return "".join(parts)
