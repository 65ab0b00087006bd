"""Agreement on an attribute of units (a claim's stance) over the units annotators matched.

Units are matched before their attributes are compared: two annotators' units match when
they have the same label and cover the same characters (the ``"exact"`` criterion of
``spans.align_units``), and a unit is matched across several annotators when each of them
has such a unit. Only matched units are compared, so these figures say how far annotators
who marked the same claim agree on its stance, not whether they marked it.

An annotator who left the attribute unset gave it the value ``UNSET``, a value like any
other; a matched unit that nobody gave the attribute carries no information and is left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence

from .coding import cohen_kappa_from_labels, fleiss_kappa

UNSET = ""


def paired_values(
    counterpart: Mapping[Hashable, Hashable],
    attributes_a: Mapping[Hashable, Mapping[str, Hashable]],
    attributes_b: Mapping[Hashable, Mapping[str, Hashable]],
    name: str,
) -> list[tuple[Hashable, Hashable]]:
    """The values of attribute ``name`` on each pair of matched units, (a's, b's).

    ``counterpart`` maps each of a's units to the unit of b it matches; ``attributes_a`` and
    ``attributes_b`` map a unit to its attributes (a unit missing from them has none). Pairs
    where neither unit has the attribute are left out."""
    pairs = []
    for unit_a, unit_b in counterpart.items():
        value_a = attributes_a.get(unit_a, {}).get(name, UNSET)
        value_b = attributes_b.get(unit_b, {}).get(name, UNSET)
        if value_a != UNSET or value_b != UNSET:
            pairs.append((value_a, value_b))
    return pairs


def pair_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa over the pairs ``paired_values`` gave; ``None`` when undefined."""
    return cohen_kappa_from_labels([a for a, _ in pairs], [b for _, b in pairs])


def items_kappa(items: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa over units matched across the same number of annotators: one item per
    unit, holding the value each of its annotators gave; ``None`` when undefined."""
    values = sorted({value for item in items for value in item}, key=str)
    counts = [[Counter(item)[value] for value in values] for item in items]
    return fleiss_kappa(counts)
