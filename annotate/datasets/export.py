"""Export: the project's articles with the chosen layers, as records, read in batches.

Each batch costs the same five queries (articles, layers, units, spans, relations)
however large the project. Identifiers are stable, so that export → import → export
gives the same bytes: an article is known by the first 12 hex digits of its text hash,
a unit by its place in its layer's text order ("T1", "T2", …), a relation by its place
in creation order.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from annotate.datasets.fast_paths import spans_of
from annotate.formats import registry
from annotate.formats.records import (
    ArticleRecord,
    LabelRecord,
    LayerRecord,
    RelationRecord,
    SchemeRecord,
    SpanRecord,
    UnitRecord,
    collector_paused,
)
from annotate.models import ArgumentUnit, Article, Layer, Project, Relation

GOLD = "gold"


def article_key(article: Article) -> str:
    return article.text_hash[:12]


@dataclass(frozen=True)
class LayerChoice:
    """Which layers an export holds: "all", "annotators", "gold", or one annotator's
    username; and whether only finished layers count."""

    which: str = "all"
    finished_only: bool = False

    def filter(self, layers: QuerySet[Layer]) -> QuerySet[Layer]:
        if self.which == GOLD:
            layers = layers.filter(annotator__isnull=True)
        elif self.which == "annotators":
            layers = layers.filter(annotator__isnull=False)
        elif self.which != "all":
            layers = layers.filter(annotator__username=self.which)
        if self.finished_only:
            layers = layers.filter(status=Layer.Status.FINISHED)
        return layers


def article_records(
    project: Project,
    *,
    choice: LayerChoice = LayerChoice(),
    articles: QuerySet[Article] | None = None,
    batch_size: int = 100,
    progress: Callable[[ArticleRecord], object] | None = None,
) -> Iterator[ArticleRecord]:
    """The project's articles (or `articles`) with the chosen layers, in id order.
    `progress(record)` is called for each article as it is handed on."""
    articles = (articles if articles is not None else project.articles.all()).order_by("pk")
    labels = dict(project.labels.values_list("pk", "name"))
    kinds = dict(project.relation_types.values_list("pk", "name"))
    last = 0
    while batch := list(articles.filter(pk__gt=last)[:batch_size]):
        last = batch[-1].pk
        # A batch's records are some 100,000 objects that live until the batch is written.
        with collector_paused():
            records = _batch_records(batch, choice, labels, kinds)
        for record in records:
            if progress is not None:
                progress(record)
            yield record


def _batch_records(batch: list[Article], choice: LayerChoice, labels: dict, kinds: dict) -> list[ArticleRecord]:
    # Plain rows, not model instances, and no per-row work that can be done once: building
    # objects would cost more than the export (see docs/benchmarks.md).
    layers = (
        choice.filter(Layer.objects.filter(article__in=batch))
        .order_by("article_id", "pk")
        .values_list("pk", "article_id", "annotator__username", "status", "document_stance")
    )
    # Gold first, then annotators by name: the same order in every export.
    layers = sorted(layers, key=lambda layer: (layer[1], layer[2] is not None, layer[2] or ""))
    layer_ids = [layer[0] for layer in layers]
    units = {
        row[0]: row
        for row in ArgumentUnit.objects.filter(layer__in=layer_ids)
        .order_by()
        .values_list("pk", "layer_id", "label_id", Cast("attributes", TextField()), "note")
    }
    # Spans in text order, ties by unit: a unit first appears at its first span, so units
    # come in their export order (by first span, then id) and a layer's units are numbered
    # T1, T2 … as they come, without sorting.
    made: dict[int, UnitRecord] = {}
    layer_units: dict[int, list[UnitRecord]] = {layer_id: [] for layer_id in layer_ids}
    # Attribute values repeat ({}, {"stance": "For"} …): each distinct text is parsed once a batch.
    parsed: dict[str, dict] = {}
    for unit_id, start, end in (
        spans_of(layer_ids).order_by("start", "end", "unit_id").values_list("unit_id", "start", "end")
    ):
        unit = made.get(unit_id)
        if unit is not None:
            unit.spans.append(SpanRecord(start, end))
            continue
        _, layer_id, label_id, attributes, note = units[unit_id]
        if attributes not in parsed:
            parsed[attributes] = json.loads(attributes)
        records = layer_units[layer_id]
        made[unit_id] = unit = UnitRecord(
            f"T{len(records) + 1}", labels[label_id], [SpanRecord(start, end)], dict(parsed[attributes]), note
        )
        records.append(unit)
    layer_relations: dict[int, list[RelationRecord]] = {layer_id: [] for layer_id in layer_ids}
    for layer_id, type_id, source, target in (
        Relation.objects.filter(layer__in=layer_ids)
        .order_by("pk")
        .values_list("layer_id", "type_id", "source_id", "target_id")
    ):
        records = layer_relations[layer_id]
        records.append(RelationRecord(f"R{len(records) + 1}", kinds[type_id], made[source].id, made[target].id))
    by_article: dict[int, list[LayerRecord]] = {}
    for pk, article_id, username, status, document_stance in layers:
        by_article.setdefault(article_id, []).append(
            LayerRecord(
                owner=username or GOLD,
                status=status,
                document_stance=document_stance,
                units=layer_units[pk],
                relations=layer_relations[pk],
            )
        )
    return [
        ArticleRecord(
            id=article_key(article),
            title=article.title,
            text=article.text,
            author=article.author,
            outlet=article.outlet,
            url=article.url,
            published=article.published.isoformat() if article.published else "",
            metadata=article.metadata,
            layers=by_article.get(article.pk, []),
        )
        for article in batch
    ]


def scheme_record(project: Project) -> SchemeRecord:
    """The project's label scheme, as the formats read it."""
    return SchemeRecord(
        labels=[LabelRecord(label.name, label.attributes, label.colour) for label in project.labels.all()],
        relation_types=list(project.relation_types.values_list("name", flat=True)),
    )


def export_chunks(
    project: Project, *, format_name: str, choice: LayerChoice, progress=None, **options: bool
) -> Iterator[str | bytes]:
    """The whole export of `project` in format `format_name`, chunk by chunk, as the
    download and the `export_dataset` command write it. `progress(record)` is called
    for each article as it is read."""
    format = registry.get(format_name)
    scheme = scheme_record(project) if format.needs_scheme else None
    records = article_records(project, choice=choice, progress=progress)
    return registry.exporter(format_name)(records, scheme=scheme, **options)


def export_file_name(project: Project, format_name: str) -> str:
    return f"{project.slug}-{format_name}{registry.get(format_name).extension}"
