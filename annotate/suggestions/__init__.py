"""Suggested units and relations for one layer: made, shown, accepted and rejected.

Where suggestions come from (`Suggestion.source`):

- "markers": discourse markers (`markers.py`), from the first article, until a model
  is in use;
- "model": the project's newest ready suggestion model (`learning.py`), trained on
  its gold (and, in a project that is not blind, on finished layers), in the markers'
  place once there is one;
- any other name: predictions imported from a file (`predictions.py`), e.g. a lab's
  own model run elsewhere.

A layer's suggestions from markers and the model are made when it is opened and kept
(`SuggestionRun` says from what); they are made again only when the project's markers
or its model change, and a span and label once rejected is not suggested again.

What is shown (`shown`): the open suggestions no unit of the layer overlaps, where two
suggestions overlap the one of the stronger source (imported, then model, then
markers); and the relation suggestions whose two ends are units of the layer (exactly
those spans) or shown unit suggestions, and whose units are not linked yet.

Accepting is an ordinary change (`units.create_unit`, `relations.create_relation`):
undoable, counted in the layer's revision, its record naming the suggestion, its
source and model version. Accepting a relation whose ends are suggestions accepts them
too, as one step. Rejecting is a change of the layer too (action "suggestion.reject"),
undone by Ctrl+Z like any other, and kept for the next training.
"""

from bisect import bisect_right
from dataclasses import dataclass

from django.db import transaction

from annotate import changes, relations, units
from annotate.changes import Changed
from annotate.datasets import fast_paths
from annotate.layer_content import RelationEntry, UnitEntry
from annotate.models import (
    ArgumentUnit,
    Label,
    Layer,
    Project,
    RelationType,
    Span,
    Suggestion,
    SuggestionModel,
    SuggestionRun,
)
from annotate.structure import CLAIM, MAIN, PREMISE, SUPPORT_NAMES
from annotate.suggestions import markers as marker_hints
from annotate.units import AnnotationError, NotFoundError, ensure_open

MARKERS = "markers"
MODEL = "model"
MADE_HERE = (MARKERS, MODEL)
ATTACK_NAMES = frozenset({"attacks", "attack", "rebuts", "undercuts"})


def strength(source: str) -> int:
    """Which of two overlapping suggestions is shown: the lower wins."""
    return {MODEL: 1, MARKERS: 2}.get(source, 0)


@dataclass(frozen=True)
class Ghost:
    """A shown unit suggestion."""

    id: int
    label: Label
    span: tuple[int, int]
    source: str
    model_version: int | None
    score: float | None

    @property
    def start(self) -> int:
        return self.span[0]


@dataclass(frozen=True)
class GhostLink:
    """A shown relation suggestion; each end a unit's id (`unit:12`) or a ghost's (`suggestion:7`)."""

    id: int
    type: RelationType
    source: str
    target: str
    source_span: tuple[int, int]
    target_span: tuple[int, int]
    origin: str
    model_version: int | None


@dataclass(frozen=True)
class Shown:
    units: list[Ghost]
    relations: list[GhostLink]
    # The model's suggestions are still to be made (`shown(defer_model=True)`): the page
    # asks for them once it is shown.
    pending: bool = False

    def __bool__(self) -> bool:
        return bool(self.units or self.relations)


NOTHING = Shown([], [])
PENDING = Shown([], [], pending=True)


# --- Making them --------------------------------------------------------------------------


def current_model(project: Project) -> SuggestionModel | None:
    """The project's newest ready model (without its tagger's bytes), if it has one."""
    return (
        SuggestionModel.objects.filter(project=project, status=SuggestionModel.Status.READY)
        .defer("tagger", "relation_weights")
        .order_by("-version")
        .first()
    )


def label_for(project: Project, role: str) -> Label | None:
    """The project's first label of `role` ("claim": a claim label, else the main one)."""
    labels = project.scheme_labels
    wanted = (CLAIM, MAIN) if role == "claim" else (PREMISE,)
    for each in wanted:
        for label in labels:
            if label.role == each:
                return label
    return None


def relation_type_for(project: Project, kind: str) -> RelationType | None:
    names = SUPPORT_NAMES if kind == marker_hints.SUPPORTS else ATTACK_NAMES
    return next((each for each in project.scheme_relation_types if each.name.lower() in names), None)


def _from_markers(layer: Layer) -> list[Suggestion]:
    project = layer.article.project
    hints, links = marker_hints.hints(layer.article.text, marker_hints.markers_of(project.suggestion_markers))
    made = []
    for hint in hints:
        label = label_for(project, hint.role)
        if label is not None:
            made.append(
                Suggestion(
                    layer=layer,
                    kind=Suggestion.Kind.UNIT,
                    source=MARKERS,
                    label=label,
                    start=hint.span[0],
                    end=hint.span[1],
                )
            )
    for link in links:
        relation_type = relation_type_for(project, link.kind)
        if relation_type is not None:
            made.append(
                Suggestion(
                    layer=layer,
                    kind=Suggestion.Kind.RELATION,
                    source=MARKERS,
                    relation_type=relation_type,
                    start=link.source[0],
                    end=link.source[1],
                    target_start=link.target[0],
                    target_end=link.target[1],
                )
            )
    return made


def _from_model(layer: Layer, model: SuggestionModel) -> list[Suggestion]:
    from annotate.suggestions import learning  # numpy and crfsuite: loaded when a model exists

    project = layer.article.project
    predicted = learning.predict(model, layer.article.text, project)
    # By ids, not instances: a long article makes hundreds, and each instance set on a
    # foreign key costs more than the row's other fields together.
    made = [
        Suggestion(
            layer_id=layer.pk,
            kind=Suggestion.Kind.UNIT,
            source=MODEL,
            model_id=model.pk,
            label_id=label.pk,
            start=start,
            end=end,
            score=score,
        )
        for label, (start, end), score in predicted.units
    ]
    made += [
        Suggestion(
            layer_id=layer.pk,
            kind=Suggestion.Kind.RELATION,
            source=MODEL,
            model_id=model.pk,
            relation_type_id=relation_type.pk,
            start=source[0],
            end=source[1],
            target_start=target[0],
            target_end=target[1],
            score=score,
        )
        for relation_type, source, target, score in predicted.relations
    ]
    return made


def what_it_suggests(suggestion: Suggestion) -> tuple:
    """What makes two suggestions the same, whatever their source: one rejected is not
    made or imported again."""
    return (
        suggestion.kind,
        suggestion.label_id,
        suggestion.relation_type_id,
        suggestion.start,
        suggestion.end,
        suggestion.target_start,
        suggestion.target_end,
    )


def refresh(
    layer: Layer, *, stored: list[Suggestion] | None = None, ready: dict | None = None, defer_model: bool = False
) -> list[Suggestion] | None:
    """Make the layer's suggestions from markers and the model when they were not made
    from what the project has now; return all its suggestions (open and rejected).
    Nothing for a project with suggestions off or a finished layer. `stored`: the
    layer's suggestions, when the caller has read them. `ready`: what was made for
    the article already, by source, for a caller going through its layers (`prepare`).
    `defer_model`: None, and nothing made, if the model's are to be made (tagging a
    long article takes tens of milliseconds: the page opens first, then asks)."""
    project = layer.article.project
    if stored is None:
        stored = list(Suggestion.objects.filter(layer=layer))
    if not project.suggestions or layer.status == Layer.Status.FINISHED:
        return stored
    model = current_model(project)
    # Marker hints start the project; once a model is in use it takes their place (it
    # learnt from the markers as features, and their hints beside its own were mostly
    # rejected: docs/suggestions.md, "Effort").
    if model is None:
        wanted = {MARKERS: marker_hints.fingerprint(marker_hints.markers_of(project.suggestion_markers))}
    else:
        wanted = {MODEL: str(model.pk)}
    made = dict(SuggestionRun.objects.filter(layer=layer).values_list("source", "key"))
    stale = [source for source, key in wanted.items() if made.get(source) != key]
    stale += [source for source in made if source not in wanted]
    if not stale:
        return stored
    if defer_model and MODEL in stale and MODEL in wanted:
        return None
    rejected = {what_it_suggests(each) for each in stored if each.status == Suggestion.Status.REJECTED}
    new: list[Suggestion] = []
    for source in stale:
        if source in wanted:
            new += _made(layer, source, model, ready)
    new = [each for each in new if what_it_suggests(each) not in rejected]
    with transaction.atomic():
        # A second tab opening the layer at the same time waits here, then finds them made.
        list(Layer.objects.select_for_update().filter(pk=layer.pk).order_by().values_list("pk"))
        if dict(SuggestionRun.objects.filter(layer=layer).values_list("source", "key")) != made:
            return list(Suggestion.objects.filter(layer=layer))
        Suggestion.objects.filter(layer=layer, source__in=stale, status=Suggestion.Status.OPEN).delete()
        SuggestionRun.objects.filter(layer=layer, source__in=stale).exclude(source__in=wanted).delete()
        _write(new)
        SuggestionRun.objects.bulk_create(
            [SuggestionRun(layer=layer, source=source, key=wanted[source]) for source in stale if source in wanted],
            update_conflicts=True,
            unique_fields=["layer", "source"],
            update_fields=["key", "made_at"],
        )
    return [each for each in stored if not (each.source in stale and each.status == Suggestion.Status.OPEN)] + new


_COPIED = [field.attname for field in Suggestion._meta.concrete_fields if field.attname not in ("id", "layer_id")]
_WRITTEN = ["layer_id", *(name for name in _COPIED if name != "created_at")]


def _write(made: list[Suggestion]) -> None:
    """Insert `made`, their ids set (the ghosts are drawn by id): on PostgreSQL with COPY,
    without bulk_create's preparing of each row (which took twice as long for the 254
    suggestions of an 18,000-character article)."""
    rows = [tuple(getattr(each, name) for name in _WRITTEN) for each in made]
    for each, pk in zip(made, fast_paths.insert_with_ids(Suggestion, _WRITTEN, rows), strict=True):
        each.pk = pk
        each._state.adding = False
        each._state.db = "default"


def _made(layer: Layer, source: str, model: SuggestionModel | None, ready: dict | None) -> list[Suggestion]:
    """The suggestions `source` makes for the layer's article, as new rows of `layer`:
    from `ready` when it holds the article's, else made (and kept there)."""
    key = (layer.article_id, source)
    if ready is not None and key in ready:
        return _copies(ready[key], layer)
    made = _from_markers(layer) if source == MARKERS else _from_model(layer, model)
    if ready is not None:
        if any(article_id != layer.article_id for article_id, _ in ready):
            ready.clear()  # one article's at a time
        ready[key] = _copies(made, layer)
    return made


def _copies(made: list[Suggestion], layer: Layer) -> list[Suggestion]:
    """New, unsaved rows of `layer` suggesting what `made` does."""
    return [Suggestion(layer_id=layer.pk, **{name: getattr(each, name) for name in _COPIED}) for each in made]


def prepare(project: Project, *, job=None) -> int:
    """Make the suggestions of every open layer of the project from what it has now
    (each article's text tagged once, however many layers it has), so that opening a
    layer reads them rather than making them: the training job runs it once a new model
    is ready. Returns how many layers it went through."""
    if not project.suggestions:
        return 0
    layers = (
        Layer.objects.filter(article__project=project)
        .exclude(status=Layer.Status.FINISHED)
        .select_related("article")
        .order_by("article_id", "pk")
    )
    total = layers.count()
    ready: dict = {}
    for done, layer in enumerate(layers.iterator(chunk_size=200), start=1):
        layer.article.project = project
        refresh(layer, ready=ready)
        if job is not None:
            job.report_progress("suggesting", done, total)
    return total


# --- Showing them -------------------------------------------------------------------------


def shown(
    layer: Layer,
    unit_entries: list[UnitEntry],
    relation_entries: list[RelationEntry],
    *,
    stored: list[Suggestion] | None = None,
    within: tuple[int, int] | None = None,
    defer_model: bool = False,
) -> Shown:
    """What the workspace draws of the layer's suggestions, beside its units and relations.
    `within`: only the unit suggestions meeting that stretch, as made when the page was
    opened (what the answer to a change redraws: one query, on every change).
    `defer_model`: PENDING rather than wait for the model's to be made (`refresh`)."""
    project = layer.article.project
    if not project.suggestions:
        return NOTHING
    if within is not None:
        every = list(
            Suggestion.objects.filter(
                layer=layer,
                kind=Suggestion.Kind.UNIT,
                status=Suggestion.Status.OPEN,
                start__lt=within[1],
                end__gt=within[0],
            )
        )
    else:
        every = refresh(layer, stored=stored, defer_model=defer_model)
        if every is None:
            return PENDING
    labels = {label.pk: label for label in project.scheme_labels}
    relation_types = {each.pk: each for each in project.scheme_relation_types}
    versions = (
        dict(SuggestionModel.objects.filter(project=project).values_list("pk", "version"))
        if any(each.model_id for each in every)
        else {}
    )
    taken = _Stretches(span for unit in unit_entries for span in unit.spans)
    open_units = sorted(
        (
            each
            for each in every
            if each.status == Suggestion.Status.OPEN and each.kind == Suggestion.Kind.UNIT and each.label_id in labels
        ),
        key=lambda each: (strength(each.source), -(each.score or 0), each.start, each.pk),
    )
    kept: list[Suggestion] = []
    for each in open_units:
        if taken.meets(each.span):
            continue
        kept.append(each)
        taken.add(each.span)
    kept.sort(key=lambda each: (each.start, each.end))
    ghosts = [
        Ghost(each.pk, labels[each.label_id], each.span, each.source, versions.get(each.model_id), each.score)
        for each in kept
    ]
    # A relation's end on a span two units share is the older unit, as accepting takes it (`_unit_on`).
    ends: dict[tuple[int, int], str] = {}
    for unit in sorted(unit_entries, key=lambda each: each.id):
        if len(unit.spans) == 1:
            ends.setdefault(tuple(unit.spans[0]), f"unit:{unit.id}")
    for ghost in ghosts:
        ends.setdefault(ghost.span, f"suggestion:{ghost.id}")
    linked = {relations.pair(f"unit:{r.source.id}", f"unit:{r.target.id}") for r in relation_entries}
    links: list[GhostLink] = []
    for each in every:
        if each.status != Suggestion.Status.OPEN or each.kind != Suggestion.Kind.RELATION:
            continue
        source, target = ends.get(each.span), ends.get(each.target_span)
        if source is None or target is None or source == target or each.relation_type_id not in relation_types:
            continue
        if relations.pair(source, target) in linked:
            continue
        linked.add(relations.pair(source, target))
        links.append(
            GhostLink(
                each.pk,
                relation_types[each.relation_type_id],
                source,
                target,
                each.span,
                each.target_span,
                each.source,
                versions.get(each.model_id),
            )
        )
    return Shown(ghosts, links)


class _Stretches:
    """Stretches of text taken, kept as disjoint sorted intervals, so that asking whether
    a span meets one halves its way there (a long article has hundreds of suggestions)."""

    def __init__(self, spans):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if self.ends and start < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def meets(self, span: tuple[int, int]) -> bool:
        """Whether `span` shares a character with a stretch taken."""
        index = bisect_right(self.ends, span[0])
        return index < len(self.starts) and self.starts[index] < span[1]

    def add(self, span: tuple[int, int]) -> None:
        """Take `span`, which meets no stretch taken."""
        index = bisect_right(self.ends, span[0])
        self.starts.insert(index, span[0])
        self.ends.insert(index, span[1])


# --- Accepting and rejecting ---------------------------------------------------------------


def _open(layer: Layer, suggestion_id: int) -> Suggestion:
    suggestion = Suggestion.objects.filter(pk=suggestion_id, layer=layer).select_related("model").first()
    if suggestion is None:
        raise NotFoundError("That suggestion is no longer there: reload the page.")
    if suggestion.status != Suggestion.Status.OPEN:
        raise AnnotationError("That suggestion was rejected already.")
    return suggestion


def provenance(suggestion: Suggestion) -> dict:
    """What a change record keeps of the suggestion it came from."""
    return {
        "id": suggestion.pk,
        "source": suggestion.source,
        "model": suggestion.model.version if suggestion.model_id else None,
    }


def _unit_on(layer: Layer, span: tuple[int, int]) -> ArgumentUnit | None:
    """The layer's unit whose only span is exactly `span` (the older, if two are)."""
    units_there = ArgumentUnit.objects.filter(layer=layer, spans__start=span[0], spans__end=span[1])
    for unit in units_there.order_by("pk").prefetch_related("spans"):
        if [(each.start, each.end) for each in unit.spans.all()] == [span]:
            return unit
    return None


def _accept_unit(layer: Layer, suggestion: Suggestion, user, *, label: Label | None = None) -> Changed:
    text = layer.article.text
    covered = Span.objects.filter(unit__layer=layer, start__lt=suggestion.end, end__gt=suggestion.start)
    if covered.exists():
        raise AnnotationError(
            f"A unit already covers part of “{text[suggestion.start : suggestion.end][:40]}”: "
            "this suggestion is out of date. Reload the page."
        )
    return units.create_unit(
        layer=layer,
        label=label or suggestion.label,
        spans=[suggestion.span],
        user=user,
        suggested=provenance(suggestion),
    )


def _end(layer: Layer, span: tuple[int, int], user) -> tuple[ArgumentUnit, Changed]:
    """The unit at one end of a relation suggestion: the layer's, or the open unit
    suggestion on that span, accepted now."""
    unit = _unit_on(layer, span)
    if unit is not None:
        return unit, Changed()
    candidates = Suggestion.objects.filter(
        layer=layer, kind=Suggestion.Kind.UNIT, status=Suggestion.Status.OPEN, start=span[0], end=span[1]
    ).select_related("label", "model")
    ghost = min(candidates, key=lambda each: (strength(each.source), -(each.score or 0), each.pk), default=None)
    if ghost is None:
        raise NotFoundError("One end of that suggested relation is no longer there: reload the page.")
    changed = _accept_unit(layer, ghost, user)
    return changed.unit, changed


@transaction.atomic
def accept(*, layer: Layer, suggestion_id: int, user, label: Label | None = None) -> Changed:
    """Accept one suggestion: its unit, or its relation (with its ends, when they are
    suggestions), as one step. `label`: a unit suggestion's words taken with another
    label than the one suggested (its span was right, its label not)."""
    ensure_open(layer)
    suggestion = _open(layer, suggestion_id)
    with changes.one_step():
        if suggestion.kind == Suggestion.Kind.UNIT:
            return _accept_unit(layer, suggestion, user, label=label)
        if label is not None:
            raise AnnotationError(
                "A label key takes a suggested unit; this is a suggested relation (Enter accepts it)."
            )
        return _accept_relation(layer, suggestion, user)


def _accept_relation(layer: Layer, suggestion: Suggestion, user) -> Changed:
    """The suggested relation, with its ends taken first where they are suggestions."""
    source, made_source = _end(layer, suggestion.span, user)
    target, made_target = _end(layer, suggestion.target_span, user)
    linked = relations.create_relation(
        layer=layer,
        type=suggestion.relation_type,
        source=source,
        target=target,
        user=user,
        suggested=provenance(suggestion),
    )
    return made_source.then(made_target).then(linked)


@transaction.atomic
def accept_all(*, layer: Layer, within: tuple[int, int], user, shown_now: Shown) -> Changed:
    """Accept every shown suggestion inside `within` (a paragraph): its units, then the
    relations between units there, as one step. Nothing shown there: an error."""
    ensure_open(layer)
    start, end = within
    picked = [ghost.id for ghost in shown_now.units if start <= ghost.span[0] and ghost.span[1] <= end]
    picked += [
        link.id
        for link in shown_now.relations
        if all(start <= span[0] and span[1] <= end for span in (link.source_span, link.target_span))
    ]
    if not picked:
        raise AnnotationError("There is no suggestion in this paragraph to accept.")
    done = Changed()
    with changes.one_step():
        for suggestion_id in picked:
            suggestion = Suggestion.objects.select_related("label", "relation_type", "model").get(pk=suggestion_id)
            if suggestion.kind == Suggestion.Kind.UNIT:
                done = done.then(_accept_unit(layer, suggestion, user))
            else:
                done = done.then(_accept_relation(layer, suggestion, user))
    return done


@transaction.atomic
def reject(*, layer: Layer, suggestion_id: int, user) -> Changed:
    """Reject a suggestion: it is not shown again, nor made again from the same source,
    and the next training learns from it. A change of the layer, so Undo brings it back."""
    ensure_open(layer)
    suggestion = _open(layer, suggestion_id)
    Suggestion.objects.filter(pk=suggestion.pk).update(status=Suggestion.Status.REJECTED)
    # Its spans, so that the answer to it, and to its undo and redo, redraws its lines.
    spans = [list(suggestion.span)] + ([list(suggestion.target_span)] if suggestion.target_start is not None else [])
    return changes.log_layer_change(
        layer,
        target=f"suggestion:{suggestion.pk}",
        action="suggestion.reject",
        user=user,
        before={"status": Suggestion.Status.OPEN, "spans": spans, **provenance(suggestion)},
        after={"status": Suggestion.Status.REJECTED, "spans": spans, **provenance(suggestion)},
    )
