"""Machine predictions imported as suggestions for existing layers.

A predictions file is native JSON Lines (`formats/jsonl.py`, docs/formats.md), one line
per article, with two fields of its own:

- `source` (a name of 1–100 characters, not "markers" or "model", which name the
  suggestions made here): once on the layer for all its units and relations, and on a
  unit for that unit; a relation's own is its `origin` (its `source` is its source
  unit, as in every native file). A unit's or relation's own wins; each has one.
- `score` (a number from 0 to 1), optional, on a unit or relation.

A line names an article of the project by its text (the SHA-256 of the text as stored,
after the text is normalised as an import does) and, if it gives an `id`, by the id
the exports write (the hash's first 12 hex digits); it never makes an article. Each
layer's `owner` (an annotator's username or "gold") names the layer of that article
that takes the suggestions; it must exist. A unit becomes a unit suggestion, which has
one span: a unit of several spans is refused (split it into units). A relation becomes
a relation suggestion whose ends are its units' spans. A suggestion holds a label or a
relation type and nothing else, so attributes, notes, a layer's status and document
stance are refused rather than dropped.

Importing is all or nothing, read twice as the dataset import reads (line by line, to
check, then to write in one transaction). Importing a source into a layer again
replaces that source's open suggestions there; one equal to a rejected suggestion of
the layer is not suggested again, and the rejected ones stay as they are.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from annotate.datasets import GOLD, IMPORT_LOCK, count_words, storage_problems, upload_too_large
from annotate.datasets.fast_paths import advisory_lock
from annotate.datasets.reading import batches
from annotate.formats import brat, jsonl
from annotate.formats.checks import FormatError, unstorable_problem
from annotate.formats.records import ArticleRecord, RelationRecord, UnitRecord
from annotate.models import Layer, Project, Suggestion, text_hash
from annotate.relations import pair
from annotate.suggestions import MADE_HERE, what_it_suggests

EXPORT_ID = re.compile(r"[0-9a-f]{12}")  # an article's id in every export: its text hash's start
SOURCE_LENGTH = Suggestion._meta.get_field("source").max_length
SHOWN = 200  # layers a preview lists
BATCH = 250  # lines planned (and written) per round of queries


@dataclass(frozen=True)
class Predicted:
    """A unit or relation of the file, with its source and score."""

    record: UnitRecord | RelationRecord
    source: str
    score: float | None


@dataclass
class PredictedLayer:
    owner: str
    units: list[Predicted]
    relations: list[Predicted]


@dataclass
class PredictionLine:
    number: int
    article: ArticleRecord
    layers: list[PredictedLayer]


@dataclass
class LayerPredictions:
    """What an import does to one layer: per source, the suggestions it makes, the open
    ones it replaces, and those left out as equal to rejected ones."""

    line: int
    title: str
    owner: str
    sources: list[str]
    units: int = 0
    relations: int = 0
    replaced: int = 0
    rejected: int = 0


@dataclass
class PredictionReport:
    """What an import of predictions wrote (or would write), or what is wrong. It keeps
    the first SHOWN layers for a preview to list and the totals of them all."""

    problems: list[str] = field(default_factory=list)
    layers: list[LayerPredictions] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    sources: set[str] = field(default_factory=set)
    written: bool = False

    def add(self, layer: LayerPredictions) -> None:
        if len(self.layers) < SHOWN:
            self.layers.append(layer)
        self.totals["layers"] += 1
        for name in COUNTED[1:]:
            self.totals[name] += getattr(layer, name)
        self.sources.update(layer.sources)

    @property
    def source_names(self) -> list[str]:
        return sorted(self.sources)

    @property
    def more_layers(self) -> int:
        return self.totals["layers"] - len(self.layers)

    @property
    def in_words(self) -> list[str]:
        """The counts the page and the command show, e.g. ["2 layers", "5 unit suggestions", …]."""
        totals = self.totals
        words = [
            count_words(totals["layers"], "layer"),
            count_words(totals["units"], "unit suggestion"),
            count_words(totals["relations"], "relation suggestion"),
        ]
        if totals["replaced"]:
            words.append(count_words(totals["replaced"], "open suggestion replaced", "open suggestions replaced"))
        if totals["rejected"]:
            words.append(f"{totals['rejected']:,} rejected before, not suggested again")
        return words

    @property
    def summary(self) -> str:
        return ", ".join(self.in_words)


COUNTED = ("layers", "units", "relations", "replaced", "rejected")


# --- Reading the file ------------------------------------------------------------------------


def read(file: BinaryIO, *, file_name: str, max_line_bytes: int) -> Iterator[PredictionLine]:
    """The lines of a predictions file as it is read, each checked on its own (what the
    project holds is `import_predictions`'s to check); `FormatError` naming the line at
    the first problem. Reads as `jsonl.read` does: a line at a time, none longer than
    `max_line_bytes`, blank lines skipped, a byte-order mark allowed at the start."""
    number = 0
    found = False
    limit = f"{brat.size_in_words(max_line_bytes)} (the limit, ANNOTATE_MAX_ENTRY_BYTES)"
    while raw := file.readline(max_line_bytes + 1):
        number += 1
        if len(raw) > max_line_bytes:
            raise FormatError(f"the line is longer than {limit}", file_name=file_name, line=number)
        raw = raw.removesuffix(b"\n")
        if number == 1:
            raw = raw.removeprefix(jsonl.BYTE_ORDER_MARK)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start : error.start + 1].hex()
            raise FormatError(f"not valid UTF-8 (byte 0x{byte})", file_name=file_name, line=number) from None
        if not text.strip():
            continue
        try:
            line = _line(text, number)
        except json.JSONDecodeError as error:
            problem = f"not valid JSON ({error.msg} at column {error.colno})"
            raise FormatError(problem, file_name=file_name, line=number) from None
        except ValueError as problem:
            raise FormatError(str(problem), file_name=file_name, line=number) from None
        found = True
        yield line
    if not found:
        raise FormatError("the file holds no predictions", file_name=file_name)


_NOT_GIVEN = object()


def _line(text: str, number: int) -> PredictionLine:
    data = jsonl.load_json(text)
    extras = _take_extras(data)
    article = jsonl.article_from_json(data)
    if problems := storage_problems([article]):
        raise ValueError(problems[0].removeprefix("Article 1: "))
    layers = [_layer(layer, extra) for layer, extra in zip(article.layers, extras, strict=True)]
    if not any(layer.units or layer.relations for layer in layers):
        raise ValueError("the line predicts no unit or relation")
    return PredictionLine(number, article, layers)


def _take_extras(data: object) -> list[tuple]:
    """Take `source` and `score` out of the line's layers, units and relations (the
    native reader refuses fields it does not know): per layer, its source and the
    (source, score) of each of its units and relations, in the file's order. A line of
    another shape is left for the native reader to refuse."""
    extras = []
    layers = data.get("layers") if isinstance(data, dict) else None
    for layer in layers if isinstance(layers, list) else []:
        if not isinstance(layer, dict):
            continue
        taken = [layer.pop("source", _NOT_GIVEN), [], []]
        # A relation's "source" is its source unit: its own source name is its "origin".
        for index, name, key in ((1, "units", "source"), (2, "relations", "origin")):
            for item in layer.get(name) if isinstance(layer.get(name), list) else []:
                if isinstance(item, dict):
                    taken[index].append((item.pop(key, _NOT_GIVEN), item.pop("score", _NOT_GIVEN)))
        extras.append(taken)
    return extras


def _layer(layer, extra: tuple) -> PredictedLayer:
    where = f"layer {layer.owner}"
    if layer.status:
        raise ValueError(f"{where}: a prediction leaves the layer's status to its owner (leave “status” out)")
    if layer.document_stance:
        raise ValueError(f"{where}: a suggestion carries no document stance (leave “document_stance” out)")
    default, unit_extras, relation_extras = extra
    if default is not _NOT_GIVEN:
        _source(default, where)
    units, relations = [], []
    for unit, (source, score) in zip(layer.units, unit_extras, strict=True):
        unit_where = f"{where}, unit {unit.id}"
        if len(unit.spans) != 1:
            raise ValueError(
                f"{unit_where}: a suggestion has one span, and this unit has {len(unit.spans)} "
                "(give each span as a unit of its own)"
            )
        for name, value in (("attributes", unit.attributes), ("note", unit.note)):
            if value:
                raise ValueError(f"{unit_where}: a suggestion carries a label and no {name} (leave “{name}” out)")
        units.append(Predicted(unit, _source_of(source, default, unit_where, "source"), _score(score, unit_where)))
    pairs: dict[tuple, str] = {}
    for relation, (source, score) in zip(layer.relations, relation_extras, strict=True):
        relation_where = f"{where}, relation {relation.id}"
        if (first := pairs.get(pair(relation.source, relation.target))) is not None:
            raise ValueError(
                f"{where}: relation {relation.id} links the units relation {first} links (either way round); "
                "two units take one relation"
            )
        pairs[pair(relation.source, relation.target)] = relation.id
        source = _source_of(source, default, relation_where, "origin")
        relations.append(Predicted(relation, source, _score(score, relation_where)))
    return PredictedLayer(layer.owner, units, relations)


def _source_of(own: object, default: object, where: str, key: str) -> str:
    """A unit's or relation's source name: its own (`key`), else its layer's."""
    if own is _NOT_GIVEN:
        if default is _NOT_GIVEN:
            raise ValueError(f"{where}: missing field “{key}” (give it here, or a “source” once on the layer)")
        return default
    return _source(own, where, key)


def _source(value: object, where: str, key: str = "source") -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: “{key}” must be a string")
    if not value.strip():
        raise ValueError(f"{where}: “{key}” must not be empty")
    if problem := unstorable_problem(value, f"{where}: the source"):
        raise ValueError(problem)
    if len(value) > SOURCE_LENGTH:
        limit = SOURCE_LENGTH
        raise ValueError(f"{where}: the source has {len(value):,} characters, more than the {limit} it may have")
    if value in MADE_HERE:
        raise ValueError(f"{where}: the source “{value}” names the suggestions made here; call yours otherwise")
    return value


def _score(value: object, where: str) -> float | None:
    if value is _NOT_GIVEN:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{where}: “score” must be a number from 0 to 1")
    if not 0 <= value <= 1:
        raise ValueError(f"{where}: the score {value} is not between 0 and 1")
    return float(value)


# --- Planning and writing --------------------------------------------------------------------


def import_predictions(
    *,
    project: Project,
    open_file: Callable[[], AbstractContextManager[BinaryIO]],
    file_name: str,
    size: int | None = None,
    dry_run: bool = False,
) -> PredictionReport:
    """Check a predictions file against the project and (unless `dry_run` or anything is
    wrong) write its suggestions, all or nothing: the report says what was (or would be)
    written per layer, or every problem. `open_file()` opens the file afresh for each
    reading. A `size` over ANNOTATE_MAX_UPLOAD_BYTES is refused unread (the web page's
    limit; the command line gives none)."""
    if not file_name.lower().endswith(jsonl.EXTENSION):
        return PredictionReport(problems=[f"{file_name}: predictions come as JSON Lines (a .jsonl file)"])
    if size is not None and size > settings.ANNOTATE_MAX_UPLOAD_BYTES:
        return PredictionReport(problems=[upload_too_large()])
    report = _plan(project, open_file, file_name, write=False)
    if report.problems or dry_run:
        return report
    try:
        with transaction.atomic():
            advisory_lock(IMPORT_LOCK, project.pk)  # imports into one project take turns
            report = _plan(project, open_file, file_name, write=True)
            if report.problems:
                raise _RolledBack(report)
    except _RolledBack as rolled_back:
        return rolled_back.report
    report.written = True
    return report


class _RolledBack(Exception):
    def __init__(self, report: PredictionReport) -> None:
        self.report = report


def _plan(project: Project, open_file, file_name: str, *, write: bool) -> PredictionReport:
    report = PredictionReport()
    scheme = _Scheme(project)
    seen: dict[str, int] = {}
    with open_file() as file:
        try:
            lines_read = read(file, file_name=file_name, max_line_bytes=settings.ANNOTATE_MAX_ENTRY_BYTES)
            for lines in batches(lines_read, BATCH):
                planned = _plan_batch(project, lines, scheme, seen, report, file_name)
                if write and not report.problems:
                    _write(planned)
        except FormatError as error:
            report.problems.append(str(error))
    return report


class _Scheme:
    def __init__(self, project: Project) -> None:
        self.labels = {label.name: label for label in project.scheme_labels}
        self.relation_types = {each.name: each for each in project.scheme_relation_types}
        self.annotators = set(project.annotators().values_list("username", flat=True))


def _plan_batch(
    project: Project, lines: list[PredictionLine], scheme: _Scheme, seen: dict, report: PredictionReport, file_name: str
) -> list[tuple[int, set[str], list[Suggestion]]]:
    """Check a batch of lines against the project; per layer to write, its id, the
    sources it gets and their suggestions (those equal to rejected ones left out)."""
    digests = [text_hash(line.article.text) for line in lines]
    ids = [line.article.id for line in lines if EXPORT_ID.fullmatch(line.article.id)]
    articles = {
        article.text_hash: article
        for article in project.articles.filter(
            Q(text_hash__in=digests) | Q(*[Q(text_hash__startswith=each) for each in ids], _connector=Q.OR)
            if ids
            else Q(text_hash__in=digests)
        ).only("pk", "title", "text_hash")
    }
    layers = {
        (article_id, username or GOLD): pk
        for pk, article_id, username in Layer.objects.filter(
            article__in=[each.pk for each in articles.values()]
        ).values_list("pk", "article_id", "annotator__username")
    }
    stored = list(Suggestion.objects.filter(layer_id__in=layers.values()))
    planned = []
    for line, digest in zip(lines, digests, strict=True):

        def problem(text: str, line: PredictionLine = line) -> None:
            report.problems.append(str(FormatError(text, file_name=file_name, line=line.number)))

        article = articles.get(digest)
        given = line.article.id
        if article is None:
            other = next((each for each in articles.values() if given and each.text_hash.startswith(given)), None)
            if other is not None:
                problem(
                    f"the text differs from the project's article {given} (“{other.title[:60]}”): these predictions "
                    "were made on another text"
                )
            else:
                problem("no article of this project has this text; predictions are for articles already imported")
            continue
        if given and given != article.text_hash[:12]:
            problem(f"the id {given} is not the id of the project's article with this text ({article.text_hash[:12]})")
            continue
        if (first := seen.setdefault(digest, line.number)) != line.number:
            problem(f"the article is the one of line {first}; give each article one line")
            continue
        for predicted in line.layers:
            owner = predicted.owner
            layer_id = layers.get((article.pk, owner))
            if owner != GOLD and owner not in scheme.annotators:
                problem(f"“{owner}” is not an annotator of this project (add them on the Members page first).")
                continue
            if layer_id is None:
                problem(
                    "the article has no gold layer yet (a curator starts it on the review page)"
                    if owner == GOLD
                    else f"the article is not assigned to {owner}, so they have no layer on it to suggest to"
                )
                continue
            made = _suggestions(layer_id, line.article.text, predicted, scheme, problem)
            if made is None:
                continue
            sources = {each.source for each in made}
            mine = [each for each in stored if each.layer_id == layer_id]
            rejected = {what_it_suggests(each) for each in mine if each.status == Suggestion.Status.REJECTED}
            kept = _unique(each for each in made if what_it_suggests(each) not in rejected)
            report.add(
                LayerPredictions(
                    line=line.number,
                    title=article.title,
                    owner=owner,
                    sources=sorted(sources),
                    units=sum(each.kind == Suggestion.Kind.UNIT for each in kept),
                    relations=sum(each.kind == Suggestion.Kind.RELATION for each in kept),
                    replaced=sum(each.status == Suggestion.Status.OPEN and each.source in sources for each in mine),
                    rejected=len(_unique(made)) - len(kept),
                )
            )
            planned.append((layer_id, sources, kept))
    return planned


def _suggestions(layer_id: int, text: str, predicted: PredictedLayer, scheme: _Scheme, problem) -> list | None:
    """The layer's predictions as suggestions, or None having reported what is wrong."""
    where = f"layer {predicted.owner}"
    made, spans, wrong = [], {}, False
    for each in predicted.units:
        unit = each.record
        spans[unit.id] = (unit.spans[0].start, unit.spans[0].end)
        label = scheme.labels.get(unit.label)
        if label is None:
            problem(f"{where}, unit {unit.id}: the label “{unit.label}” is not in the project's scheme.")
            wrong = True
            continue
        made.append(
            Suggestion(
                layer_id=layer_id,
                kind=Suggestion.Kind.UNIT,
                source=each.source,
                label=label,
                start=spans[unit.id][0],
                end=spans[unit.id][1],
                score=each.score,
            )
        )
    for each in predicted.relations:
        relation = each.record
        relation_type = scheme.relation_types.get(relation.type)
        if relation_type is None:
            problem(f"{where}, relation {relation.id}: the type “{relation.type}” is not in the project's scheme.")
            wrong = True
            continue
        source, target = spans[relation.source], spans[relation.target]
        if source == target:
            problem(f"{where}, relation {relation.id} links two units on the same span.")
            wrong = True
            continue
        made.append(
            Suggestion(
                layer_id=layer_id,
                kind=Suggestion.Kind.RELATION,
                source=each.source,
                relation_type=relation_type,
                start=source[0],
                end=source[1],
                target_start=target[0],
                target_end=target[1],
                score=each.score,
            )
        )
    return None if wrong else made


def _unique(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """The suggestions, each label and span (or type and ends) once per source: the first."""
    kept: dict[tuple, Suggestion] = {}
    for each in suggestions:
        kept.setdefault((each.source, *what_it_suggests(each)), each)
    return list(kept.values())


def _write(planned: list[tuple[int, set[str], list[Suggestion]]]) -> None:
    """Replace each layer's open suggestions of the sources it gets with the new ones."""
    if not planned:
        return
    replaced = Q()
    for layer_id, sources, _made in planned:
        replaced |= Q(layer_id=layer_id, source__in=sources)
    Suggestion.objects.filter(replaced, status=Suggestion.Status.OPEN).delete()
    Suggestion.objects.bulk_create([each for _layer, _sources, made in planned for each in made], batch_size=2000)
