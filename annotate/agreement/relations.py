"""Agreement on relations between units: F1 over typed, directed (source, target, type) links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping

from .pairwise import PairwiseScores, pairwise_macro
from .spans import Criterion, Units, _align, _check_criterion, _UnitTable, f1

Relation = tuple[Hashable, Hashable, Hashable]


def relation_f1(
    *,
    units_a: Units,
    relations_a: Iterable[Relation],
    units_b: Units,
    relations_b: Iterable[Relation],
    criterion: Criterion = "exact",
) -> float | None:
    """F1 between two annotators' relations: 2 * matched / (|A| + |B|).

    A relation is ``(source unit id, target unit id, relation type)``, the ids being keys of
    that annotator's units. A relation of A matches one of B when the types are equal and
    A's source and target are paired with B's source and target, in that direction, by the
    one-to-one unit alignment under ``criterion`` (``"exact"`` or ``"overlap"``, see
    ``align_units``); relations match one-to-one. Returns ``None`` when neither annotator has
    a relation, 0.0 when only one has. Raises ``ValueError`` for a relation whose endpoint is
    not among that annotator's units.
    """
    return _relation_f1(_prepare(units_a, relations_a), _prepare(units_b, relations_b), criterion)


def _prepare(units: Units, relations: Iterable[Relation]) -> tuple[_UnitTable, list[Relation]]:
    """One annotator's units as a table and relations as a list, checked to point at known units."""
    table, relations = _UnitTable(units), list(relations)
    known = set(table.keys)
    for source, target, _ in relations:
        if source not in known or target not in known:
            raise ValueError(f"relation ({source!r}, {target!r}) points at a unit the annotator does not have")
    return table, relations


def _relation_f1(
    annotation_a: tuple[_UnitTable, list[Relation]],
    annotation_b: tuple[_UnitTable, list[Relation]],
    criterion: Criterion,
) -> float | None:
    (table_a, relations_a), (table_b, relations_b) = annotation_a, annotation_b
    counterpart = {table_a.keys[i]: table_b.keys[j] for i, j in _align(table_a, table_b, criterion)}
    return f1(matched_relations(counterpart, relations_a, relations_b), len(relations_a), len(relations_b))


def matched_relations(
    counterpart: Mapping[Hashable, Hashable], relations_a: Iterable[Relation], relations_b: Iterable[Relation]
) -> int:
    """How many of A's relations match one of B's, one to one: same type, and both ends
    paired by `counterpart` (A's unit id → the B unit it is aligned with)."""
    # A's relations rewritten in B's unit ids, so matching is a multiset intersection.
    translated = Counter(
        (counterpart[source], counterpart[target], relation_type)
        for source, target, relation_type in relations_a
        if source in counterpart and target in counterpart
    )
    return sum((translated & Counter(relations_b)).values())


def relation_f1_macro(
    annotations: Mapping[Hashable, tuple[Units, Iterable[Relation]]], *, criterion: Criterion = "exact"
) -> PairwiseScores:
    """Relation F1 for every pair of annotators and its mean over the pairs where it is defined.

    Takes a mapping from annotator to that annotator's ``(units, relations)``.
    """
    _check_criterion(criterion)
    prepared = {annotator: _prepare(units, relations) for annotator, (units, relations) in annotations.items()}
    return pairwise_macro(prepared, lambda a, b: _relation_f1(a, b, criterion))
