"""The layered layout of the argument map (annotate.layered): ranks ordered so that few
edges cross, bends for edges that pass ranks, and places that keep every gap."""

import random
from itertools import combinations

from annotate import layered


def brute_crossings(rows, segments) -> int:
    position = {item: i for row in rows for i, item in enumerate(row)}
    rank = {item: r for r, row in enumerate(rows) for item in row}
    return sum(
        1
        for (a, b), (c, d) in combinations(segments, 2)
        if rank[a] == rank[c] and (position[a] - position[c]) * (position[b] - position[d]) < 0
    )


def test_the_crossing_count_equals_counting_every_pair():
    rng = random.Random(3)
    for _ in range(200):
        rows = [[(r, i) for i in range(rng.randint(1, 6))] for r in range(3)]
        segments = [(rng.choice(rows[r]), rng.choice(rows[r + 1])) for r in range(2) for _ in range(rng.randint(0, 8))]
        assert layered.crossings(rows, segments) == brute_crossings(rows, segments)


def test_two_trees_given_interleaved_are_untangled():
    # a and b on top; a's children x, z and b's children y, w, given in the order x y z w.
    rank = {"a": 0, "b": 0, "x": 1, "y": 1, "z": 1, "w": 1}
    edges = [("a", "x"), ("b", "y"), ("a", "z"), ("b", "w")]
    graph = layered.order(list(rank), rank, edges)
    assert layered.crossings([["a", "b"], ["x", "y", "z", "w"]], graph.segments) == 1
    assert layered.crossings(graph.rows, graph.segments) == 0
    assert graph.rows == [["a", "b"], ["x", "z", "y", "w"]]


def test_an_edge_that_passes_ranks_bends_on_each_rank_between():
    rank = {"top": 0, "middle": 1, "bottom": 3}
    graph = layered.order(list(rank), rank, [("top", "bottom"), ("top", "middle")])
    assert graph.bends == [[("bend", 0, 0), ("bend", 0, 1)], []]
    assert graph.rows[1] in (["middle", ("bend", 0, 0)], [("bend", 0, 0), "middle"])
    assert graph.rows[2] == [("bend", 0, 1)]
    assert set(graph.segments) == {
        ("top", ("bend", 0, 0)),
        (("bend", 0, 0), ("bend", 0, 1)),
        (("bend", 0, 1), "bottom"),
        ("top", "middle"),
    }
    assert len(graph.segments) == 4


def test_an_edge_within_one_rank_takes_no_part_in_the_order():
    rank = {"a": 0, "b": 0}
    graph = layered.order(["a", "b"], rank, [("a", "b")])
    assert (graph.rows, graph.bends, graph.segments, graph.level) == ([["a", "b"]], [[]], [], [("a", "b")])


def test_places_keep_the_order_and_every_gap_and_a_lone_chain_runs_straight():
    rng = random.Random(11)
    for _ in range(50):
        rank = {n: rng.randint(0, 4) for n in range(rng.randint(2, 25))}
        edges = [(a, b) for a, b in combinations(rank, 2) if rng.random() < 0.15]
        graph = layered.order(list(rank), rank, edges)
        centre = layered.place(graph, width=lambda item: 0 if isinstance(item, tuple) else 100, gap=lambda a, b: 10)
        for row in graph.rows:
            for left, right in zip(row, row[1:], strict=False):
                least = (0 if isinstance(left, tuple) else 50) + (0 if isinstance(right, tuple) else 50) + 10
                assert centre[right] - centre[left] >= least - 1e-6
    rank = {"a": 0, "b": 1, "c": 2, "d": 0, "e": 0}
    graph = layered.order(list(rank), rank, [("a", "b"), ("b", "c")])
    centre = layered.place(graph, width=lambda item: 100, gap=lambda a, b: 10)
    assert centre["a"] == centre["b"] == centre["c"]


def test_unconnected_parts_sit_side_by_side_without_spreading_each_other():
    # Two stars: p over p1..p3, q over q1..q3; each part is as wide as its widest rank.
    rank = {"p": 0, "q": 0, **{f"p{i}": 1 for i in range(3)}, **{f"q{i}": 1 for i in range(3)}}
    edges = [("p", f"p{i}") for i in range(3)] + [("q", f"q{i}") for i in range(3)]
    graph = layered.order(list(rank), rank, edges)
    centre = layered.place(graph, width=lambda item: 100, gap=lambda a, b: 10)
    at = {item: x - centre["p0"] for item, x in centre.items()}
    assert [at[f"p{i}"] for i in range(3)] == [0.0, 110.0, 220.0]
    assert at["p"] == 110.0
    assert [at[f"q{i}"] for i in range(3)] == [330.0, 440.0, 550.0]
    assert at["q"] == 440.0
