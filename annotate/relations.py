"""Relations: typed, directed links between two units of one layer."""

from dataclasses import replace

from django.db import transaction

from annotate import changes
from annotate.changes import Changed
from annotate.models import ArgumentUnit, Layer, Relation, RelationType
from annotate.units import AnnotationError, ensure_open


def _log(relation: Relation, *, action: str, user, before: dict | None, after: dict | None) -> Changed:
    changed = changes.log_layer_change(
        relation.layer, target=f"relation:{relation.pk}", action=action, user=user, before=before, after=after
    )
    return replace(changed, relation=relation)


def create_relation(*, layer: Layer, type: RelationType, source: ArgumentUnit, target: ArgumentUnit, user) -> Changed:
    """Link `source` to `target` with `type` (`.relation` of the result). Refused: self-links, units of another
    layer (and so of another article), a type of another project, a second link
    between the same two units."""
    ensure_open(layer)
    if type.project_id != layer.article.project_id:
        raise AnnotationError("That relation type belongs to another project.")
    if source.layer_id != layer.pk or target.layer_id != layer.pk:
        raise AnnotationError("Both units must be in this layer.")
    if source.pk == target.pk:
        raise AnnotationError("A unit cannot be linked to itself.")
    if Relation.objects.filter(source=source, target=target).exists():
        raise AnnotationError("These two units are already linked.")
    # Checked before the transaction (the database refuses a second link between two
    # units, should one slip in meanwhile), so the writes need no savepoint of their own
    # inside the caller's transaction, as in units.create_unit.
    with transaction.atomic(savepoint=False):
        relation = Relation.objects.create(layer=layer, type=type, source=source, target=target)
        return _log(relation, action="relation.create", user=user, before=None, after=changes.relation_state(relation))


@transaction.atomic
def delete_relation(*, relation: Relation, user) -> Changed:
    ensure_open(relation.layer)
    changed = _log(relation, action="relation.delete", user=user, before=changes.relation_state(relation), after=None)
    relation.delete()
    return replace(changed, relation=None)
