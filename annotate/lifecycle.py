"""A layer's life: started by its first change, finished after its structure checks
(or reopened), and its op-ed stance; and the revision every change is checked against.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from annotate import changes, structure, workspace
from annotate.changes import Changed
from annotate.models import Layer
from annotate.suggestions import training
from annotate.units import AnnotationError, ensure_open


class StaleError(AnnotationError):
    """A change sent from a page that no longer shows the layer as it is."""


def check_revision(layer: Layer, revision: int) -> None:
    """Refuse a change sent from a page showing an older state of the layer."""
    if revision != layer.revision:
        raise StaleError(
            "This layer has changed since this page was loaded (perhaps in another tab). "
            "Reload the page to see it as it is now; nothing was changed."
        )


def start_layer(*, layer: Layer, user) -> Changed:
    """Start `layer` (not started → in progress) if it has not started: called by a
    change, in its transaction and before it, so opening a layer (a GET) changes
    nothing and the first change's revision counts both."""
    if layer.status == Layer.Status.NOT_STARTED:
        return set_status(layer=layer, status=Layer.Status.IN_PROGRESS, user=user)
    return Changed(revision=layer.revision)


def set_status(*, layer: Layer, status: str, user) -> Changed:
    before = {"status": layer.status}
    layer.status = status
    layer.finished_at = timezone.now() if status == Layer.Status.FINISHED else None
    layer.save(update_fields=["status", "finished_at", "updated_at"])
    if status == Layer.Status.FINISHED:
        training.layer_finished(layer)  # the next suggestion model may learn from it
    return _log(layer, action="layer.status", user=user, before=before, after={"status": status})


@dataclass
class FinishResult:
    finished: bool  # whether the layer is now finished
    findings: list[structure.Finding]  # what the structure checks found (overridden, if finished)
    changed: Changed  # what finishing wrote (nothing, if it was refused or the layer was finished)


@transaction.atomic
def finish_layer(*, layer: Layer, user, confirmed: bool = False) -> FinishResult:
    """Mark `layer` finished unless its structure checks find something. With
    findings, nothing changes unless the annotator confirmed them and the project lets
    checks warn rather than block; the result says which, and what was found."""
    findings = workspace.load(layer).findings
    blocked = findings and (layer.article.project.structure_checks_block or not confirmed)
    if blocked:
        return FinishResult(False, findings, Changed(revision=layer.revision))
    if layer.status == Layer.Status.FINISHED:
        return FinishResult(True, findings, Changed(revision=layer.revision))
    return FinishResult(True, findings, set_status(layer=layer, status=Layer.Status.FINISHED, user=user))


@transaction.atomic
def reopen_layer(*, layer: Layer, user) -> Changed:
    if layer.status == Layer.Status.FINISHED:
        return set_status(layer=layer, status=Layer.Status.IN_PROGRESS, user=user)
    return Changed(revision=layer.revision)


@transaction.atomic
def set_document_stance(*, layer: Layer, stance: str, user) -> Changed:
    """The op-ed's stance towards its topic (For / Against / Neutral, or "" for none)."""
    if not layer.article.project.document_stance:
        raise AnnotationError("This project does not annotate the document stance.")
    ensure_open(layer)
    if stance not in ("", *Layer.Stance.values):
        raise AnnotationError(f"The document stance must be For, Against or Neutral, not “{stance}”.")
    if stance == layer.document_stance:
        return Changed(revision=layer.revision)
    before = {"document_stance": layer.document_stance}
    layer.document_stance = stance
    layer.save(update_fields=["document_stance", "updated_at"])
    return _log(layer, action="layer.document_stance", user=user, before=before, after={"document_stance": stance})


def _log(layer: Layer, *, action: str, user, before: dict, after: dict) -> Changed:
    return changes.log_layer_change(
        layer, target=f"layer:{layer.pk}", action=action, user=user, before=before, after=after
    )
