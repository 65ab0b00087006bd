"""Relations: typed, directed links between two units of one layer."""

from dataclasses import replace

from django.db import transaction
from django.db.models import Q

from annotate import changes
from annotate.changes import Changed
from annotate.formats.checks import quote
from annotate.models import ArgumentUnit, Layer, Relation, RelationType
from annotate.units import AnnotationError, ensure_open, spans_of


def pair(source_id, target_id) -> frozenset:
    """The two units a relation links, whichever way it points: two units take at most one
    relation (as in the argument-mining corpora the schemes come from: a premise supports
    or attacks a claim, not both, and a claim does not answer its own premise), so
    A→B and B→A are the same pair. The workspace, review and imports go by this."""
    return frozenset((source_id, target_id))


def link_between(source: ArgumentUnit, target: ArgumentUnit) -> Relation | None:
    """The relation linking `source` and `target`, in either direction, if there is one.
    Asked of the relations alone first: joined to the units and labels it needs only for
    its names, the planner may take a table analysed while empty for a small one and
    walk every relation; there is rarely one to name."""
    either = Q(source=source, target=target) | Q(source=target, target=source)
    found = Relation.objects.filter(either).values_list("pk", flat=True).first()
    if found is None:
        return None
    return Relation.objects.select_related("type", "source__label", "target__label").get(pk=found)


def _named(unit: ArgumentUnit, text: str) -> str:
    return f"{unit.label.name} {quote(' … '.join(text[start:end] for start, end in spans_of(unit)), 40)}"


def _log(relation: Relation, *, action: str, user, before: dict | None, after: dict | None) -> Changed:
    changed = changes.log_layer_change(
        relation.layer, target=f"relation:{relation.pk}", action=action, user=user, before=before, after=after
    )
    return replace(changed, relation=relation)


def create_relation(
    *,
    layer: Layer,
    type: RelationType,
    source: ArgumentUnit,
    target: ArgumentUnit,
    user,
    suggested: dict | None = None,
) -> Changed:
    """Link `source` to `target` with `type` (`.relation` of the result). Refused: self-links, units of another
    layer (and so of another article), a type of another project, a second link
    between the same two units in either direction (`pair`), named in the message.
    `suggested`: the suggestion it is accepted from, kept in the change record."""
    ensure_open(layer)
    if type.project_id != layer.article.project_id:
        raise AnnotationError("That relation type belongs to another project.")
    if source.layer_id != layer.pk or target.layer_id != layer.pk:
        raise AnnotationError("Both units must be in this layer.")
    if source.pk == target.pk:
        raise AnnotationError("A unit cannot be linked to itself.")
    if existing := link_between(source, target):
        text = layer.article.text
        raise AnnotationError(
            f"These two units are already linked: {_named(existing.source, text)} {existing.type.name} "
            f"{_named(existing.target, text)}. Two units take one relation: to link them another way, "
            "delete that one first (choose it, then Delete)."
        )
    # Checked before the transaction (the database refuses a second link between two
    # units, should one slip in meanwhile), so the writes need no savepoint of their own
    # inside the caller's transaction, as in units.create_unit.
    with transaction.atomic(savepoint=False):
        relation = Relation.objects.create(layer=layer, type=type, source=source, target=target)
        after = changes.relation_state(relation) | ({"suggestion": suggested} if suggested else {})
        return _log(relation, action="relation.create", user=user, before=None, after=after)


@transaction.atomic
def delete_relation(*, relation: Relation, user) -> Changed:
    ensure_open(relation.layer)
    changed = _log(relation, action="relation.delete", user=user, before=changes.relation_state(relation), after=None)
    relation.delete()
    return replace(changed, relation=None)
