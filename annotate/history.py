"""Undo and redo of an annotator's recent changes, built on the change record.

Every unit and relation change, and every change of the op-ed's stance, records the
object's state before and after (None when it did not exist). Undo puts the `before`
state back, redo the `after` state. Objects come back with their old ids and creation
times, so older records that name them stay true. Undo takes the user's latest change
in the layer that is not undone; redo takes the most recently undone one, as long as
the user made no new change since.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects

from annotate import changes
from annotate.models import ArgumentUnit, Change, Layer, Relation, Span
from annotate.units import AnnotationError, ensure_open

UNDOABLE = [
    "unit.create",
    "unit.update",
    "unit.delete",
    "relation.create",
    "relation.delete",
    "layer.document_stance",
]


def apply_state(layer: Layer, target: str, state: dict | None) -> None:
    """Make the object named by `target` ("unit:12", "relation:3", "layer:4") be
    `state`, or absent."""
    kind, _, pk = target.partition(":")
    if kind == "layer":
        layer.document_stance = state["document_stance"]
        layer.save(update_fields=["document_stance", "updated_at"])
        return
    model = {"unit": ArgumentUnit, "relation": Relation}[kind]
    if state is None:
        model.objects.filter(layer=layer, pk=int(pk)).delete()
    elif kind == "unit":
        fields = {"label_id": state["label"], "attributes": state["attributes"], "note": state["note"]}
        _put(ArgumentUnit, layer, state, fields)
        Span.objects.filter(unit_id=state["id"]).delete()
        Span.objects.bulk_create([Span(unit_id=state["id"], start=start, end=end) for start, end in state["spans"]])
        for relation in state.get("relations", []):
            apply_state(layer, f"relation:{relation['id']}", relation)
    else:
        fields = {"type_id": state["type"], "source_id": state["source"], "target_id": state["target"]}
        _put(Relation, layer, state, fields)


def _put(model, layer: Layer, state: dict, fields: dict) -> None:
    """Update the object of `state` in place, or bring it back with its id and its
    creation time (which `auto_now_add` would otherwise set to now)."""
    if model.objects.filter(layer=layer, pk=state["id"]).update(**fields):
        return
    model.objects.create(pk=state["id"], layer=layer, **fields)
    if state.get("created_at"):
        model.objects.filter(pk=state["id"]).update(created_at=datetime.fromisoformat(state["created_at"]))


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
        raise AnnotationError(
            f"This change can no longer be {action}ne ({describe(change, layer)}): "
            "something it relied on has changed since."
        ) from error
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
    ensure_open(layer)
    change = last_undoable(layer, user)
    if change is None:
        raise AnnotationError("Nothing to undo.")
    return revert(layer, change, user=user, action="undo")


@transaction.atomic
def redo(*, layer: Layer, user) -> Change:
    """Redo the change the user undid last, if they made no new change since."""
    ensure_open(layer)
    change = last_redoable(layer, user)
    if change is None:
        raise AnnotationError("Nothing to redo.")
    return revert(layer, change, user=user, action="redo")


# --- What a change was, in words ----------------------------------------------------------


def _quote(text: str, spans, limit: int = 40) -> str:
    quote = " … ".join(text[start:end] for start, end in spans)
    return f"“{quote if len(quote) <= limit else quote[: limit - 1] + '…'}”"


def _scheme(layer: Layer, entries: str) -> list:
    """The project's labels or relation types, read once per project object (the
    change that came before the description may have read them already)."""
    project = layer.article.project
    prefetch_related_objects([project], entries)
    return list(getattr(project, entries).all())


def describe(change: Change, layer: Layer) -> str:
    """The change in the words of the workspace, for the Undo and Redo buttons:
    'Claim “Iran is no Cuba” → stance For'. `layer`'s article is loaded."""
    before, after = change.before, change.after
    text = layer.article.text
    if change.action == "layer.document_stance":
        return f"op-ed stance → {after['document_stance'] or 'not set'}"
    if change.action.startswith("relation."):
        state = after or before
        kinds = {kind.pk: kind.name for kind in _scheme(layer, "relation_types")}
        kind = kinds.get(state["type"], "relation")
        spans: dict[int, list] = {}
        for unit_id, start, end in Span.objects.filter(unit_id__in=[state["source"], state["target"]]).values_list(
            "unit_id", "start", "end"
        ):
            spans.setdefault(unit_id, []).append((start, end))
        ends = [_quote(text, sorted(spans.get(state[end], [])), 30) for end in ("source", "target")]
        verb = "link" if change.action == "relation.create" else "unlink"
        return f"{verb} {ends[0]} {kind} {ends[1]}"
    names = {label.pk: label.name for label in _scheme(layer, "labels")}
    state = before or after
    unit = f"{names.get(state['label'], 'unit')} {_quote(text, state['spans'])}"
    if change.action == "unit.create":
        return f"new {unit}"
    if change.action == "unit.delete":
        return f"delete {unit}"
    parts = []
    if after["label"] != before["label"]:
        parts.append(names.get(after["label"], "another label"))
    for name in sorted(set(before["attributes"]) | set(after["attributes"])):
        if before["attributes"].get(name) != after["attributes"].get(name):
            parts.append(f"{name} {after['attributes'].get(name) or 'removed'}")
    if after["spans"] != before["spans"]:
        added = [span for span in after["spans"] if span not in before["spans"]]
        if len(after["spans"]) > len(before["spans"]) and all(span in after["spans"] for span in before["spans"]):
            parts.append(f"+ {_quote(text, added)}")
        else:
            parts.append(f"boundaries {_quote(text, after['spans'])}")
    return f"{unit} → {', '.join(parts)}"


def pending(layer: Layer, user) -> tuple[str, str]:
    """What Undo and Redo would do now in `layer` for `user`, in words ("" for nothing)."""
    undoable, redoable = last_undoable(layer, user), last_redoable(layer, user)
    return (
        describe(undoable, layer) if undoable else "",
        describe(redoable, layer) if redoable else "",
    )
