"""Krippendorff's unitizing alpha (alpha_U) for annotators who mark labelled stretches of a continuum.

Follows Krippendorff (2004, Content Analysis, 2nd ed., ch. 11) as DKPro Agreement's
``KrippendorffAlphaUnitizingAgreement`` computes it. For each label, every annotator's
continuum is cut into segments: that annotator's units of the label, and the gaps between
them (stretches not covered by a unit of the label), which count as segments too.

* Observed disagreement D_o sums, over every pair of annotators and every pair of their
  segments that overlap, the distance: (begin difference)^2 + (end difference)^2 for two
  units, the unit's length^2 for a unit lying wholly inside the other annotator's gap, and 0
  otherwise; it is scaled by 2 / (m (m - 1) L^2) for m annotators and continuum length L.
* Expected disagreement D_e is Krippendorff's closed form over all placements of the units
  within the gaps (see ``_expected``).

alpha_U = 1 - D_o / D_e per label; overall = 1 - mean(D_o) / mean(D_e) over the labels used.
Segments are found by sorting and searching, so the cost is O(n log n) in the number of
units, not quadratic, even with thousands of articles concatenated into one continuum.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

# (begin, length, annotator, label)
UnitizingUnit = tuple[int, int, Hashable, Hashable]


@dataclass(frozen=True)
class UnitizingScore:
    """Observed disagreement D_o, expected disagreement D_e and alpha_U = 1 - D_o / D_e.

    Each is ``None`` when undefined: D_o and D_e with fewer than two annotators, alpha also
    when D_e is 0 (no unit, or no variation in where units could lie).
    """

    observed: float | None
    expected: float | None
    alpha: float | None


@dataclass(frozen=True)
class UnitizingAlpha:
    """alpha_U for each label (in order of first appearance) and over all labels."""

    by_label: dict[Hashable, UnitizingScore]
    overall: UnitizingScore


_UNDEFINED = UnitizingScore(observed=None, expected=None, alpha=None)


def _score(observed: float, expected: float) -> UnitizingScore:
    alpha = 1.0 - observed / expected if expected > 0 else None
    return UnitizingScore(observed=observed, expected=expected, alpha=alpha)


def krippendorff_unitizing_alpha(
    units: Iterable[UnitizingUnit],
    *,
    continuum_begin: int = 0,
    continuum_length: int,
    annotator_count: int,
    merge_overlaps: bool = False,
) -> UnitizingAlpha:
    """Krippendorff's alpha_U per label and overall, as DKPro Agreement computes it.

    Takes the units as ``(begin, length, annotator, label)``: a stretch of the continuum
    ``[continuum_begin, continuum_begin + continuum_length)`` that an annotator marked with a
    label. ``annotator_count`` is the number of annotators m, including any who marked
    nothing. Overall alpha_U is 1 - mean(D_o) / mean(D_e), the means over the labels present.

    Degenerate cases: no units gives no labels and an all-``None`` overall score; fewer than
    two annotators gives all-``None`` scores; a label whose D_e is 0 has alpha ``None``.
    Raises ``ValueError`` for a unit of length < 1 or outside the continuum, more distinct
    annotators than ``annotator_count``, or two units of one annotator and label that
    overlap, which alpha_U does not allow; ``merge_overlaps=True`` replaces such units by
    their union instead (a simplification the caller opts into).
    """
    begin, length = int(continuum_begin), int(continuum_length)
    label_index: dict[Hashable, int] = {}
    annotator_index: dict[Hashable, int] = {}
    rows = []
    for unit_begin, unit_length, annotator, label in units:
        if unit_length < 1 or unit_begin < begin or unit_begin + unit_length > begin + length:
            raise ValueError(f"unit ({unit_begin}, {unit_length}) must be non-empty and inside the continuum")
        rows.append(
            (
                label_index.setdefault(label, len(label_index)),
                annotator_index.setdefault(annotator, len(annotator_index)),
                unit_begin,
                unit_begin + unit_length,
            )
        )
    if len(annotator_index) > annotator_count:
        raise ValueError(f"units name {len(annotator_index)} annotators but annotator_count is {annotator_count}")
    if annotator_count < 2:
        return UnitizingAlpha(by_label=dict.fromkeys(label_index, _UNDEFINED), overall=_UNDEFINED)

    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    table = table[np.lexsort((table[:, 2], table[:, 1], table[:, 0]))]
    by_label: dict[Hashable, UnitizingScore] = {}
    for label, index in label_index.items():
        of_label = table[table[:, 0] == index]
        segments = [
            _segments(of_label[of_label[:, 1] == a, 2:], begin, length, merge_overlaps) for a in range(annotator_count)
        ]
        observed = sum(_pair_distance(one, other) for one, other in itertools.combinations(segments, 2))
        observed = 2.0 * observed / (annotator_count * (annotator_count - 1) * float(length) ** 2)
        by_label[label] = _score(observed, _expected(segments, length, annotator_count))

    if not by_label:
        return UnitizingAlpha(by_label={}, overall=_UNDEFINED)
    mean_observed = sum(score.observed for score in by_label.values()) / len(by_label)
    mean_expected = sum(score.expected for score in by_label.values()) / len(by_label)
    return UnitizingAlpha(by_label=by_label, overall=_score(mean_observed, mean_expected))


def _segments(spans: np.ndarray, begin: int, length: int, merge_overlaps: bool) -> tuple[np.ndarray, ...]:
    """One annotator's partition of the continuum for one label: (starts, ends, is_unit), sorted."""
    starts, ends = spans[:, 0], spans[:, 1]
    overlapping = starts[1:] < np.maximum.accumulate(ends)[:-1]
    if overlapping.any():
        if not merge_overlaps:
            raise ValueError("an annotator has overlapping units of one label, which alpha_U does not allow")
        # Touching units stay separate units; only truly overlapping ones are fused.
        opens = np.concatenate(([True], ~overlapping))
        group = np.cumsum(opens) - 1
        merged_ends = np.zeros(int(group[-1]) + 1, dtype=np.int64)
        np.maximum.at(merged_ends, group, ends)
        starts, ends = starts[opens], merged_ends
    gap_starts = np.concatenate(([begin], ends))
    gap_ends = np.concatenate((starts, [begin + length]))
    real_gap = gap_ends > gap_starts
    all_starts = np.concatenate((starts, gap_starts[real_gap]))
    all_ends = np.concatenate((ends, gap_ends[real_gap]))
    is_unit = np.concatenate((np.ones(len(starts), bool), np.zeros(int(real_gap.sum()), bool)))
    order = np.argsort(all_starts, kind="stable")
    return all_starts[order], all_ends[order], is_unit[order]


def _pair_distance(one: tuple[np.ndarray, ...], other: tuple[np.ndarray, ...]) -> float:
    """Sum of Krippendorff's distances over every overlapping pair of two annotators' segments.

    Both partitions cover the same continuum, so cutting it at every segment start of either
    yields pieces that each lie in exactly one overlapping pair, and each pair in one piece.
    """
    start1, end1, unit1 = one
    start2, end2, unit2 = other
    cuts = np.union1d(start1, start2)
    i = np.searchsorted(start1, cuts, side="right") - 1
    j = np.searchsorted(start2, cuts, side="right") - 1
    b1, e1, u1 = start1[i].astype(float), end1[i].astype(float), unit1[i]
    b2, e2, u2 = start2[j].astype(float), end2[j].astype(float), unit2[j]
    both = u1 & u2
    total = ((b1 - b2) ** 2 + (e1 - e2) ** 2)[both].sum()
    # A unit counts wholly against a gap only when the gap contains it.
    first_in_gap = u1 & ~u2 & (b2 <= b1) & (e1 <= e2)
    second_in_gap = u2 & ~u1 & (b1 <= b2) & (e2 <= e1)
    total += ((e1 - b1) ** 2)[first_in_gap].sum() + ((e2 - b2) ** 2)[second_in_gap].sum()
    return float(total)


def _expected(segments: list[tuple[np.ndarray, ...]], length: int, annotator_count: int) -> float:
    """Krippendorff's (2004) expected disagreement D_e for one label.

    D_e = (2 / L) * sum over units u of [ (N - 1)(2 l^3 - 3 l^2 + l) / 3
                                          + l^2 * sum over gaps g with |g| >= l of (|g| - l + 1) ]
          / (m L (m L - 1) - sum over units of l (l - 1)),
    with N units in all, l = |u|, over all m annotators' units and gaps of the label.
    """
    lengths = np.concatenate([(end - start)[unit] for start, end, unit in segments]).astype(float)
    gaps = np.sort(np.concatenate([(end - start)[~unit] for start, end, unit in segments]).astype(float))
    if len(lengths) == 0:
        return 0.0
    placements_beside_units = (len(lengths) - 1) * (2 * lengths**3 - 3 * lengths**2 + lengths) / 3.0
    # Sum of (g - l + 1) over gaps g >= l, for every l at once, from suffix sums of sorted gaps.
    suffix = np.concatenate((np.cumsum(gaps[::-1])[::-1], [0.0]))
    first_fitting = np.searchsorted(gaps, lengths, side="left")
    fitting = len(gaps) - first_fitting
    placements_in_gaps = lengths**2 * (suffix[first_fitting] - fitting * (lengths - 1.0))
    denominator = annotator_count * length * (annotator_count * length - 1.0) - (lengths * (lengths - 1)).sum()
    if denominator <= 0:
        return 0.0
    return float(2.0 / length * (placements_beside_units + placements_in_gaps).sum() / denominator)


def concatenate_continua(documents: Iterable[tuple[int, Iterable[UnitizingUnit]]]) -> tuple[int, list[UnitizingUnit]]:
    """Lays several documents end to end as one continuum, for alpha_U over a whole corpus.

    Takes ``(document length, units)`` per document, each unit's begin relative to its
    document's start. Returns the total length and the units shifted to their place in the
    concatenation (pass ``continuum_begin=0``). No documents gives ``(0, [])``.
    """
    offset = 0
    shifted: list[UnitizingUnit] = []
    for document_length, units in documents:
        shifted.extend(
            (offset + begin, unit_length, annotator, label) for begin, unit_length, annotator, label in units
        )
        offset += int(document_length)
    return offset, shifted
