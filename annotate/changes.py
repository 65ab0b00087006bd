"""The change record: every change is written with who, when, what, before and after.

Domain functions call `record` inside their own transaction, so a change and its
record are committed together or not at all.
"""

from django.db.models import F

from annotate.models import Change, Layer, Project


def record(
    *,
    project: Project,
    user,
    action: str,
    target: str = "",
    layer: Layer | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> Change:
    """Write one change record, and count it in the layer's revision. `user` may be
    None for system actions (seeding, commands)."""
    if layer is not None:
        Layer.objects.filter(pk=layer.pk).update(revision=F("revision") + 1)
        layer.revision += 1
    change = Change.objects.create(
        project=project,
        layer=layer,
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        target=target,
        before=before,
        after=after,
    )
    if layer is not None:
        # What this layer object has recorded, for the answer to a change to redraw
        # only what it touched (workspace.changed_stretch) and to say what Undo would do.
        vars(layer).setdefault("recorded", []).append(change)
    return change


def record_in_layer(layer: Layer, *, target: str, action: str, user, before: dict | None, after: dict | None) -> Change:
    """The change record of something in `layer` (its project's): a unit, a relation
    or the layer itself, named by `target` ("unit:12", "layer:3")."""
    return record(
        project=layer.article.project,
        layer=layer,
        user=user,
        action=action,
        target=target,
        before=before,
        after=after,
    )
