"""A layered (Sugiyama-style) drawing of a graph whose ranks are given: which order the
items of each rank go in so that few edges cross, and where along its rank each item's
centre goes. Plain data in, plain data out; the argument map (`annotate.argument_map`)
is its one user, and docs/argument-map.md measures it.

An edge that passes ranks goes through a bend on each rank between its ends (a dummy
item, as thin as a line), so that every segment joins two neighbouring ranks; an edge
between two items of one rank takes no part in the ordering (the map draws it as an
arc above them).

1. **Order**: the items of each rank start in the order given, then sweep down and up
   the ranks, each rank sorted by the mean position of its neighbours on the rank just
   fixed (the barycentre heuristic), keeping the order with fewest crossings seen; then
   neighbours within a rank are swapped while a swap removes crossings (transposition).
2. **Place**: each rank's centres are a least-squares fit to where their neighbours on
   the next rank are, keeping the order and the gaps (pooling adjacent violators), swept
   down and up a few times, so that edges run as straight as the boxes let them.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

SWEEPS = 24  # at most, down and up; stops after four without fewer crossings
PLACE_SWEEPS = 4


@dataclass
class Layered:
    rows: list[list[Hashable]]  # each rank's items, left to right: the nodes and the bends
    bends: list[list[Hashable]]  # each edge's bends, from its first node's rank towards its second's
    segments: list[tuple[Hashable, Hashable]]  # (upper, lower): every piece of every edge that joins two ranks
    level: list[tuple[Hashable, Hashable]] = field(default_factory=list)  # the edges within one rank


def order(nodes: list[Hashable], rank: dict[Hashable, int], edges: list[tuple[Hashable, Hashable]]) -> Layered:
    """The ranks' orders for `nodes` (each on `rank[node]`, 0 at the top) joined by `edges`."""
    count = max((rank[node] for node in nodes), default=-1) + 1
    rows: list[list[Hashable]] = [[] for _ in range(count)]
    for node in nodes:
        rows[rank[node]].append(node)
    bends: list[list[Hashable]] = []
    segments: list[tuple[Hashable, Hashable]] = []
    level: list[tuple[Hashable, Hashable]] = []
    for number, (first, second) in enumerate(edges):
        step = 1 if rank[second] > rank[first] else -1
        path = [first]
        for row in range(rank[first] + step, rank[second], step):
            bend = ("bend", number, len(path) - 1)
            rows[row].append(bend)
            path.append(bend)
        bends.append(path[1:])
        if rank[first] == rank[second]:
            level.append((first, second))
        else:
            path.append(second)
            for a, b in zip(path, path[1:], strict=False):
                segments.append((a, b) if step == 1 else (b, a))
    _reduce_crossings(rows, segments)
    graph = Layered(rows, bends, segments, level)
    # The connected parts are placed side by side (`place`): each rank lists them so.
    parts = _parts(graph)
    graph.rows = [[item for part in parts for item in part.rows[r]] for r in range(count)]
    return graph


def place(layered: Layered, width: Callable[[Hashable], float], gap: Callable[[Hashable, Hashable], float]) -> dict:
    """Each item's centre: no two items of a rank closer than their half widths and
    `gap(left, right)`, each as near its neighbours on the other ranks as that allows.
    Each connected part of the graph is placed on its own, and the parts side by side
    in the order the ranks give them (`order` lists each rank's items part by part), so
    that one part never spreads another."""
    centre: dict[Hashable, float] = {}
    edge: dict[int, Hashable] = {}  # each rank's rightmost item placed so far
    for part in _parts(layered):
        placed = _place_part(part, width, gap)
        shift = max(
            (
                centre[edge[r]] + width(edge[r]) / 2 + gap(edge[r], row[0]) - (placed[row[0]] - width(row[0]) / 2)
                for r, row in enumerate(part.rows)
                if row and r in edge
            ),
            default=0.0,
        )
        for r, row in enumerate(part.rows):
            for item in row:
                centre[item] = placed[item] + shift
            if row:
                edge[r] = row[-1]
    return centre


def _parts(layered: Layered) -> list[Layered]:
    """The connected parts of the graph, each with its ranks' items in their order, in
    the order of their first items on the top rank that holds any."""
    part_of = {item: item for row in layered.rows for item in row}

    def find(item):
        while part_of[item] != item:
            part_of[item] = part_of[part_of[item]]
            item = part_of[item]
        return item

    for upper, lower in layered.segments:
        part_of[find(upper)] = find(lower)
    for first, second in layered.level:
        part_of[find(first)] = find(second)
    parts: dict[Hashable, Layered] = {}
    for r, row in enumerate(layered.rows):
        for item in row:
            part = parts.setdefault(find(item), Layered([[] for _ in layered.rows], [], []))
            part.rows[r].append(item)
    for upper, lower in layered.segments:
        parts[find(upper)].segments.append((upper, lower))
    for first, second in layered.level:
        parts[find(first)].level.append((first, second))
    return list(parts.values())


def _place_part(layered: Layered, width: Callable, gap: Callable) -> dict:
    up, down = _neighbours(layered.segments)
    both = {item: up.get(item, []) + down.get(item, []) for row in layered.rows for item in row}
    centre: dict[Hashable, float] = {}
    for row in layered.rows:
        at = 0.0
        for i, item in enumerate(row):
            if i:
                at += (width(row[i - 1]) + width(item)) / 2 + gap(row[i - 1], item)
            centre[item] = at
    ranks = range(len(layered.rows))
    for sweep_number in range(PLACE_SWEEPS):
        last = sweep_number >= PLACE_SWEEPS - 2  # the last sweeps look both ways
        for sweep, towards in ((ranks[1:], both if last else up), (reversed(ranks[:-1]), both if last else down)):
            for r in sweep:
                row = layered.rows[r]
                if not row:
                    continue
                targets = [_mean([centre[n] for n in towards.get(item, ())], centre[item]) for item in row]
                for item, x in zip(row, _fit(row, targets, width, gap), strict=True):
                    centre[item] = x
    return centre


def crossings(rows: list[list[Hashable]], segments: list[tuple[Hashable, Hashable]]) -> int:
    """How many pairs of segments cross between neighbouring ranks."""
    position = {item: i for row in rows for i, item in enumerate(row)}
    by_rank: dict[int, list[tuple[int, int]]] = {}
    rank_of = {item: r for r, row in enumerate(rows) for item in row}
    for upper, lower in segments:
        by_rank.setdefault(rank_of[upper], []).append((position[upper], position[lower]))
    return sum(_inversions(pairs) for pairs in by_rank.values())


def _reduce_crossings(rows: list[list[Hashable]], segments: list[tuple[Hashable, Hashable]]) -> None:
    up, down = _neighbours(segments)
    best, best_crossings = [list(row) for row in rows], crossings(rows, segments)
    ranks = range(len(rows))
    stale = 0
    for sweep in range(SWEEPS):
        if best_crossings == 0 or stale >= 4:
            break
        towards, order_ = (up, ranks[1:]) if sweep % 2 == 0 else (down, reversed(ranks[:-1]))
        position = {item: i for row in rows for i, item in enumerate(row)}
        for r in order_:
            _sort_by_barycentre(rows[r], position, towards)
        now = crossings(rows, segments)
        if now < best_crossings:
            best, best_crossings, stale = [list(row) for row in rows], now, 0
        else:
            stale += 1
    rows[:] = best
    _transpose(rows, up, down)


def _sort_by_barycentre(row: list[Hashable], position: dict, towards: dict) -> None:
    keys = {item: _mean([position[n] for n in towards.get(item, ())], position[item]) for item in row}
    row.sort(key=keys.__getitem__)  # stable: ties keep their order
    position.update((item, i) for i, item in enumerate(row))


def _transpose(rows: list[list[Hashable]], up: dict, down: dict) -> None:
    """Swap neighbours within a rank while a swap removes crossings with the ranks beside."""
    position = {item: i for row in rows for i, item in enumerate(row)}

    def cost(left: Hashable, right: Hashable) -> int:
        return sum(
            1
            for towards in (up, down)
            for a in towards.get(left, ())
            for b in towards.get(right, ())
            if position[a] > position[b]
        )

    for _ in range(len(rows) * 4):
        improved = False
        for row in rows:
            for i in range(len(row) - 1):
                left, right = row[i], row[i + 1]
                if cost(right, left) < cost(left, right):
                    row[i], row[i + 1] = right, left
                    position[left], position[right] = i + 1, i
                    improved = True
        if not improved:
            break


def _neighbours(segments: list[tuple[Hashable, Hashable]]) -> tuple[dict, dict]:
    """Each item's neighbours on the rank above, and on the rank below."""
    up: dict[Hashable, list[Hashable]] = {}
    down: dict[Hashable, list[Hashable]] = {}
    for upper, lower in segments:
        up.setdefault(lower, []).append(upper)
        down.setdefault(upper, []).append(lower)
    return up, down


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _fit(row: list, targets: list[float], width: Callable, gap: Callable) -> list[float]:
    """The centres nearest `targets` (least squares) that keep `row`'s order and gaps.
    With o each item's least distance from the first, c - o must never fall: pool
    adjacent violators (isotonic regression), one block of items at a time."""
    offsets = [0.0]
    for left, right in zip(row, row[1:], strict=False):
        offsets.append(offsets[-1] + (width(left) + width(right)) / 2 + gap(left, right))
    blocks: list[list[float]] = []  # [sum, count]
    for target, offset in zip(targets, offsets, strict=True):
        blocks.append([target - offset, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    levels = [total / count for total, count in blocks for _ in range(int(count))]
    return [level + offset for level, offset in zip(levels, offsets, strict=True)]


def _inversions(pairs: list[tuple[int, int]]) -> int:
    """Pairs (a, b), (c, d) with a < c and b > d: segments that cross (a Fenwick tree)."""
    pairs = sorted(pairs)
    size = max((b for _, b in pairs), default=0) + 1
    tree = [0] * (size + 1)
    seen = total = 0
    for _, b in pairs:
        # segments already seen with a lower end right of b (their upper end is left of, or at, ours)
        i, at_most = b + 1, 0
        while i > 0:
            at_most += tree[i]
            i -= i & -i
        total += seen - at_most
        i = b + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
        seen += 1
    return total
