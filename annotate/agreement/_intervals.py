"""Vectorised helpers on half-open character intervals [start, end), shared by the span measures.

They sort and search instead of comparing every interval with every other, so thousands of
articles concatenated into one continuum cost O(n log n), not O(n^2).
"""

from __future__ import annotations

import numpy as np


def _starting_inside(
    outer_start: np.ndarray, outer_end: np.ndarray, inner_start: np.ndarray, *, include_equal_start: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (outer, inner) where the inner interval begins inside the outer one."""
    order = np.argsort(inner_start, kind="stable")
    sorted_start = inner_start[order]
    low = np.searchsorted(sorted_start, outer_start, side="left" if include_equal_start else "right")
    high = np.searchsorted(sorted_start, outer_end, side="left")
    counts = np.maximum(high - low, 0)
    total = int(counts.sum())
    outer = np.repeat(np.arange(len(outer_start)), counts)
    # Position k of the expansion belongs to range r: its offset in the range is k - first(r).
    first = np.repeat(np.cumsum(counts) - counts, counts)
    inner = order[np.arange(total) - first + np.repeat(low, counts)]
    return outer, inner


def overlapping_pairs(
    a_start: np.ndarray, a_end: np.ndarray, b_start: np.ndarray, b_end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i, j) of a non-empty interval i of A and j of B that share at least one
    character, with the number of characters shared.

    Two intervals overlap exactly when one of them begins inside the other; counting the
    equal-start case on one side only finds each pair once.
    """
    a_start, a_end = np.asarray(a_start, dtype=np.int64), np.asarray(a_end, dtype=np.int64)
    b_start, b_end = np.asarray(b_start, dtype=np.int64), np.asarray(b_end, dtype=np.int64)
    a1, b1 = _starting_inside(a_start, a_end, b_start, include_equal_start=True)
    b2, a2 = _starting_inside(b_start, b_end, a_start, include_equal_start=False)
    ia = np.concatenate((a1, a2))
    ib = np.concatenate((b1, b2))
    shared = np.minimum(a_end[ia], b_end[ib]) - np.maximum(a_start[ia], b_start[ib])
    return ia, ib, shared


def merge_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of the intervals as sorted, disjoint intervals (overlapping or touching ones merged)."""
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    if len(starts) == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    opens = np.concatenate(([True], starts[1:] > reach[:-1]))
    group = np.cumsum(opens) - 1
    merged_end = np.zeros(int(group[-1]) + 1, dtype=np.int64)
    np.maximum.at(merged_end, group, ends)
    return starts[opens], merged_end
