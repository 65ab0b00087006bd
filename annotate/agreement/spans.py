"""Agreement between two annotators' span annotations: unit alignment, span F1, character kappa.

A unit is ``(label, spans)``: a label and one or more half-open character ranges
``[start, end)`` (several when the unit is discontinuous). ``spans`` may be a single
``(start, end)`` pair or an iterable of them. An annotator's units come as a mapping from a
unit id to the unit (the ids are what relations point at) or as a plain sequence (ids are the
positions). A unit is compared by the set of characters it covers: its spans are sorted and
overlapping or touching spans merged first, so ``[(0, 5), (5, 9)]`` equals ``[(0, 9)]``.

Matching criteria between a unit a of one annotator and b of the other:

* ``"exact"``: same label and the same characters (for a single span: same start and end).
* ``"overlap"``: same label and |a ∩ b| / max(|a|, |b|) > 0.5, counting characters over all
  spans of each unit; exactly 0.5 does not match. Units are paired one-to-one: the most
  pairs possible, and among those the pairing with the largest total overlap.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._intervals import merge_intervals, overlapping_pairs
from .coding import cohen_kappa
from .pairwise import PairwiseScores, pairwise_macro

Span = tuple[int, int]
UnitLike = tuple[Hashable, Span | Iterable[Span]]
Units = Mapping[Hashable, UnitLike] | Sequence[UnitLike]
Criterion = Literal["exact", "overlap"]


def normalize_spans(spans: Span | Iterable[Span]) -> tuple[Span, ...]:
    """A unit's spans as sorted, disjoint ``(start, end)`` pairs: overlapping or touching spans
    are merged and empty ones dropped. Raises ``ValueError`` for a negative start or end < start."""
    if isinstance(spans, tuple) and len(spans) == 2 and isinstance(spans[0], int | np.integer):
        spans = (spans,)
    elif not isinstance(spans, list | tuple):
        spans = list(spans)
    if len(spans) == 1:
        # Most units are one span: skip the sort and merge.
        start, end = int(spans[0][0]), int(spans[0][1])
        if start < 0 or end < start:
            raise ValueError(f"a span must satisfy 0 <= start <= end, got ({start}, {end})")
        return ((start, end),) if start < end else ()
    merged: list[list[int]] = []
    for start, end in sorted([(int(s), int(e)) for s, e in spans]):
        if start < 0 or end < start:
            raise ValueError(f"a span must satisfy 0 <= start <= end, got ({start}, {end})")
        if start == end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


class _UnitTable:
    """One annotator's units, normalised once and laid out for vectorised comparison."""

    def __init__(self, units: Units):
        items = units.items() if isinstance(units, Mapping) else enumerate(units)
        self.keys: list[Hashable] = []
        self.units: list[tuple[Hashable, tuple[Span, ...]]] = []
        lengths: list[int] = []
        # Per label: the flattened spans and which unit each belongs to.
        rows: dict[Hashable, tuple[list[int], list[int], list[int]]] = defaultdict(lambda: ([], [], []))
        for index, (key, (label, spans)) in enumerate(items):
            spans = normalize_spans(spans)
            self.keys.append(key)
            self.units.append((label, spans))
            owner, starts, ends = rows[label]
            total = 0
            for start, end in spans:
                owner.append(index)
                starts.append(start)
                ends.append(end)
                total += end - start
            lengths.append(total)
        self.lengths = np.array(lengths, dtype=np.int64)
        self.spans_by_label = {
            label: tuple(np.array(column, dtype=np.int64) for column in columns) for label, columns in rows.items()
        }

    def __len__(self) -> int:
        return len(self.units)


def _exact_alignment(table_a: _UnitTable, table_b: _UnitTable) -> list[tuple[int, int]]:
    waiting: dict[tuple, list[int]] = defaultdict(list)
    for index in reversed(range(len(table_b))):
        waiting[table_b.units[index]].append(index)
    pairs = []
    for index, unit in enumerate(table_a.units):
        if waiting.get(unit):
            pairs.append((index, waiting[unit].pop()))
    return pairs


def _overlap_candidates(table_a: _UnitTable, table_b: _UnitTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit pairs (a, b) of the same label overlapping by more than half the longer one, with that ratio."""
    found_a, found_b, found_ratio = [], [], []
    for label, (owner_a, start_a, end_a) in table_a.spans_by_label.items():
        if label not in table_b.spans_by_label:
            continue
        owner_b, start_b, end_b = table_b.spans_by_label[label]
        ia, ib, shared = overlapping_pairs(start_a, end_a, start_b, end_b)
        # A discontinuous unit can meet another in several places: add up per unit pair.
        pair_key = owner_a[ia] * len(table_b) + owner_b[ib]
        keys, inverse = np.unique(pair_key, return_inverse=True)
        shared_total = np.bincount(inverse, weights=shared).astype(np.int64)
        a, b = keys // len(table_b), keys % len(table_b)
        longer = np.maximum(table_a.lengths[a], table_b.lengths[b])
        # Integer comparison, so that exactly half is reliably not a match.
        keep = 2 * shared_total > longer
        found_a.append(a[keep])
        found_b.append(b[keep])
        found_ratio.append(shared_total[keep] / longer[keep])
    if not found_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_ratio)


def _one_to_one(a: np.ndarray, b: np.ndarray, ratio: np.ndarray, size_a: int, size_b: int) -> list[tuple[int, int]]:
    """A maximum matching of the candidate pairs, preferring larger overlaps among maximum ones."""
    degree_a = np.bincount(a, minlength=size_a)
    degree_b = np.bincount(b, minlength=size_b)
    # Usually every unit has at most one candidate; only the rest needs solving.
    alone = (degree_a[a] == 1) & (degree_b[b] == 1)
    pairs = list(zip(a[alone].tolist(), b[alone].tolist(), strict=True))
    a, b, ratio = a[~alone], b[~alone], ratio[~alone]
    if len(a) == 0:
        return pairs
    nodes_a, local_a = np.unique(a, return_inverse=True)
    nodes_b, local_b = np.unique(b, return_inverse=True)
    count = len(nodes_a) + len(nodes_b)
    graph = coo_matrix((np.ones(len(a)), (local_a, len(nodes_a) + local_b)), shape=(count, count))
    _, component = connected_components(graph, directed=False)
    for c in np.unique(component[local_a]):
        edges = np.flatnonzero(component[local_a] == c)
        rows, row_index = np.unique(local_a[edges], return_inverse=True)
        cols, col_index = np.unique(local_b[edges], return_inverse=True)
        # Each matched pair is worth 1 plus a bonus below 1/(pairs possible), so more pairs
        # always win and the bonus only breaks ties towards larger overlap.
        score = np.zeros((len(rows), len(cols)))
        score[row_index, col_index] = 1.0 + ratio[edges] / (min(len(rows), len(cols)) + 1.0)
        for r, k in zip(*linear_sum_assignment(score, maximize=True), strict=True):
            if score[r, k] > 0:
                pairs.append((int(nodes_a[rows[r]]), int(nodes_b[cols[k]])))
    return pairs


def align_units(units_a: Units, units_b: Units, *, criterion: Criterion = "exact") -> list[tuple[Hashable, Hashable]]:
    """The one-to-one pairing of annotator A's units with annotator B's under the criterion.

    Returns ``(id in A, id in B)`` pairs; units left out have no counterpart. Under
    ``"exact"`` duplicate units pair up in order of appearance. Empty input gives ``[]``.
    """
    table_a, table_b = _UnitTable(units_a), _UnitTable(units_b)
    return [(table_a.keys[i], table_b.keys[j]) for i, j in _align(table_a, table_b, criterion)]


def align_pairs(
    units_by_annotator: Mapping[Hashable, Units], *, criteria: Iterable[Criterion] = ("exact",)
) -> dict[Criterion, dict[tuple[Hashable, Hashable], list[tuple[Hashable, Hashable]]]]:
    """``align_units`` for every unordered pair of annotators under each criterion:
    ``{criterion: {(annotator, annotator): [(id, id), ...]}}``, pairs keyed like ``pairwise_macro``.

    Each annotator's units are laid out once, not once per pair and criterion, which is what
    makes a project with several annotators and thousands of articles cheap to compare.
    """
    criteria = list(criteria)
    for criterion in criteria:
        _check_criterion(criterion)
    tables = {annotator: _UnitTable(units) for annotator, units in units_by_annotator.items()}
    return {
        criterion: {
            (a, b): [(tables[a].keys[i], tables[b].keys[j]) for i, j in _align(tables[a], tables[b], criterion)]
            for a, b in itertools.combinations(tables, 2)
        }
        for criterion in criteria
    }


def _check_criterion(criterion: str) -> None:
    if criterion not in ("exact", "overlap"):
        raise ValueError(f"unknown span criterion: {criterion!r} (use 'exact' or 'overlap')")


def _align(table_a: _UnitTable, table_b: _UnitTable, criterion: Criterion) -> list[tuple[int, int]]:
    _check_criterion(criterion)
    if criterion == "exact":
        return _exact_alignment(table_a, table_b)
    a, b, ratio = _overlap_candidates(table_a, table_b)
    return _one_to_one(a, b, ratio, len(table_a), len(table_b))


def f1(matched: int, count_a: int, count_b: int) -> float | None:
    """F1 of `matched` pairs between sets of `count_a` and `count_b` items (None for two empty sets)."""
    # F1 is symmetric: 2 * matched / (|A| + |B|), whichever annotator is the reference.
    if count_a + count_b == 0:
        return None
    return 2.0 * matched / (count_a + count_b)


def span_f1(units_a: Units, units_b: Units, *, criterion: Criterion = "exact") -> float | None:
    """F1 between two annotators' units: 2 * matched / (|A| + |B|), symmetric in A and B.

    Units match one-to-one under ``criterion`` (``"exact"`` or ``"overlap"``, see the module
    docstring). Returns ``None`` when neither annotator has any unit (nothing to agree on),
    and 0.0 when only one of them has.
    """
    return _span_f1(_UnitTable(units_a), _UnitTable(units_b), criterion)


def _span_f1(table_a: _UnitTable, table_b: _UnitTable, criterion: Criterion) -> float | None:
    return f1(len(_align(table_a, table_b, criterion)), len(table_a), len(table_b))


def span_f1_macro(units_by_annotator: Mapping[Hashable, Units], *, criterion: Criterion = "exact") -> PairwiseScores:
    """Span F1 for every pair of annotators and its mean over the pairs where it is defined.

    Takes a mapping from annotator to that annotator's units. With fewer than two annotators
    there are no pairs and the mean is ``None``.
    """
    _check_criterion(criterion)
    tables = {annotator: _UnitTable(units) for annotator, units in units_by_annotator.items()}
    return pairwise_macro(tables, lambda a, b: _span_f1(a, b, criterion))


def character_kappa(
    units_a: Units, units_b: Units, *, text_length: int, labels: Iterable[Hashable] | None = None
) -> dict[Hashable, float | None]:
    """Cohen's kappa per label over the characters of a text, for two annotators.

    Each of the ``text_length`` characters is, for each label, present (covered by some unit
    of that label) or absent, per annotator; kappa compares those two yes/no sequences.
    ``labels`` chooses the labels reported (default: every label either annotator used).
    A label is ``None`` when undefined: the text is empty, or both annotators mark every
    character or both mark none (kappa has no chance variation to correct). Raises
    ``ValueError`` when a span reaches past ``text_length``.
    """
    table_a, table_b = _UnitTable(units_a), _UnitTable(units_b)
    for table in (table_a, table_b):
        for _, _, ends in table.spans_by_label.values():
            if len(ends) and ends.max() > text_length:
                raise ValueError(f"a span ends at {ends.max()}, past the text length {text_length}")
    if labels is None:
        labels = list(dict.fromkeys([*table_a.spans_by_label, *table_b.spans_by_label]))
    empty = (np.zeros(0, dtype=np.int64),) * 3
    result: dict[Hashable, float | None] = {}
    for label in labels:
        start_a, end_a = merge_intervals(*table_a.spans_by_label.get(label, empty)[1:])
        start_b, end_b = merge_intervals(*table_b.spans_by_label.get(label, empty)[1:])
        covered_a = int((end_a - start_a).sum())
        covered_b = int((end_b - start_b).sum())
        both = int(overlapping_pairs(start_a, end_a, start_b, end_b)[2].sum())
        neither = text_length - covered_a - covered_b + both
        result[label] = cohen_kappa([[both, covered_a - both], [covered_b - both, neither]])
    return result
