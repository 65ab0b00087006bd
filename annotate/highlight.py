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
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    # Each unit's opening tag, as it is first met (with its id and its tag for the
    # label drawn by CSS) and as it is continued after a boundary: built once per unit,
    # not once per segment.
    first_tag: dict[int, str] = {}
    next_tag: dict[int, str] = {}
    first_start = {item.unit_id: item.spans[0][0] for item in highlights}
    for item in highlights:
        unit_id, lane = item.unit_id, lane_of[item.unit_id]
        for start, end in item.spans:
            starts.setdefault(start, []).append(unit_id)
            ends.setdefault(end, []).append(unit_id)
        opening = f'<mark class="u label-{item.label_id} lane-{min(lane, 3)}" data-unit="{unit_id}"'
        first_tag[unit_id] = f'{opening} id="u-{unit_id}" data-tag="{escape(item.tag)}">'
        next_tag[unit_id] = f"{opening}>"
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
        ordered = sorted(active, key=lambda unit_id: (lane_of[unit_id], unit_id)) if len(active) > 1 else active
        for unit_id in ordered:
            parts.append(first_tag[unit_id] if first_start[unit_id] == start else next_tag[unit_id])
        parts.append(chunk)
        parts.append("</mark>" * len(ordered))
    return "".join(parts)
