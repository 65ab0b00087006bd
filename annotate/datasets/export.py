"""Export: the project's articles with the chosen layers, as records, read in batches.

Each batch costs the same four queries (articles, layers, units with their spans,
relations; pinned in tests/test_datasets.py) however large the project. Identifiers are
stable, so that export → import → export gives the same bytes: an article is known by
the first 12 hex digits of its text hash, a unit by its place in its layer's text order
("T1", "T2", …), a relation by its place in creation order.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from annotate import layer_content
from annotate.formats import registry
from annotate.formats.losses import LossReport
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
from annotate.models import Article, Layer, Project

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
    type_names = dict(project.relation_types.values_list("pk", "name"))
    last = 0
    while batch := list(articles.filter(pk__gt=last)[:batch_size]):
        last = batch[-1].pk
        # A batch's records are some 100,000 objects that live until the batch is written.
        with collector_paused():
            records = _batch_records(batch, choice, labels, type_names)
        for record in records:
            if progress is not None:
                progress(record)
            yield record


def _batch_records(batch: list[Article], choice: LayerChoice, labels: dict, type_names: dict) -> list[ArticleRecord]:
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
    contents = layer_content.read(layer_ids)
    layer_units: dict[int, list[UnitRecord]] = {}
    layer_relations: dict[int, list[RelationRecord]] = {}
    for layer_id, content in contents.items():
        # Units in text order are numbered T1, T2 …, relations in the order they were made R1, R2 …
        made = {
            row.id: UnitRecord(
                f"T{number}", labels[row.label_id], [SpanRecord(*span) for span in row.spans], row.attributes, row.note
            )
            for number, row in enumerate(content.units, start=1)
        }
        layer_units[layer_id] = list(made.values())
        layer_relations[layer_id] = [
            RelationRecord(f"R{number}", type_names[row.type_id], made[row.source_id].id, made[row.target_id].id)
            for number, row in enumerate(content.relations, start=1)
        ]
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
    project: Project,
    *,
    format_name: str,
    choice: LayerChoice,
    progress=None,
    report: LossReport | None = None,
    **options: bool,
) -> Iterator[str | bytes]:
    """The whole export of `project` in format `format_name`, chunk by chunk, as the
    download and the `export_dataset` command write it. `progress(record)` is called
    for each article as it is read; what a lossy format leaves out goes to `report`
    as it is written."""
    format = registry.get(format_name)
    scheme = scheme_record(project) if format.needs_scheme else None
    records = article_records(project, choice=choice, progress=progress)
    return registry.exporter(format_name)(records, scheme=scheme, report=report, **options)


def export_losses(project: Project, *, format_name: str, choice: LayerChoice, **options: bool) -> LossReport:
    """What the export of `project` in format `format_name` would leave out, found by
    writing it and throwing the chunks away, so the page says exactly what the file's
    header will; a lossless format's report is empty without reading anything."""
    report = LossReport()
    if registry.get(format_name).lossy:
        for _ in export_chunks(project, format_name=format_name, choice=choice, report=report, **options):
            pass
    return report


def export_file_name(project: Project, format_name: str) -> str:
    return f"{project.slug}-{format_name}{registry.get(format_name).extension}"
