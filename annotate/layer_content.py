"""One read model of what layers hold: their units with their spans, and their
relations, as plain rows read in two queries however many layers and units.

The workspace, the review, the structure checks, agreement and the exports all read
layers through `read`; each derives what it shows from these rows (a unit's label
object, its quote, its number in the text). A change to how units or spans are stored
is made here once.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.db import connection
from django.db.models import BooleanField, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from annotate.models import ArgumentUnit, Label, Layer, Relation, RelationType, Span

Spans = tuple[tuple[int, int], ...]


@dataclass(slots=True)
class UnitRow:
    id: int
    layer_id: int
    label_id: int
    attributes: dict
    spans: Spans  # code points, in text order
    note: str

    @property
    def start(self) -> int:
        return self.spans[0][0]

    def quote(self, text: str) -> str:
        """The unit's text: the fragments of a discontinuous unit joined by " … "."""
        return " … ".join(text[start:end] for start, end in self.spans)


@dataclass(slots=True)
class RelationRow:
    id: int
    layer_id: int
    type_id: int
    source_id: int
    target_id: int


@dataclass
class LayerContent:
    units: list[UnitRow] = field(default_factory=list)  # in text order: by first span, then id
    relations: list[RelationRow] = field(default_factory=list)  # in the order they were made


def read(layers: Iterable[int] | QuerySet[Layer], *, relations: bool = True) -> dict[int, LayerContent]:
    """The content of each layer, by layer id (an empty one for a layer without units):
    `layers` is a list of layer ids, or a query of layers (read as a subquery, for many).
    Two queries; one, without the relations, when `relations` is false."""
    if isinstance(layers, QuerySet):
        ids = layers.values("pk")
        found: dict[int, LayerContent] = {}
    else:
        ids = list(layers)
        found = {pk: LayerContent() for pk in ids}
    spans = (
        (Span.objects.filter(unit__layer__in=ids) if isinstance(layers, QuerySet) else _spans_of(ids))
        .order_by("start", "end", "unit_id")
        .values_list(
            "unit_id",
            "start",
            "end",
            "unit__layer_id",
            "unit__label_id",
            Cast("unit__attributes", TextField()),
            "unit__note",
        )
    )
    _gather_units(spans, found)
    if not relations:
        return found
    for row in (
        Relation.objects.filter(layer__in=ids)
        .order_by("pk")
        .values_list("pk", "layer_id", "type_id", "source_id", "target_id")
    ):
        relation = RelationRow(*row)
        content = found.get(relation.layer_id)
        if content is None:
            found[relation.layer_id] = content = LayerContent()
        content.relations.append(relation)
    return found


def read_one(layer: Layer, *, relations: bool = True) -> LayerContent:
    return read([layer.pk], relations=relations)[layer.pk]


@cache
def _stretch_sql() -> str:
    span, unit = (connection.ops.quote_name(model._meta.db_table) for model in (Span, ArgumentUnit))
    reaching = (
        f"SELECT x.unit_id FROM {span} x JOIN {unit} v ON v.id = x.unit_id "
        f'WHERE v.layer_id = %s AND x.start < %s AND x."end" > %s'
    )
    return (
        f'SELECT s.unit_id, s.start, s."end", u.layer_id, u.label_id, CAST(u.attributes AS TEXT), u.note '
        f"FROM {span} s JOIN {unit} u ON u.id = s.unit_id WHERE s.unit_id IN ({reaching}) "
        f'ORDER BY s.start, s."end", s.unit_id'
    )


def read_stretch(layer: Layer, stretch: tuple[int, int]) -> LayerContent:
    """The units of `layer` with a span in `stretch`, with all their spans (a unit's
    first span decides where its tag is drawn); no relations. What the answer to a
    change redraws, on every change: so in SQL written by hand, and only those units
    turned into rows (reading the whole layer cost a save a fifth of its time at 300
    units; docs/benchmarks.md, "Where a save's time goes")."""
    start, end = stretch
    found = {layer.pk: LayerContent()}
    with connection.cursor() as cursor:
        cursor.execute(_stretch_sql(), [layer.pk, end, start])
        _gather_units(cursor.fetchall(), found)
    return found[layer.pk]


def _gather_units(spans: Iterable[tuple], found: dict[int, LayerContent]) -> None:
    """Add to `found` (by layer id) the units of `spans`: rows of (unit id, start, end,
    layer id, label id, attributes as JSON text, note) in text order, ties by unit."""
    units: dict[int, UnitRow] = {}
    # Attribute values repeat ({}, {"stance": "For"} …): each distinct text is parsed once.
    parsed: dict[str, dict] = {}
    # Spans come in text order, ties by unit: a unit first appears at its first span, so
    # each layer's units come in text order without sorting.
    for unit_id, start, end, layer_id, label_id, attributes, note in spans:
        unit = units.get(unit_id)
        if unit is not None:
            unit.spans += ((start, end),)
            continue
        if attributes not in parsed:
            parsed[attributes] = json.loads(attributes)
        units[unit_id] = unit = UnitRow(unit_id, layer_id, label_id, dict(parsed[attributes]), ((start, end),), note)
        content = found.get(layer_id)
        if content is None:
            found[layer_id] = content = LayerContent()
        content.units.append(unit)


# --- What the pages show of the rows -----------------------------------------------


@dataclass(slots=True)
class UnitEntry:
    """A unit as the pages show it: its label, its quote, its number in the text."""

    id: int
    layer_id: int
    number: int  # position in text order, from 1
    label: Label
    attributes: dict
    spans: Spans
    quote: str  # the unit's text; the fragments of a discontinuous unit joined by " … "
    note: str = ""  # the annotator's or curator's note on the unit ("" for none)

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
        return tag(self.label, self.attributes)


@dataclass(slots=True)
class RelationEntry:
    id: int
    type: RelationType
    source: UnitEntry
    target: UnitEntry


def tag(label: Label, attributes: dict) -> str:
    """What the text shows before a unit, e.g. "Claim · For"."""
    return " · ".join([label.name, *attributes.values()])


def entries(
    content: LayerContent,
    *,
    labels: dict[int, Label],
    relation_types: dict[int, RelationType],
    text: str,
    unit_class: type[UnitEntry] = UnitEntry,
    relation_class: type[RelationEntry] = RelationEntry,
) -> tuple[list[UnitEntry], list[RelationEntry]]:
    """The layer's units in text order, numbered from 1, and its relations between them."""
    units = [
        unit_class(
            row.id, row.layer_id, number, labels[row.label_id], row.attributes, row.spans, row.quote(text), row.note
        )
        for number, row in enumerate(content.units, start=1)
    ]
    by_id = {unit.id: unit for unit in units}
    relations = [
        relation_class(row.id, relation_types[row.type_id], by_id[row.source_id], by_id[row.target_id])
        for row in content.relations
    ]
    return units, relations


def _spans_of(layer_ids: list[int]) -> QuerySet[Span]:
    """The spans of the units of the layers `layer_ids`.

    PostgreSQL plans the join of spans to units (`unit__layer__in`) as a hash join over
    the whole span table, whose cost grows with the project; asking for the spans of an
    array of unit ids, made by a subquery, is an index scan of the layers' spans alone,
    whatever the project's size (figures: docs/benchmarks.md, "Datasets"). SQLite has
    no arrays, and its nested-loop join already reads spans through the index.
    """
    if connection.vendor == "postgresql":
        span, unit = (connection.ops.quote_name(model._meta.db_table) for model in (Span, ArgumentUnit))
        units = f"SELECT {unit}.id FROM {unit} WHERE {unit}.layer_id = ANY(%s)"
        return Span.objects.filter(RawSQL(f"{span}.unit_id = ANY(ARRAY({units}))", [layer_ids], BooleanField()))
    return Span.objects.filter(unit__layer__in=layer_ids)
