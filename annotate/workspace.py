"""What the annotation workspace shows of one layer, loaded in a fixed number of queries,
and the layer-level actions: start, document stance, finish (after structure checks).
"""

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from annotate import changes, highlight, panel, structure
from annotate.models import ArgumentUnit, Label, Layer, Project, Relation, RelationType, Span
from annotate.units import AnnotationError, ensure_open


class StaleError(AnnotationError):
    """A change sent from a page that no longer shows the layer as it is."""


@dataclass(slots=True)
class UnitEntry:
    id: int
    number: int  # position in text order, from 1
    label: Label
    attributes: dict
    spans: list[tuple[int, int]]
    quote: str  # the unit's text; the fragments of a discontinuous unit joined by " … "

    @property
    def short_quote(self) -> str:
        """The quote cut for the side panel (slicing: the template filter is slow at 300 rows)."""
        return self.quote if len(self.quote) <= 140 else self.quote[:139] + "…"

    @property
    def tiny_quote(self) -> str:
        return self.quote if len(self.quote) <= 50 else self.quote[:49] + "…"

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def stance(self) -> str:
        return self.attributes.get("stance", "")

    @property
    def choices(self) -> list[tuple[str, str, bool]]:
        """(attribute, value, is it set) for every value the label allows."""
        return [
            (name, value, self.attributes.get(name) == value)
            for name, values in self.label.attributes.items()
            for value in values
        ]

    @property
    def tag(self) -> str:
        return " · ".join([self.label.name, *self.attributes.values()])


@dataclass(slots=True)
class RelationEntry:
    id: int
    type: RelationType
    source: UnitEntry
    target: UnitEntry


@dataclass
class Workspace:
    layer: Layer
    labels: list[Label]
    relation_types: list[RelationType]
    units: list[UnitEntry]
    relations: list[RelationEntry]

    @property
    def text(self) -> str:
        return self.layer.article.text

    @cached_property
    def text_html(self) -> SafeString:
        return mark_safe(highlight.render(self.text, _highlights(self.units)))  # noqa: S308 - render() escapes the text

    def _plain(self) -> tuple[list[structure.Unit], list[structure.Link], structure.Scheme]:
        units = [structure.Unit(u.id, u.label.name, u.attributes, u.quote, u.start) for u in self.units]
        links = [structure.Link(r.source.id, r.target.id, r.type.name) for r in self.relations]
        scheme = structure.Scheme(
            labels=tuple(
                structure.SchemeLabel(label.name, label.role, "stance" in label.attributes) for label in self.labels
            ),
            relation_types=tuple(kind.name for kind in self.relation_types),
        )
        return units, links, scheme

    def unit_rows(self, *, editable: bool) -> SafeString:
        return mark_safe(panel.unit_rows(self.units, editable=editable))  # noqa: S308 - escaped in panel

    def relation_rows(self, *, editable: bool) -> SafeString:
        return mark_safe(panel.relation_rows(self.relations, editable=editable))  # noqa: S308 - escaped in panel

    def explain(self, findings: list[structure.Finding]) -> list[tuple[str, list[UnitEntry]]]:
        """Each finding's message with the units it names, for the page to link to."""
        by_id = {unit.id: unit for unit in self.units}
        return [(finding.message, [by_id[pk] for pk in finding.unit_ids if pk in by_id]) for finding in findings]

    @cached_property
    def findings(self) -> list[structure.Finding]:
        units, links, scheme = self._plain()
        return structure.check(units, links, scheme=scheme)

    @cached_property
    def outline(self) -> structure.Outline:
        units, links, scheme = self._plain()
        return structure.outline(units, links, scheme=scheme)


def _highlights(units: Iterable[UnitEntry]) -> list[highlight.Highlight]:
    return [highlight.Highlight(u.id, u.label.pk, u.tag, tuple(u.spans)) for u in units]


# Every span of a layer's units, with its unit's label and attributes (as JSON text),
# in unit and then text order. Written in SQL, the same on PostgreSQL and SQLite: the
# ORM takes longer to build this query (about 1.2 ms here) than the database takes to
# answer it, and every page and every change reads it.
SPAN_ROWS = (
    'SELECT s.unit_id, s.start, s."end", u.label_id, CAST(u.attributes AS TEXT) '  # noqa: S608 - table names only
    f"FROM {Span._meta.db_table} s JOIN {ArgumentUnit._meta.db_table} u ON u.id = s.unit_id "
    "WHERE u.layer_id = %s ORDER BY s.unit_id, s.start"
)

# A unit as read by SPAN_ROWS: label id, attributes as JSON text, spans in text order.
UnitRow = tuple[int, str, list[tuple[int, int]]]


def _unit_rows(layer: Layer) -> dict[int, UnitRow]:
    """Every unit of `layer` by id, as plain values: building 300 units and their
    spans as model instances costs more than all the queries of a page together."""
    found: dict[int, UnitRow] = {}
    with connection.cursor() as cursor:
        cursor.execute(SPAN_ROWS, [layer.pk])
        for pk, start, end, label_id, attributes in cursor.fetchall():
            unit = found.get(pk)
            if unit is None:
                found[pk] = (label_id, attributes, [(start, end)])
            else:
                unit[2].append((start, end))
    return found


def _entries(rows: Iterable[tuple[int, UnitRow]], labels: list[Label], text: str) -> list[UnitEntry]:
    """The units in `rows`, in text order and numbered from 1 in it."""
    label_by_id = {label.pk: label for label in labels}
    # Attribute values repeat ({}, {"stance": "For"} …): each distinct text is parsed once.
    parsed: dict[str, dict] = {}
    units = []
    for pk, (label_id, attributes, spans) in rows:
        if attributes not in parsed:
            parsed[attributes] = json.loads(attributes)
        quote = " … ".join(text[start:end] for start, end in spans)
        units.append(UnitEntry(pk, 0, label_by_id[label_id], dict(parsed[attributes]), spans, quote))
    units.sort(key=lambda u: (u.spans[0], u.id))
    for number, unit in enumerate(units, start=1):
        unit.number = number
    return units


def project_labels(project: Project) -> list[Label]:
    """The project's labels, read once per project object: the form of a change and the
    text of its answer both need them (a relation's, neither)."""
    prefetch_related_objects([project], "labels")
    return list(project.labels.all())


def load(layer: Layer) -> Workspace:
    """Everything the workspace shows of `layer` (whose article and project are
    loaded): four queries, however many units it holds, and one fewer when the
    project's labels were read already."""
    project = layer.article.project
    labels = project_labels(project)
    rows = _unit_rows(layer)
    units = _entries(rows.items(), labels, layer.article.text)
    by_id = {unit.id: unit for unit in units}
    prefetch_related_objects([project], "relation_types")  # read once, as the labels are
    relation_types = list(project.relation_types.all())
    type_by_id = {kind.pk: kind for kind in relation_types}
    relations = [
        RelationEntry(pk, type_by_id[type_id], by_id[source], by_id[target])
        for pk, type_id, source, target in Relation.objects.filter(layer=layer).values_list(
            "pk", "type_id", "source_id", "target_id"
        )
    ]
    relations.sort(key=lambda r: (r.target.number, r.source.number))
    return Workspace(layer, labels, relation_types, units, relations)


def lines_html(layer: Layer, stretch: tuple[int, int]) -> SafeString:
    """The lines of the layer's text in `stretch` (whole lines), drawn as on the page
    and marked for htmx to swap in by their ids: for the answer to a change, which
    builds only the units on those lines (two queries, one fewer when the project's
    labels were read already)."""
    start, end = stretch
    rows = [(pk, row) for pk, row in _unit_rows(layer).items() if row[2][0][0] < end and row[2][-1][1] > start]
    units = _entries(rows, project_labels(layer.article.project), layer.article.text)
    return mark_safe(highlight.render(layer.article.text, _highlights(units), within=stretch, oob=True))  # noqa: S308 - render() escapes


def changed_stretch(layer: Layer) -> tuple[int, int] | None:
    """The whole lines of the text that the changes recorded through this `layer`
    object touched (the spans of the units they changed, before and after), or None
    if they touched no unit's spans, label or attributes (a relation, a status)."""
    offsets = [
        offset
        for change in getattr(layer, "recorded", [])
        for state in (change.before, change.after)
        if state and "spans" in state
        for span in state["spans"]
        for offset in span
    ]
    if not offsets:
        return None
    text = layer.article.text
    starts = highlight.line_starts(text)
    first = starts[bisect_right(starts, min(offsets)) - 1]
    end = next((line for line in starts if line >= max(offsets)), len(text))
    return first, end


def check_revision(layer: Layer, revision: int) -> None:
    """Refuse a change sent from a page showing an older state of the layer."""
    if revision != layer.revision:
        raise StaleError(
            "This layer has changed since this page was loaded (perhaps in another tab). "
            "Reload the page to see it as it is now; nothing was changed."
        )


def start_layer(*, layer: Layer, user) -> None:
    """Start `layer` (not started → in progress) if it has not started: called by a
    change, in its transaction and before it, so opening a layer (a GET) changes
    nothing and the first change's revision counts both."""
    if layer.status == Layer.Status.NOT_STARTED:
        set_status(layer=layer, status=Layer.Status.IN_PROGRESS, user=user)


def set_status(*, layer: Layer, status: str, user) -> None:
    before = {"status": layer.status}
    layer.status = status
    layer.finished_at = timezone.now() if status == Layer.Status.FINISHED else None
    layer.save(update_fields=["status", "finished_at", "updated_at"])
    _record(layer, action="layer.status", user=user, before=before, after={"status": status})


@dataclass
class FinishResult:
    finished: bool  # whether the layer is now finished
    findings: list[structure.Finding]  # what the structure checks found (overridden, if finished)


@transaction.atomic
def finish_layer(*, layer: Layer, user, confirmed: bool = False) -> FinishResult:
    """Mark `layer` finished unless its structure checks find something. With
    findings, nothing changes unless the annotator confirmed them and the project lets
    checks warn rather than block; the result says which, and what was found."""
    findings = load(layer).findings
    blocked = findings and (layer.article.project.structure_checks_block or not confirmed)
    if blocked:
        return FinishResult(False, findings)
    if layer.status != Layer.Status.FINISHED:
        set_status(layer=layer, status=Layer.Status.FINISHED, user=user)
    return FinishResult(True, findings)


@transaction.atomic
def reopen_layer(*, layer: Layer, user) -> None:
    if layer.status == Layer.Status.FINISHED:
        set_status(layer=layer, status=Layer.Status.IN_PROGRESS, user=user)


@transaction.atomic
def set_document_stance(*, layer: Layer, stance: str, user) -> None:
    """The op-ed's stance towards its topic (For / Against / Neutral, or "" for none)."""
    if not layer.article.project.document_stance:
        raise AnnotationError("This project does not annotate the document stance.")
    ensure_open(layer)
    if stance not in ("", *Layer.Stance.values):
        raise AnnotationError(f"The document stance must be For, Against or Neutral, not “{stance}”.")
    if stance == layer.document_stance:
        return
    before = {"document_stance": layer.document_stance}
    layer.document_stance = stance
    layer.save(update_fields=["document_stance", "updated_at"])
    _record(layer, action="layer.document_stance", user=user, before=before, after={"document_stance": stance})


def _record(layer: Layer, *, action: str, user, before: dict, after: dict) -> None:
    changes.record_in_layer(layer, target=f"layer:{layer.pk}", action=action, user=user, before=before, after=after)
