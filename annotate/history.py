"""Undo and redo of an annotator's recent changes, built on the change record.

Every unit and relation change, and every change of the op-ed's stance, records the
object's state before and after (None when it did not exist). Undo puts the `before`
state back, redo the `after` state. Objects come back with their old ids and creation
times, so older records that name them stay true. Undo takes the user's latest change
in the layer that is not undone; redo takes the most recently undone one, as long as
the user made no new change since. Changes recorded as one step (`changes.one_step`: a
review's Adopt or Replace) are undone and redone together, as the one action they were.
"""

from datetime import datetime

from django.db import IntegrityError, connection, transaction

from annotate import changes, rows
from annotate.changes import Changed
from annotate.models import ArgumentUnit, Change, Layer, Relation, Span, Suggestion
from annotate.units import AnnotationError, ensure_open

UNDOABLE = [
    "unit.create",
    "unit.update",
    "unit.delete",
    "relation.create",
    "relation.delete",
    "layer.document_stance",
    "suggestion.reject",
]


def apply_state(layer: Layer, target: str, state: dict | None) -> None:
    """Make the object named by `target` ("unit:12", "relation:3", "layer:4") be
    `state`, or absent."""
    model_name, _, pk = target.partition(":")
    if model_name == "layer":
        layer.document_stance = state["document_stance"]
        layer.save(update_fields=["document_stance", "updated_at"])
        return
    if model_name == "suggestion":
        Suggestion.objects.filter(layer=layer, pk=int(pk)).update(status=state["status"])
        return
    model = {"unit": ArgumentUnit, "relation": Relation}[model_name]
    if state is None:
        model.objects.filter(layer=layer, pk=int(pk)).delete()
    elif model_name == "unit":
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


# The change Undo would revert (the user's latest undoable change not undone) and the
# one Redo would (the change reverted by the user's latest undo, when it is still
# undone and no new change came after that undo), in one statement: the workspace
# asks after every change, and the ORM takes longer to build these queries than the
# database takes to answer them.
_COLUMNS = rows.columns(Change, "c")
_TABLE = Change._meta.db_table
_UNDOABLE_SQL = ", ".join(f"'{action}'" for action in UNDOABLE)  # constants of this module
PENDING = (
    f"SELECT * FROM (SELECT 'undo', {_COLUMNS} FROM {_TABLE} c "  # names and constants only
    f"WHERE c.layer_id = %s AND c.user_id = %s AND c.action IN ({_UNDOABLE_SQL}) AND NOT c.undone "
    "ORDER BY c.id DESC LIMIT 1) AS undo "
    f"UNION ALL SELECT * FROM (SELECT 'redo', {_COLUMNS} FROM {_TABLE} u JOIN {_TABLE} c ON c.id = u.reverts_id "
    "WHERE u.layer_id = %s AND u.user_id = %s AND u.action = 'undo' AND c.undone "
    f"AND u.id > COALESCE((SELECT MAX(n.id) FROM {_TABLE} n WHERE n.layer_id = %s AND n.user_id = %s "
    f"AND n.action IN ({_UNDOABLE_SQL})), 0) "
    "ORDER BY u.id DESC LIMIT 1) AS redo"
)


def undoable_and_redoable(layer: Layer, user) -> tuple[Change | None, Change | None]:
    """The change Undo would revert and the one Redo would, for `user` in `layer`."""
    found: dict[str, Change] = {}
    with connection.cursor() as cursor:
        cursor.execute(PENDING, [layer.pk, user.pk] * 3)
        for which, *values in cursor.fetchall():
            found[which] = change = rows.instance(Change, values)
            change.layer, change.user = layer, user
    return found.get("undo"), found.get("redo")


def last_undoable(layer: Layer, user) -> Change | None:
    return undoable_and_redoable(layer, user)[0]


def last_redoable(layer: Layer, user) -> Change | None:
    return undoable_and_redoable(layer, user)[1]


def revert(layer: Layer, change: Change, *, user, action: str) -> Changed:
    """Put back the state before `change` (undo) or after it (redo), as a change of its own."""
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
    changed = changes.log_layer_change(
        layer,
        user=user,
        action=action,
        target=change.target,
        before=change.after if action == "undo" else change.before,
        after=state,
    )
    changed.last.reverts = change
    changed.last.save(update_fields=["reverts"])
    return changed


def _whole_step(layer: Layer, user, change: Change, *, action: str) -> list[Change]:
    """`change` and, when it was one of a step, the rest of that step still to be
    undone (or redone), in the order to revert them: the latest first for undo."""
    if change.step is None:
        return [change]
    step = Change.objects.filter(
        layer=layer, user=user, step=change.step, action__in=UNDOABLE, undone=action == "redo"
    ).order_by("-id" if action == "undo" else "id")
    return list(step)


def _revert_step(layer: Layer, change: Change, *, user, action: str) -> Changed:
    done = Changed()
    for each in _whole_step(layer, user, change, action=action):
        each.layer = layer
        done = done.then(revert(layer, each, user=user, action=action))
    return done


@transaction.atomic
def undo(*, layer: Layer, user) -> Changed:
    """Undo the user's latest change in `layer` (the whole step it was one of)."""
    ensure_open(layer)
    change = last_undoable(layer, user)
    if change is None:
        raise AnnotationError("Nothing to undo.")
    return _revert_step(layer, change, user=user, action="undo")


@transaction.atomic
def redo(*, layer: Layer, user) -> Changed:
    """Redo the change (or step) the user undid last, if they made no new change since."""
    ensure_open(layer)
    change = last_redoable(layer, user)
    if change is None:
        raise AnnotationError("Nothing to redo.")
    return _revert_step(layer, change, user=user, action="redo")


# --- What a change was, in words ----------------------------------------------------------


def _quote(text: str, spans, limit: int = 40) -> str:
    quote = " … ".join(text[start:end] for start, end in spans)
    return f"“{quote if len(quote) <= limit else quote[: limit - 1] + '…'}”"


def describe(change: Change, layer: Layer) -> str:
    """The change in the words of the workspace, for the Undo and Redo buttons:
    'Claim “Iran is no Cuba” → stance For'. `layer`'s article is loaded."""
    before, after = change.before, change.after
    text = layer.article.text
    if change.action == "layer.document_stance":
        return f"op-ed stance → {after['document_stance'] or 'not set'}"
    if change.action == "suggestion.reject":
        return f"reject suggestion {_suggested(change, layer)}"
    if change.action.startswith("relation."):
        state = after or before
        relation_types = layer.article.project.scheme_relation_types
        type_names = {relation_type.pk: relation_type.name for relation_type in relation_types}
        type_name = type_names.get(state["type"], "relation")
        spans: dict[int, list] = {}
        for unit_id, start, end in Span.objects.filter(unit_id__in=[state["source"], state["target"]]).values_list(
            "unit_id", "start", "end"
        ):
            spans.setdefault(unit_id, []).append((start, end))
        ends = [_quote(text, sorted(spans.get(state[end], [])), 30) for end in ("source", "target")]
        verb = "link" if change.action == "relation.create" else "unlink"
        return f"{verb} {ends[0]} {type_name} {ends[1]}"
    names = {label.pk: label.name for label in layer.article.project.scheme_labels}
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
    if after.get("note", "") != before.get("note", ""):
        parts.append(
            f"note {_quote(after['note'], [(0, len(after['note']))], 30)}" if after.get("note") else "note removed"
        )
    return f"{unit} → {', '.join(parts)}"


def _suggested(change: Change, layer: Layer) -> str:
    """A rejected suggestion in words: 'Premise “…”', or 'supports “…” → “…”'."""
    suggestion = Suggestion.objects.filter(pk=int(change.target.partition(":")[2])).first()
    if suggestion is None:
        return "(deleted since)"
    text = layer.article.text
    if suggestion.kind == Suggestion.Kind.UNIT:
        names = {label.pk: label.name for label in layer.article.project.scheme_labels}
        return f"{names.get(suggestion.label_id, 'unit')} {_quote(text, [suggestion.span])}"
    types = {each.pk: each.name for each in layer.article.project.scheme_relation_types}
    ends = [_quote(text, [span], 30) for span in (suggestion.span, suggestion.target_span)]
    return f"{ends[0]} {types.get(suggestion.relation_type_id, 'relation')} {ends[1]}"


def _first_of_step(layer: Layer, change: Change | None) -> Change | None:
    """The change that names a step in words (its first: an Adopt's or Replace's new unit)."""
    if change is None or change.step is None:
        return change
    first = Change.objects.filter(layer=layer, step=change.step).order_by("id").first()
    first.layer = layer
    return first


def pending(layer: Layer, user, *, just_made: Change | None = None) -> tuple[str, str]:
    """What Undo and Redo would do now in `layer` for `user`, in words ("" for nothing).
    Right after a new undoable change (`just_made`, the last record of a change's
    result), that change is what Undo would do and Redo has nothing to do, so nothing
    need be read."""
    if just_made is not None and just_made.action in UNDOABLE and just_made.user_id == user.pk:
        undoable, redoable = just_made, None
    else:
        undoable, redoable = undoable_and_redoable(layer, user)
    undoable, redoable = _first_of_step(layer, undoable), _first_of_step(layer, redoable)
    return (
        describe(undoable, layer) if undoable else "",
        describe(redoable, layer) if redoable else "",
    )
