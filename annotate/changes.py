"""The change record: every change is written with who, when, what, before and after.

Domain functions write their records inside their own transaction, so a change and its
record are committed together or not at all. A change to a layer also counts in the
layer's revision, and the domain function returns what it did as a `Changed`.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from annotate import rows
from annotate.models import ArgumentUnit, Change, Layer, Project, Relation


def relation_state(relation: Relation) -> dict:
    """What the change record keeps of a relation: enough to recreate it exactly. (A
    unit's is `units.snapshot`, which holds the relations a deletion takes with it.)"""
    return {
        "id": relation.pk,
        "type": relation.type_id,
        "source": relation.source_id,
        "target": relation.target_id,
        "created_at": relation.created_at.isoformat(),
    }


# The step the changes recorded now belong to (None: each change is a step of its own).
_step: ContextVar[uuid.UUID | None] = ContextVar("change_step", default=None)


@contextmanager
def one_step() -> Iterator[None]:
    """Record the changes made inside as one step, which undo and redo take whole: what a
    person did with one key or button (a review's Adopt or Replace) comes back with one
    Ctrl+Z. Inside another step, its changes belong to that one. Also a decorator."""
    if _step.get() is not None:
        yield
        return
    token = _step.set(uuid.uuid4())
    try:
        yield
    finally:
        _step.reset(token)


def new_record(
    *,
    project: Project,
    user,
    action: str,
    target: str = "",
    layer: Layer | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> tuple[Change, tuple[str, list] | None]:
    """A change record, not written yet, and the statement that counts it in the layer's
    revision (None without a layer), to be run with its INSERT (`rows.insert`'s
    `along`); `layer.revision` counts it already. `user` may be None for system actions
    (seeding, commands)."""
    count = None
    if layer is not None:
        # On every change, so written by hand (the ORM takes longer to build it than to
        # run it), and sent with the record's INSERT.
        count = (f"UPDATE {Layer._meta.db_table} SET revision = revision + 1 WHERE id = %s", [layer.pk])
        layer.revision += 1
    change = Change(
        project=project,
        layer=layer,
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        target=target,
        before=before,
        after=after,
        step=_step.get(),
    )
    return change, count


def log_change(**record) -> Change:
    """Write one change record (what `new_record` takes: project, user, action, target,
    layer, before, after), and count it in the layer's revision."""
    change, count = new_record(**record)
    rows.insert(change, along=count)
    return change


@dataclass(frozen=True)
class Changed:
    """What a change to a layer did: the records it wrote, in order, the layer's
    revision after them, and the unit or relation it made or changed (if any). A change
    that turned out to change nothing wrote no record."""

    records: tuple[Change, ...] = ()
    revision: int | None = None
    unit: ArgumentUnit | None = None
    relation: Relation | None = None

    def then(self, later: "Changed") -> "Changed":
        """This change followed by `later`, as one."""
        return Changed(
            records=self.records + later.records,
            revision=later.revision if later.revision is not None else self.revision,
            unit=later.unit or self.unit,
            relation=later.relation or self.relation,
        )

    @property
    def last(self) -> Change | None:
        return self.records[-1] if self.records else None

    def offsets(self) -> list[int]:
        """Every offset of the spans the change touched, before and after (none for a
        relation, a status or a stance)."""
        return [
            offset
            for change in self.records
            for state in (change.before, change.after)
            if state and "spans" in state
            for span in state["spans"]
            for offset in span
        ]


def log_layer_change(
    layer: Layer, *, target: str, action: str, user, before: dict | None, after: dict | None
) -> Changed:
    """Write the change record of something in `layer` (its project's): a unit, a
    relation or the layer itself, named by `target` ("unit:12", "layer:3")."""
    change = log_change(
        project=layer.article.project,
        layer=layer,
        user=user,
        action=action,
        target=target,
        before=before,
        after=after,
    )
    return Changed(records=(change,), revision=layer.revision)
