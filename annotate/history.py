"""Undo and redo of an annotator's recent changes, built on the change record.

Every unit and relation change records the object's state before and after (None
when it did not exist). Undo puts the `before` state back, redo the `after` state.
Objects come back with their old ids, so older records that name them stay true.
Undo takes the user's latest change in the layer that is not undone; redo takes the
most recently undone one, as long as the user made no new change since.
"""

from django.db import IntegrityError, transaction

from annotate import changes
from annotate.models import ArgumentUnit, Change, Layer, Relation, Span
from annotate.units import AnnotationError

UNDOABLE = ["unit.create", "unit.update", "unit.delete", "relation.create", "relation.delete"]


def apply_state(layer: Layer, target: str, state: dict | None) -> None:
    """Make the object named by `target` ("unit:12", "relation:3") be `state`, or absent."""
    kind, _, pk = target.partition(":")
    model = {"unit": ArgumentUnit, "relation": Relation}[kind]
    if state is None:
        model.objects.filter(layer=layer, pk=int(pk)).delete()
    elif kind == "unit":
        ArgumentUnit(
            pk=state["id"], layer=layer, label_id=state["label"], attributes=state["attributes"], note=state["note"]
        ).save()
        Span.objects.filter(unit_id=state["id"]).delete()
        Span.objects.bulk_create([Span(unit_id=state["id"], start=start, end=end) for start, end in state["spans"]])
        for relation in state.get("relations", []):
            apply_state(layer, f"relation:{relation['id']}", relation)
    else:
        Relation(
            pk=state["id"], layer=layer, type_id=state["type"], source_id=state["source"], target_id=state["target"]
        ).save()


def last_undoable(layer: Layer, user) -> Change | None:
    return Change.objects.filter(layer=layer, user=user, action__in=UNDOABLE, undone=False).order_by("-id").first()


def last_redoable(layer: Layer, user) -> Change | None:
    mine = Change.objects.filter(layer=layer, user=user)
    latest_new_change = mine.filter(action__in=UNDOABLE).order_by("-id").values_list("id", flat=True).first() or 0
    undo = (
        mine.filter(action="undo", id__gt=latest_new_change, reverts__undone=True)
        .select_related("reverts")
        .order_by("-id")
        .first()
    )
    return undo.reverts if undo else None


def revert(layer: Layer, change: Change, *, user, action: str) -> Change:
    state = change.before if action == "undo" else change.after
    try:
        with transaction.atomic():
            apply_state(layer, change.target, state)
    except IntegrityError as error:
        raise AnnotationError(f"This change can no longer be {action}ne: {change.action} {change.target}.") from error
    change.undone = action == "undo"
    change.save(update_fields=["undone"])
    record = changes.record_in_layer(
        layer,
        user=user,
        action=action,
        target=change.target,
        before=change.after if action == "undo" else change.before,
        after=state,
    )
    record.reverts = change
    record.save(update_fields=["reverts"])
    return change


@transaction.atomic
def undo(*, layer: Layer, user) -> Change:
    """Undo the user's latest change in `layer`; returns the change undone."""
    change = last_undoable(layer, user)
    if change is None:
        raise AnnotationError("Nothing to undo.")
    return revert(layer, change, user=user, action="undo")


@transaction.atomic
def redo(*, layer: Layer, user) -> Change:
    """Redo the change the user undid last, if they made no new change since."""
    change = last_redoable(layer, user)
    if change is None:
        raise AnnotationError("Nothing to redo.")
    return revert(layer, change, user=user, action="redo")
