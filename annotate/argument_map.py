"""The layout of the argument map of one layer: its units as boxes and its relations
as arrows, in ranks from the main conclusion down. Plain data in, plain data out;
nothing from Django.

The ranks are ours: a main conclusion, and a unit that points to nothing, is on the top
rank, and every other linked unit one rank below the lowest unit it points to (a cycle
is cut where it closes). The order within each rank, which keeps arrows from crossing,
and the bends of arrows that pass a rank come from a layered (Sugiyama-style) layout,
`annotate.layered` (docs/argument-map.md measures it). Units that no relation touches are drawn apart,
below the map, as loose units. `annotate.map_svg` draws the layout.

Like the outline, the map goes by a label's role, never its name; a relation type is
drawn by what its name says (supports, attacks, or neither), and a claim that has a
stance but no relation of its own hangs under the main conclusion by its stance.
"""

import textwrap
from dataclasses import dataclass, field

from annotate import layered
from annotate.structure import MAIN, SUPPORT_NAMES, Scheme

# Relation type names (in lower case) that mean "the source argues against the target".
ATTACK_NAMES = frozenset({"attacks", "attack", "rebuts", "rebut", "undercuts", "undercut", "contradicts"})
SUPPORT, ATTACK, OTHER, STANCE = "support", "attack", "other", "stance"

# Sizes in px. A box is WIDTH wide; its quote is cut to QUOTE_LINES lines of about
# LINE_CHARS characters (a conservative guess for 12 px sans-serif, as the file may be
# opened where other fonts are installed).
WIDTH = 220
H_GAP = 30
BEND_GAP = 14  # beside an arrow's bend
V_GAP = 64
MARGIN = 24
HEADER = 20
LINE = 15
LINE_CHARS = 31
QUOTE_LINES = 3
LEGEND = 44  # the legend, above the top rank
MUTED = "#5f6b7a"  # a stance link's colour


@dataclass(frozen=True)
class MapUnit:
    id: int
    number: int  # in text order, from 1
    label: str
    colour: str  # the label's
    attributes: dict
    quote: str
    start: int = 0

    @property
    def tag(self) -> str:
        """What the box's head says: "3 · Claim · For"."""
        return " · ".join([str(self.number), self.label, *map(str, self.attributes.values())])


@dataclass(frozen=True)
class MapLink:
    source: int
    target: int
    type: str  # the relation type's name; for a stance link, the stance
    colour: str
    kind: str = OTHER  # SUPPORT, ATTACK, OTHER, STANCE


@dataclass
class Box:
    unit: MapUnit
    x: float
    y: float
    height: float
    lines: list[str]
    rank: int | None  # None for a loose unit
    width: float = WIDTH

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass
class Arrow:
    link: MapLink
    points: list[tuple[float, float]]  # from the source's edge to the target's
    arc: bool = False  # between units of one rank: up from one's top, over, down to the other's


@dataclass
class MapLayout:
    boxes: list[Box]  # the ranked units, then the loose ones
    arrows: list[Arrow]
    width: float
    height: float
    loose_top: float | None = None  # where the loose units' group begins
    legend: list[MapLink] = field(default_factory=list)  # one link of each type drawn
    top: int | None = None  # where a reader starts: the first main conclusion, else the first unit on top

    def box(self, unit_id: int) -> Box:
        return next(box for box in self.boxes if box.unit.id == unit_id)


def kind_of(relation_type: str) -> str:
    name = relation_type.lower()
    return SUPPORT if name in SUPPORT_NAMES else ATTACK if name in ATTACK_NAMES else OTHER


def stance_links(units: list[MapUnit], links: list[MapLink], *, scheme: Scheme) -> list[MapLink]:
    """The outline's rule: with exactly one main conclusion, a claim of a label with a
    stance attribute that has a stance and no relation of its own hangs under it."""
    roles = scheme.roles()
    mains = [unit for unit in units if roles.get(unit.label) == MAIN]
    if len(mains) != 1:
        return []
    stance_claims = scheme.stance_claims()
    pointing = {link.source for link in links}
    return [
        MapLink(unit.id, mains[0].id, unit.attributes["stance"], MUTED, STANCE)
        for unit in units
        if unit.label in stance_claims and unit.id not in pointing and unit.attributes.get("stance")
    ]


def ranks(units: list[MapUnit], links: list[MapLink], *, main_ids: set[int]) -> dict[int, int]:
    """Each linked unit's rank, 0 at the top: the main conclusions and the units that
    point to nothing are on rank 0, every other unit one rank below the lowest unit it
    points to. A main conclusion's own links, and the link that closes a cycle, do
    not count."""
    order = {unit.id: index for index, unit in enumerate(units)}
    below: dict[int, list[int]] = {unit.id: [] for unit in units}  # target → its sources
    points_up = set()
    for link in links:
        if link.source not in main_ids:
            below[link.target].append(link.source)
            points_up.add(link.source)
    for sources in below.values():
        sources.sort(key=order.__getitem__)
    tops = sorted(main_ids & set(order), key=order.__getitem__)
    tops += [unit.id for unit in units if unit.id not in points_up and unit.id not in main_ids]
    tops += [unit.id for unit in units]  # what is left: units on a cycle of their own
    # Depth-first from the tops: a link back to a unit on the current path closes a cycle.
    kept: dict[int, list[int]] = {unit.id: [] for unit in units}
    finished: list[int] = []
    state: dict[int, int] = {}  # 1 on the path, 2 done
    for top in tops:
        if top in state:
            continue
        state[top] = 1
        stack = [(top, iter(below[top]))]
        while stack:
            node, sources = stack[-1]
            source = next(sources, None)
            if source is None:
                stack.pop()
                state[node] = 2
                finished.append(node)
            elif state.get(source) != 1:
                kept[node].append(source)
                if source not in state:
                    state[source] = 1
                    stack.append((source, iter(below[source])))
    rank = dict.fromkeys(order, 0)
    for node in reversed(finished):  # a topological order of the kept links
        for source in kept[node]:
            rank[source] = max(rank[source], rank[node] + 1)
    return rank


def quote_lines(quote: str) -> list[str]:
    lines = textwrap.wrap(" ".join(quote.split()), LINE_CHARS, max_lines=QUOTE_LINES, placeholder=" …")
    return lines or [""]


def box_height(lines: list[str]) -> float:
    return HEADER + 8 + LINE * len(lines)


def layout(units: list[MapUnit], links: list[MapLink], *, scheme: Scheme) -> MapLayout:
    """Where each unit's box and each link's arrow goes. `units` in text order; `links`
    the relations, to which the claims' stance links are added."""
    roles = scheme.roles()
    links = [*links, *stance_links(units, links, scheme=scheme)]
    linked = {link.source for link in links} | {link.target for link in links}
    ranked = [unit for unit in units if unit.id in linked]
    rank = ranks(ranked, links, main_ids={unit.id for unit in ranked if roles.get(unit.label) == MAIN})
    boxes, arrows = _place_ranked(ranked, links, rank)
    width = max([box.x + box.width for box in boxes], default=MARGIN)
    height = max([box.bottom for box in boxes], default=MARGIN + LEGEND)
    loose = [unit for unit in units if unit.id not in linked]
    loose_top = None
    if loose:
        loose_top = height + (V_GAP if ranked else 0)
        per_row = max(4, int((width - MARGIN) // (WIDTH + H_GAP)))
        boxes += _place_loose(loose, top=loose_top + 26, per_row=per_row)
        height = max(box.bottom for box in boxes)
        width = max(width, MARGIN + min(per_row, len(loose)) * (WIDTH + H_GAP) - H_GAP)
    legend = list({(link.type, link.kind): link for link in links if link.kind != STANCE}.values())
    legend += [link for link in links if link.kind == STANCE][:1]
    tops = [unit.id for unit in ranked if roles.get(unit.label) == MAIN] + [u.id for u in ranked if rank[u.id] == 0]
    return MapLayout(boxes, arrows, width + MARGIN, height + MARGIN, loose_top, legend, next(iter(tops), None))


def _place_ranked(ranked: list[MapUnit], links: list[MapLink], rank: dict[int, int]) -> tuple[list[Box], list[Arrow]]:
    """The boxes of the linked units, rank under rank, and the arrows between them."""
    graph = layered.order(
        [("unit", unit.id) for unit in ranked],
        {("unit", unit.id): rank[unit.id] for unit in ranked},
        [(("unit", link.target), ("unit", link.source)) for link in links],
    )
    # Boxes WIDTH wide, H_GAP apart; a bend as thin as a line, BEND_GAP from its neighbours.
    centre = layered.place(
        graph,
        width=lambda item: WIDTH if item[0] == "unit" else 0,
        gap=lambda left, right: H_GAP if left[0] == right[0] == "unit" else BEND_GAP,
    )
    left = min((centre[item] - (WIDTH / 2 if item[0] == "unit" else 0) for item in centre), default=0)
    row_of = {item: r for r, row in enumerate(graph.rows) for item in row}

    def x_of(key: tuple) -> float:
        return MARGIN + centre[key] - left

    lines = {unit.id: quote_lines(unit.quote) for unit in ranked}
    row_height = [0.0] * (max(rank.values(), default=-1) + 1)
    for unit in ranked:
        row_height[rank[unit.id]] = max(row_height[rank[unit.id]], box_height(lines[unit.id]))
    row_top = [MARGIN + LEGEND + sum(row_height[:r]) + r * V_GAP for r in range(len(row_height))]
    boxes = {
        unit.id: Box(
            unit,
            x_of(("unit", unit.id)) - WIDTH / 2,
            row_top[rank[unit.id]],
            box_height(lines[unit.id]),
            lines[unit.id],
            rank[unit.id],
        )
        for unit in ranked
    }
    arrows = [
        Arrow(link, [(x_of(bend), row_top[row_of[bend]] + row_height[row_of[bend]] / 2) for bend in bends])
        for link, bends in zip(links, graph.bends, strict=True)
    ]
    for arrow in arrows:
        _attach(arrow, boxes[arrow.link.source], boxes[arrow.link.target])
    _spread(arrows, boxes)
    return list(boxes.values()), arrows


def _place_loose(loose: list[MapUnit], *, top: float, per_row: int) -> list[Box]:
    """The boxes of the loose units, in rows of `per_row` in text order from `top`."""
    boxes = []
    for start in range(0, len(loose), per_row):
        row = [(unit, quote_lines(unit.quote)) for unit in loose[start : start + per_row]]
        for column, (unit, lines) in enumerate(row):
            boxes.append(Box(unit, MARGIN + column * (WIDTH + H_GAP), top, box_height(lines), lines, None))
        top += max(box_height(lines) for _, lines in row) + H_GAP
    return boxes


def _attach(arrow: Arrow, source: Box, target: Box) -> None:
    """Begin the arrow at its source's edge and end it at its target's: the top or
    bottom facing the other, both tops for units of one rank (an arc above them)."""
    if source.rank == target.rank:
        lift = source.y - V_GAP / 3
        arrow.points = [
            (source.centre, source.y),
            (source.centre, lift),
            (target.centre, lift),
            (target.centre, target.y),
        ]
        arrow.arc = True
        return
    upward = source.rank > target.rank
    start = (source.centre, source.y if upward else source.bottom)
    end = (target.centre, target.bottom if upward else target.y)
    middle = sorted(arrow.points, key=lambda point: -point[1] if upward else point[1])
    arrow.points = [start, *middle, end]


def _spread(arrows: list[Arrow], boxes: dict[int, Box]) -> None:
    """Arrows meeting one side of a box meet it side by side, in the order of where they
    come from, so that their heads do not pile up."""
    ends: dict[tuple[int, float], list[tuple[float, Arrow, int]]] = {}
    for arrow in arrows:
        for unit_id, at, neighbour in ((arrow.link.source, 0, 1), (arrow.link.target, -1, -2)):
            ends.setdefault((unit_id, arrow.points[at][1]), []).append((arrow.points[neighbour][0], arrow, at))
    for (unit_id, _), meeting in ends.items():
        box = boxes[unit_id]
        step = min(16.0, box.width * 0.8 / max(len(meeting) - 1, 1))
        meeting.sort(key=lambda end: end[0])
        for i, (_, arrow, at) in enumerate(meeting):
            x = box.centre + (i - (len(meeting) - 1) / 2) * step
            y = arrow.points[at][1]
            arrow.points[at] = (x, y)
            if arrow.arc:  # it rises straight from its ends
                turn = 1 if at == 0 else -2
                arrow.points[turn] = (x, arrow.points[turn][1])
