"""Agreement on coding data: every annotator assigns a label (a value) to the same given units.

Krippendorff's alpha (any number of annotators, missing values, four levels of measurement),
Cohen's kappa (two annotators) and Fleiss' kappa (a fixed number of annotators per unit).

Every measure returns ``None`` when it is undefined for the data (nothing to compare, or no
variation to correct for chance against) instead of raising or returning NaN, so a caller can
show "n/a" without special-casing exceptions. Malformed input (ragged rows, negative counts)
raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval", "ratio"]

# Below this the chance-expected disagreement is treated as zero: the data show no variation.
_TINY = 1e-12


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Hashable | None]], *, level: Level = "nominal"
) -> float | None:
    """Krippendorff's alpha for coding data with missing values (Krippendorff 2011).

    Takes a reliability matrix: one row per annotator, one column per unit, each cell the
    label that annotator gave that unit or ``None`` when missing. Labels are any hashable
    values for ``level="nominal"``, orderable values for ``"ordinal"`` and numbers for
    ``"interval"`` and ``"ratio"``. The ordinal metric is Krippendorff's (2011) rank-based
    one, built from the label frequencies n_c of the pairable values.

    Returns alpha = 1 - D_o / D_e, or ``None`` when it is undefined: no unit has two or more
    values (nothing is pairable), or every pairable value is the same label, so expected
    disagreement is zero. The latter is a choice: such data agree perfectly but carry no
    information about reliability, which Krippendorff calls undefined (some tools say 1.0).
    Raises ``ValueError`` when rows differ in length or the level is unknown.
    """
    rows = [list(row) for row in reliability_data]
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("every annotator row of the reliability matrix needs the same number of units")
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"unknown level of measurement: {level!r}")

    present = {value for row in rows for value in row if value is not None}
    if not present:
        return None
    values = list(present) if level == "nominal" else sorted(present)
    index = {value: i for i, value in enumerate(values)}

    # counts[u, c]: how many annotators gave unit u the label c.
    unit_count = len(rows[0])
    counts = np.zeros((unit_count, len(values)))
    for row in rows:
        for unit, value in enumerate(row):
            if value is not None:
                counts[unit, index[value]] += 1

    # Only units with two or more values are pairable; each contributes m_u - 1 to n.
    per_unit = counts.sum(axis=1)
    pairable = per_unit >= 2
    counts, per_unit = counts[pairable], per_unit[pairable]
    if counts.size == 0:
        return None
    weights = 1.0 / (per_unit - 1.0)
    coincidences = (counts * weights[:, None]).T @ counts - np.diag((counts * weights[:, None]).sum(axis=0))
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()

    delta = _squared_distances(values, marginals, level)
    observed = (coincidences * delta).sum()
    expected = (np.outer(marginals, marginals) * delta).sum() / (total - 1.0)
    if expected <= _TINY:
        return None
    return float(1.0 - observed / expected)


def _squared_distances(values: list, marginals: np.ndarray, level: Level) -> np.ndarray:
    """The matrix of squared differences delta^2(c, k) between the labels, for one level."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "ordinal":
        # Krippendorff 2011: the distance between two ranks is the number of pairable values
        # lying between them, counting the two end ranks by half.
        cumulative = np.concatenate(([0.0], np.cumsum(marginals)))
        low = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
        high = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        between = cumulative[high + 1] - cumulative[low] - (marginals[:, None] + marginals[None, :]) / 2.0
        return between**2
    numbers = np.asarray(values, dtype=float)
    difference = np.subtract.outer(numbers, numbers)
    if level == "interval":
        return difference**2
    sums = np.add.outer(numbers, numbers)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Ratio: two zeros are identical, which 0/0 would otherwise make NaN.
        return np.where(sums == 0.0, 0.0, (difference / sums) ** 2)


def cohen_kappa(contingency: Sequence[Sequence[float]]) -> float | None:
    """Cohen's (1960) kappa for two annotators from their contingency matrix.

    Takes a square matrix whose cell [i][j] counts the units that the first annotator gave
    label i and the second annotator label j (the same label order on both axes). Returns
    (p_o - p_e) / (1 - p_e), or ``None`` when undefined: the matrix is empty or sums to zero,
    or chance agreement p_e is 1 (both annotators used one and the same label throughout).
    Raises ``ValueError`` for a non-square matrix or negative counts.
    """
    table = np.asarray(contingency, dtype=float)
    if table.size == 0:
        return None
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise ValueError("the contingency matrix must be square")
    if (table < 0).any():
        raise ValueError("the contingency matrix holds counts, which cannot be negative")
    total = table.sum()
    if total == 0:
        return None
    observed = np.trace(table) / total
    expected = (table.sum(axis=1) @ table.sum(axis=0)) / total**2
    if 1.0 - expected <= _TINY:
        return None
    return float((observed - expected) / (1.0 - expected))


def cohen_kappa_from_labels(labels_a: Sequence[Hashable | None], labels_b: Sequence[Hashable | None]) -> float | None:
    """Cohen's kappa for two annotators from their two label sequences, one label per unit.

    Position i of both sequences is the same unit. A unit either annotator left ``None``
    (missing) is skipped. Returns what ``cohen_kappa`` returns for the resulting contingency
    matrix: ``None`` when no unit is labelled by both or both used a single, same label.
    Raises ``ValueError`` when the sequences differ in length.
    """
    if len(labels_a) != len(labels_b):
        raise ValueError("both annotators must label the same units: the sequences differ in length")
    pairs = [(a, b) for a, b in zip(labels_a, labels_b, strict=True) if a is not None and b is not None]
    if not pairs:
        return None
    index: dict[Hashable, int] = {}
    for a, b in pairs:
        index.setdefault(a, len(index))
        index.setdefault(b, len(index))
    table = np.zeros((len(index), len(index)))
    for a, b in pairs:
        table[index[a], index[b]] += 1
    return cohen_kappa(table)


def _fleiss_counts(counts: Sequence[Sequence[float]]) -> tuple[np.ndarray, int] | None:
    """The count matrix as an array and its number of annotators per unit, or None if empty."""
    table = np.asarray(counts, dtype=float)
    if table.size == 0:
        return None
    if table.ndim != 2:
        raise ValueError("the count matrix must have one row per unit and one column per label")
    if (table < 0).any():
        raise ValueError("the count matrix holds counts, which cannot be negative")
    per_unit = table.sum(axis=1)
    if not np.all(per_unit == per_unit[0]):
        raise ValueError("Fleiss' kappa needs the same number of annotators for every unit")
    return table, int(per_unit[0])


def fleiss_kappa(counts: Sequence[Sequence[float]]) -> float | None:
    """Fleiss' (1971) kappa for several annotators who each label every unit.

    Takes a count matrix with one row per unit and one column per label: cell [i][j] is how
    many annotators gave unit i label j, and every row sums to the same number of annotators
    n. Returns (P - P_e) / (1 - P_e), or ``None`` when undefined: no units, fewer than two
    annotators per unit, or P_e = 1 (everyone used a single label). Raises ``ValueError``
    when rows sum to different totals or counts are negative.
    """
    prepared = _fleiss_counts(counts)
    if prepared is None:
        return None
    table, raters = prepared
    if raters < 2:
        return None
    agreement = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    proportions = table.sum(axis=0) / table.sum()
    expected = (proportions**2).sum()
    if 1.0 - expected <= _TINY:
        return None
    return float((agreement.mean() - expected) / (1.0 - expected))


def fleiss_kappa_per_label(counts: Sequence[Sequence[float]]) -> list[float | None]:
    """Fleiss' (1971) kappa for each label (column) of the count matrix, in column order.

    Same input as ``fleiss_kappa``. For label j with overall proportion p_j and q_j = 1 - p_j,
    kappa_j = 1 - sum_i n_ij (n - n_ij) / (N n (n - 1) p_j q_j). An entry is ``None`` when
    the label is never or always used (p_j q_j = 0); the list is empty for an empty matrix,
    and all ``None`` with fewer than two annotators per unit.
    """
    prepared = _fleiss_counts(counts)
    if prepared is None:
        return []
    table, raters = prepared
    if raters < 2:
        return [None] * table.shape[1]
    units = table.shape[0]
    proportions = table.sum(axis=0) / table.sum()
    disagreement = (table * (raters - table)).sum(axis=0)
    result: list[float | None] = []
    for j, p in enumerate(proportions):
        variance = p * (1.0 - p)
        if variance <= _TINY:
            result.append(None)
        else:
            result.append(float(1.0 - disagreement[j] / (units * raters * (raters - 1) * variance)))
    return result
