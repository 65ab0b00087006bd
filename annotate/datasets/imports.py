"""Import: records into a project, all or nothing.

`import_files` reads an import's files twice (`reading`): once to check every record
on its own (`survey_files`: what the database cannot store, what the scheme lacks),
then, when nothing is wrong, again to plan each batch of articles against the project
as it is and write it (`import_surveyed`), in one transaction that a problem found in
any batch rolls back, with one change record per article and per layer. A dry run
plans without writing and returns the same report. `import_records` does the same for
records already read. What the checks find and what the writing needs travel in one
`ImportPlan`.
"""

import io
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from annotate import changes
from annotate.datasets import reading
from annotate.datasets.export import GOLD, scheme_record
from annotate.datasets.fast_paths import advisory_lock, check_foreign_keys_as_written, insert_rows, insert_units
from annotate.formats import brat
from annotate.formats.checks import FormatError, quote, spans_problem, storable, unstorable_problem
from annotate.formats.plaintext import normalise_text
from annotate.formats.records import (
    ArticleRecord,
    LayerRecord,
    SchemeRecord,
    SpanRecord,
    UnitRecord,
    collector_paused,
)
from annotate.formats.scheme_check import check_scheme
from annotate.models import (
    COMMAND_KEYS,
    ArgumentUnit,
    Article,
    Change,
    Label,
    Layer,
    Project,
    Relation,
    RelationType,
    Span,
    label_attributes_problem,
    metadata_problem,
    text_hash,
)
from annotate.relations import pair
from annotate.schemes import next_colour
from annotate.units import AnnotationError, validate_attributes


@dataclass
class ArticlePlan:
    """What importing one record would do."""

    record: ArticleRecord
    text: str  # normalised
    existing: Article | None = None
    layers: list[LayerRecord] = field(default_factory=list)  # with offsets into `text`

    @property
    def unit_count(self) -> int:
        return sum(len(layer.units) for layer in self.layers)

    @property
    def relation_count(self) -> int:
        return sum(len(layer.relations) for layer in self.layers)


TALLIED = ("articles", "already there", "layers", "units", "relations")


def count_words(count: int, singular: str, plural: str = "") -> str:
    """A count and its noun, in the singular for one: "1 article", "0 layers", "2 units"."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


@dataclass
class ImportReport:
    # One per article when the caller asked to keep them (a preview's table); an import
    # read from files keeps only the counts (`tally`), whatever their size.
    plans: list[ArticlePlan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: bool = False
    # With unknown="skip": what was left out; with unknown="add": what the scheme gains.
    skipped: list[str] = field(default_factory=list)
    new_labels: list[str] = field(default_factory=list)
    new_relation_types: list[str] = field(default_factory=list)
    # With existing="skip": the layers the project already has with units, left as they are.
    skipped_layers: list[str] = field(default_factory=list)
    # What the articles planned hold: "articles" (new), "already there", "layers", "units", "relations".
    tally: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TALLIED, 0))

    def add(self, plan: ArticlePlan, *, keep: bool) -> None:
        """Count in one article's plan (and keep it, if asked)."""
        self.tally["articles" if plan.existing is None else "already there"] += 1
        self.tally["layers"] += len(plan.layers)
        self.tally["units"] += plan.unit_count
        self.tally["relations"] += plan.relation_count
        if keep:
            self.plans.append(plan)

    @property
    def counts(self) -> dict[str, int]:
        return {**self.tally, "existing layers skipped": len(self.skipped_layers)}

    @property
    def in_words(self) -> list[str]:
        """Each count in words, as the preview shows them: "1 new article", "0 layers" …;
        the existing layers skipped only when there are some."""
        counts = self.counts
        words = [
            count_words(counts["articles"], "new article"),
            f"{counts['already there']} already there",
            count_words(counts["layers"], "layer"),
            count_words(counts["units"], "unit"),
            count_words(counts["relations"], "relation"),
        ]
        if counts["existing layers skipped"]:
            words.append(count_words(counts["existing layers skipped"], "existing layer") + " skipped")
        return words

    @property
    def summary(self) -> str:
        """The counts in one line: "1 new article, 0 already there, 2 layers, 2 units, 1 relation"."""
        return ", ".join(self.in_words)


EXISTING_CHOICES = ("fail", "skip")
EXISTING_LAYER = (
    "the project already has this layer of this article, with units. To leave such layers as they are and import "
    "the rest, skip existing layers (on the import page, “Layers the project already has, with units: are "
    "skipped”; on the command line, --existing skip)."
)


def import_records(
    *,
    project: Project,
    records: Iterable[ArticleRecord],
    user,
    dry_run: bool = False,
    unknown: str = "fail",
    existing: str = "fail",
    progress: Callable[[str, int, int], object] | None = None,
) -> ImportReport:
    """Check `records` against the project and, unless `dry_run` or something is wrong,
    write them: new articles, and their layers with units and relations.

    An article whose text is already in the project is not stored again; its layers are
    added where that layer is still empty. A layer the project already has with units is
    a problem (`existing="fail"`) or is left as it is and listed in the report's
    `skipped_layers` (`"skip"`). A layer's owner must be an annotator of the project (or
    "gold"). Labels, relation types and attribute values the scheme lacks are problems
    (`unknown="fail"`), are left out (`"skip"`), or are added to the scheme (`"add"`).
    Offsets are carried over exactly when the text is normalised. A layer whose file
    gives no status is "in progress" when it holds units, "not started" otherwise.
    The report keeps each article's plan (`ImportReport.plans`).

    `progress(phase, done, total)` is called as the articles are checked ("checking",
    in a dry run) or checked and written ("writing", each batch written once it is
    checked); an exception it raises (a cancelled job) rolls the import back.
    """
    return import_files(
        project=project,
        sources=[reading.records_source(list(records))],
        user=user,
        dry_run=dry_run,
        unknown=unknown,
        existing=existing,
        progress=progress,
        keep_plans=True,
    )


def import_files(
    *,
    project: Project,
    sources: list[reading.Source],
    user,
    dry_run: bool = False,
    unknown: str = "fail",
    existing: str = "fail",
    progress: Callable[[str, int, int], object] | None = None,
    keep_plans: bool = False,
) -> ImportReport:
    """`import_records` of the records of `sources`, read twice (`survey_files`, then
    `import_surveyed`) and never held all at once. A file that no format reads, or
    with a problem, is a problem of the report, and then nothing is written."""
    found = survey_files(project=project, sources=sources, unknown=unknown, progress=progress)
    return import_surveyed(
        project=project,
        survey=found,
        user=user,
        dry_run=dry_run,
        existing=existing,
        progress=progress,
        keep_plans=keep_plans,
    )


def survey_files(
    *,
    project: Project,
    sources: list[reading.Source],
    unknown: str = "fail",
    progress: Callable[[str, int, int], object] | None = None,
) -> reading.Survey:
    """The first reading of an import's files (`reading.survey`), against the project's
    scheme as it is now; `progress("reading", kB read, kB)` as they are read."""
    if unknown not in ("fail", "skip", "add"):
        raise ValueError(f"unknown must be fail, skip or add, not {unknown!r}")
    with collector_paused():
        return reading.survey(
            sources,
            scheme=scheme_record(project),
            unknown=unknown,
            storage_problem=_numbered_storage_problem,
            progress=progress,
        )


def import_surveyed(
    *,
    project: Project,
    survey: reading.Survey,
    user,
    dry_run: bool = False,
    existing: str = "fail",
    progress: Callable[[str, int, int], object] | None = None,
    keep_plans: bool = False,
) -> ImportReport:
    """Plan and (unless `dry_run` or something is wrong) write the records of the
    files `survey` read, reading them again in batches of WRITE_BATCH articles, all or
    nothing in one transaction: a problem found in a later batch rolls back the earlier
    ones. The report's problems start with the survey's."""
    if existing not in EXISTING_CHOICES:
        raise ValueError(f"existing must be one of {', '.join(EXISTING_CHOICES)}, not {existing!r}")
    progress = progress or _no_progress
    with collector_paused():  # an import builds a plan and model values for every unit
        if survey.storage_problems:
            return ImportReport(problems=survey.problems + survey.storage_problems)
        if dry_run or survey.problems:
            report = _plan_and_write(project, survey, user, existing, progress, keep_plans, write=False)
        else:
            try:
                with transaction.atomic():
                    # Imports into one project take turns, and each plans only once it
                    # has its turn: two at once would both find a layer empty (and both
                    # fill it) or an article new (and the second fail on the unique text).
                    advisory_lock(IMPORT_LOCK, project.pk)
                    check_foreign_keys_as_written()  # while the writing reports its progress
                    report = _plan_and_write(project, survey, user, existing, progress, keep_plans, write=True)
                    if report.problems:
                        raise _RolledBack(report)
            except _RolledBack as rolled_back:
                report = rolled_back.report
            except IntegrityError:
                # Only a writer that does not take the lock (or a database without advisory
                # locks, SQLite) can get here, by writing the same article or layer meanwhile.
                return ImportReport(problems=[CONCURRENT_CHANGE])
            else:
                report.written = True
    report.problems[:0] = survey.problems
    return report


class _RolledBack(Exception):
    """Leaves the import's transaction, with the report of the problems that undo it."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


@dataclass
class ImportPlan:
    """What importing some records would do, and what writing them needs besides.

    `report` says what would be written (its counts, and with `keep` its `plans`, one
    per article) and what is wrong. The scheme to write with: the project's `labels`
    and `relation_types` by name, with those the import adds; `additions`, the scheme
    entries to save first (new ones, and labels with new attribute values); the
    project's `annotators` by username. `seen`: the text hashes of the articles planned.
    """

    labels: dict[str, Label]
    relation_types: dict[str, RelationType]
    annotators: dict[str, User]
    additions: list[Label | RelationType] = field(default_factory=list)
    report: ImportReport = field(default_factory=ImportReport)
    seen: set[str] = field(default_factory=set)
    keep: bool = False


CONCURRENT_CHANGE = (
    "The project changed while this import was being written (another import or an annotator added the same "
    "article or layer); nothing was imported. Preview again to see what is there now."
)
# The first key of the advisory lock an import takes; the second is the project's id.
IMPORT_LOCK = 1_768_779_890  # "imp" in hex digits, so that no other lock of the app shares it


def _plan_and_write(
    project: Project,
    survey: reading.Survey,
    user,
    existing_layers: str,
    progress: Callable[[str, int, int], object],
    keep: bool,
    *,
    write: bool,
) -> ImportReport:
    """Read the survey's records again and plan them against the project as it is now,
    batch by batch, writing each batch (if `write`) as long as nothing is wrong; the
    report of what was planned and what is wrong."""
    plan = ImportPlan(
        labels={label.name: label for label in project.labels.all()},
        relation_types={relation_type.name: relation_type for relation_type in project.relation_types.all()},
        annotators={user.username: user for user in project.annotators()},
        keep=keep,
    )
    report = plan.report
    unknown = survey.unknown
    if unknown != "fail":
        if scheme_record(project) != survey.scheme:  # the additions were found against another scheme
            report.problems.append(CONCURRENT_CHANGE)
            return report
        report.skipped = list(survey.skipped)
        _plan_additions(project, survey.additions, plan)
    if report.problems:  # a scheme that cannot take what the files use: their units would only repeat it
        return report
    if write:
        _save_additions(project, plan.additions, user)
    phase, total, number = ("writing" if write else "checking"), survey.articles, 0
    for batch in reading.batches(survey.records(), WRITE_BATCH):
        if unknown != "fail":
            batch = check_scheme(batch, scheme=survey.scheme, unknown=unknown, file_name="import").articles
        articles = []
        for plan_or_none in _plan_batch(project, batch, plan, existing_layers, first=number + 1):
            progress(phase, number, total)
            number += 1
            if plan_or_none is not None:
                articles.append(plan_or_none)
        if write and not report.problems:
            _write(project, plan, articles, user)
    progress(phase, total, total)
    return report


def _plan_batch(
    project: Project, records: list[ArticleRecord], plan: ImportPlan, existing_layers: str, *, first: int
) -> Iterator[ArticlePlan | None]:
    """Plan each of `records` (article `first` of the import, and those after it) into
    `plan`: yield its `ArticlePlan`, or None for an article refused as a whole."""
    report = plan.report
    digests = [text_hash(normalise_text(record.text)) for record in records]
    existing = {article.text_hash: article for article in project.articles.filter(text_hash__in=digests)}
    # (article id, annotator id or None) of each layer of those articles that holds units.
    taken = set(
        Layer.objects.filter(article__in=existing.values(), units__isnull=False)
        .values_list("article_id", "annotator_id")
        .distinct()
    )
    annotators = plan.annotators
    for number, record, digest in zip(range(first, first + len(records)), records, digests, strict=True):
        where = f"Article {number} (“{record.title[:60]}”)"
        text = normalise_text(record.text)
        if not text.strip():
            report.problems.append(f"{where} has no text.")
            yield None
            continue
        if digest in plan.seen:
            report.problems.append(f"{where} repeats the text of an earlier article in this file.")
            yield None
            continue
        plan.seen.add(digest)
        article = ArticlePlan(record, text, existing.get(digest))
        for layer in record.layers:
            owner_id = annotators[layer.owner].pk if layer.owner in annotators else None
            known_owner = layer.owner == GOLD or layer.owner in annotators
            if article.existing is not None and known_owner and (article.existing.pk, owner_id) in taken:
                if existing_layers == "skip":
                    report.skipped_layers.append(f"{where}, layer {layer.owner}")
                else:
                    report.problems.append(f"{where}, layer {layer.owner}: {EXISTING_LAYER}")
                continue
            problems = _check_layer(layer, record.text, plan)
            report.problems += [f"{where}, layer {layer.owner}: {problem}" for problem in problems]
            if not problems:
                article.layers.append(_with_status(_moved(layer, record.text)))
        report.add(article, keep=plan.keep)
        yield article


def _plan_additions(project: Project, additions: SchemeRecord, plan: ImportPlan) -> None:
    """Put what the scheme gains into the plan's labels and relation types, and the
    entries to save when the import is written (new ones, and labels with new attribute
    values) into its additions. A new entry takes a keyboard key that no label, relation
    type or workspace command has (labels and relation types share the workspace's keys
    and its legend), and the next colour of the scheme's palette (`schemes.next_colour`).
    New entries with no key left for them are a problem in its report."""
    report = plan.report
    scheme = [*plan.labels.values(), *plan.relation_types.values()]
    free = _free_keys(entry.key for entry in scheme)
    colours = [entry.colour for entry in scheme]
    keyless: list[str] = []
    for addition in additions.labels:
        if addition.name in plan.labels:
            label = plan.labels[addition.name]
            for name, values in addition.attributes.items():
                label.attributes[name] = [*label.attributes.get(name, []), *values]
        elif not free:
            keyless.append(addition.name)
            continue
        else:
            colours.append(next_colour(colours))
            label = plan.labels[addition.name] = Label(
                project=project,
                name=addition.name,
                key=free.pop(0),
                colour=colours[-1],
                attributes=addition.attributes,
                order=len(plan.labels),
            )
            report.new_labels.append(addition.name)
        plan.additions.append(label)
        if problem := label_attributes_problem(label.attributes):
            where = f"With this import's attributes, the label {quote(label.name)}"
            report.problems.append(f"{where} breaks a bound: {problem}")
    if keyless:
        report.problems.append(_no_free_key("label", keyless, len(report.new_labels)))
    keyless = []
    for name in additions.relation_types:
        if not free:
            keyless.append(name)
            continue
        colours.append(next_colour(colours))
        relation_type = plan.relation_types[name] = RelationType(
            project=project, name=name, key=free.pop(0), colour=colours[-1], order=len(plan.relation_types)
        )
        report.new_relation_types.append(name)
        plan.additions.append(relation_type)
    if keyless:
        report.problems.append(_no_free_key("relation type", keyless, len(report.new_relation_types)))


# The keys a label or relation type may have (models.single_key), letters first.
SCHEME_KEYS = string.ascii_lowercase + string.digits


def _free_keys(taken: Iterable[str]) -> list[str]:
    """The keyboard keys left for new scheme entries: those no entry has and the
    workspace does not use for its own commands."""
    taken = set(taken)
    return [key for key in SCHEME_KEYS if key not in taken and key not in COMMAND_KEYS]


def _no_free_key(entry_name: str, names: list[str], added: int) -> str:
    shown = ", ".join(quote(name) for name in names[:5]) + (", …" if len(names) > 5 else "")
    taken = (
        f"the first {count_words(added, 'new ' + entry_name)} took the last free ones"
        if added
        else "the labels and relation types of the scheme have them all"
    )
    return (
        f"The scheme has no keyboard key left for {count_words(len(names), 'more new ' + entry_name)} ({shown}): "
        f"{taken}. Each label and relation type needs a key of its own, a letter or digit that is not a workspace "
        "command (l, e, 1–9). Add fewer, or remove some from the scheme first."
    )


def _save_additions(project: Project, pending: list, user) -> None:
    for entry in pending:
        model_name = entry._meta.model_name
        before = None if entry.pk is None else {"attributes": type(entry).objects.get(pk=entry.pk).attributes}
        entry.save()
        after = {
            "name": entry.name,
            "key": entry.key,
            "colour": entry.colour,
            "attributes": getattr(entry, "attributes", None),
        }
        changes.log_change(
            project=project,
            user=user,
            action=f"{model_name}.save",
            target=f"{model_name}:{entry.pk}",
            before=before,
            after=after,
        )


def storage_problems(records: list[ArticleRecord]) -> list[str]:
    """The first thing in each record that the database cannot store as it is, before
    anything else is looked at: a value longer than its column (the lengths are the
    models' own), a NUL character, a lone surrogate, a number JSON cannot hold. Each
    message names the file (`ArticleRecord.source`), the line where there is one, and
    the field."""
    problems = [_numbered_storage_problem(record, number) for number, record in enumerate(records, start=1)]
    return [problem for problem in problems if problem]


def _numbered_storage_problem(record: ArticleRecord, number: int) -> str | None:
    """`storage_problems` of the `number`th record alone."""
    if problem := _storage_problem(record):
        if record.source:
            return str(FormatError(problem, file_name=record.source, line=record.line))
        return f"Article {number}: {problem}"
    return None


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _too_long(value: str, name: str, model, field_name: str) -> str | None:
    limit = _max_length(model, field_name)
    if isinstance(value, str) and len(value) > limit:
        return f"{name} has {len(value):,} characters, more than the {limit:,} it may have"
    return None


def _storage_problem(record: ArticleRecord) -> str | None:
    for name, shown in (("title", "the title"), ("author", "the author"), ("outlet", "the outlet"), ("url", "the URL")):
        value = getattr(record, name)
        if problem := unstorable_problem(value, shown) or _too_long(value, shown, Article, name):
            return problem
    for name, value in (
        ("the publication date", record.published),
        ("the text", record.text),
        ("metadata", record.metadata),
    ):
        if problem := unstorable_problem(value, name):
            return problem
    if problem := _too_long(record.text, "the text", Article, "text") or metadata_problem(record.metadata):
        return problem
    for layer in record.layers:
        if _layer_is_storable(layer):
            continue
        if problem := unstorable_problem(layer.owner, "the owner of a layer"):
            return problem
        where = f"layer {layer.owner}"
        for name in ("status", "document_stance"):
            if problem := unstorable_problem(getattr(layer, name), f"{where}: the {name}"):
                return problem
        for unit in layer.units:
            if problem := unstorable_problem(unit.id, f"{where}: the id of a unit"):
                return problem
            unit_where = f"{where}, unit {unit.id}"
            if problem := (
                unstorable_problem(unit.label, f"{unit_where}: the label")
                or _too_long(unit.label, f"{unit_where}: the label", Label, "name")
                or unstorable_problem(unit.attributes, f"{unit_where}: the attributes")
                or unstorable_problem(unit.note, f"{unit_where}: the note")
                or _too_long(unit.note, f"{unit_where}: the note", ArgumentUnit, "note")
            ):
                return problem
        for relation in layer.relations:
            if problem := unstorable_problem(relation.id, f"{where}: the id of a relation"):
                return problem
            relation_where = f"{where}, relation {relation.id}"
            if problem := (
                unstorable_problem(relation.type, f"{relation_where}: the type")
                or _too_long(relation.type, f"{relation_where}: the type", RelationType, "name")
                or unstorable_problem(relation.source, f"{relation_where}: the source")
                or unstorable_problem(relation.target, f"{relation_where}: the target")
            ):
                return problem
    return None


def _layer_is_storable(layer: LayerRecord) -> bool:
    """Whether nothing in `layer` needs a closer look: the check of every field one by
    one costs seconds for a million units, and this one search of them all a tenth."""
    units, relations = layer.units, layer.relations
    names = {unit.label for unit in units} | {relation.type for relation in relations}
    if any(len(name) > _max_length(Label, "name") for name in names):
        return False
    if any(len(unit.note) > _max_length(ArgumentUnit, "note") for unit in units if isinstance(unit.note, str)):
        return False
    try:
        strings = "".join(
            [
                layer.owner,
                layer.status,
                layer.document_stance,
                *names,
                *(unit.id + unit.note for unit in units),
                *(key + value for unit in units for key, value in unit.attributes.items()),
                *(relation.id + relation.source + relation.target for relation in relations),
            ]
        )
    except TypeError:  # a value that is not a string: the closer look names it
        return False
    return storable(strings)


def _check_layer(layer: LayerRecord, raw_text: str, plan: ImportPlan) -> list[str]:
    """What is wrong with `layer`, each thing once, at its first cause: a relation that
    links a refused unit says it depends on it, and nothing more about that unit."""
    problems = []
    if layer.owner != GOLD and layer.owner not in plan.annotators:
        problems.append(f"“{layer.owner}” is not an annotator of this project (add them on the Members page first).")
    if layer.status and layer.status not in Layer.Status.values:
        problems.append(f"unknown status “{layer.status}”.")
    refused = set()
    for unit in layer.units:
        unit_problems = _unit_problems(unit, raw_text, plan)
        problems += [f"unit {unit.id}: {problem}" for problem in unit_problems]
        if unit_problems:
            refused.add(unit.id)
    ids = {unit.id for unit in layer.units}
    pairs = {}  # relations.pair → the id of the relation linking it
    for relation in layer.relations:
        ends = list(dict.fromkeys([relation.source, relation.target]))
        if relation.type not in plan.relation_types:
            problems.append(f"relation {relation.id}: the type “{relation.type}” is not in the project's scheme.")
        elif relation.source not in ids or relation.target not in ids:
            problems.append(f"relation {relation.id} links a unit that is not in this layer.")
        elif refused_ends := [end for end in ends if end in refused]:
            units = "unit " + refused_ends[0] if len(refused_ends) == 1 else "units " + " and ".join(refused_ends)
            which = "which is" if len(refused_ends) == 1 else "which are"
            problems.append(f"relation {relation.id} depends on {units}, {which} refused above.")
        elif relation.source == relation.target:
            problems.append(f"relation {relation.id} links a unit to itself.")
        elif (first := pairs.get(pair(relation.source, relation.target))) is not None:
            problems.append(
                f"relation {relation.id} links the units relation {first} links (either way round); "
                "two units take one relation."
            )
        else:
            pairs[pair(relation.source, relation.target)] = relation.id
    return problems


def _unit_problems(unit: UnitRecord, raw_text: str, plan: ImportPlan) -> list[str]:
    """What is wrong with one unit of a layer: its label, else its spans and attributes."""
    label = plan.labels.get(unit.label)
    if label is None:
        return [f"the label “{unit.label}” is not in the project's scheme."]
    problems = []
    if problem := spans_problem(raw_text, [(span.start, span.end) for span in unit.spans]):
        problems.append(f"{problem}.")
    try:
        validate_attributes(label, unit.attributes)
    except AnnotationError as error:
        problems.append(str(error))
    return problems


def _with_status(layer: LayerRecord) -> LayerRecord:
    """`layer` with the status its file gave, or, when it gave none (brat has no status),
    "in progress" for a layer holding units and "not started" for an empty one: a layer
    with units is work begun, which agreement counts with "include layers in progress"."""
    if layer.status:
        return layer
    status = Layer.Status.IN_PROGRESS if layer.units else Layer.Status.NOT_STARTED
    return replace(layer, status=status.value)


def _moved(layer: LayerRecord, raw_text: str) -> LayerRecord:
    """`layer` with its offsets moved from the raw text to the normalised one (the same
    characters, counted after NFC and "\\n" line ends)."""
    if normalise_text(raw_text) == raw_text:
        return layer

    def move(offset: int) -> int:
        return len(normalise_text(raw_text[:offset]))

    units = [
        UnitRecord(u.id, u.label, [SpanRecord(move(s.start), move(s.end)) for s in u.spans], u.attributes, u.note)
        for u in layer.units
    ]
    return LayerRecord(layer.owner, layer.status, layer.document_stance, units, layer.relations)


WRITE_BATCH = 250  # articles written per round of bulk inserts


def _write(project: Project, plan: ImportPlan, articles: list[ArticlePlan], user) -> None:
    """Write a batch of the plan's checked articles with a few bulk inserts per table (a
    query per article would make a 10,000-article import take minutes), with one change
    record per new article and per imported layer."""
    user = user if getattr(user, "is_authenticated", False) else None
    created = Article.objects.bulk_create(
        Article(
            project=project,
            title=article.record.title,
            author=article.record.author,
            outlet=article.record.outlet,
            url=article.record.url,
            published=article.record.published or None,
            metadata=article.record.metadata,
            text=article.text,
            text_hash=text_hash(article.text),
        )
        for article in articles
        if article.existing is None
    )
    records = [
        Change(
            project=project,
            user=user,
            action="article.import",
            target=f"article:{stored.pk}",
            after={"title": stored.title, "text_hash": stored.text_hash, "length": len(stored.text)},
        )
        for stored in created
    ]
    new = iter(created)  # in the order of the new articles' plans
    pairs = []  # (layer, its record)
    for article in articles:
        stored = article.existing if article.existing is not None else next(new)
        for layer_record in article.layers:
            annotator = plan.annotators.get(layer_record.owner)
            layer = Layer(article=stored, annotator=annotator)
            if article.existing is not None:  # an article already there may have this layer, empty
                layer = Layer.objects.filter(article=article.existing, annotator=annotator).first() or layer
            layer.status, layer.document_stance = layer_record.status, layer_record.document_stance
            layer.revision += 1
            pairs.append((layer, layer_record))
    old_layers = [layer for layer, _ in pairs if layer.pk is not None]
    Layer.objects.bulk_create([layer for layer, _ in pairs if layer.pk is None])
    if old_layers:
        Layer.objects.bulk_update(old_layers, ["status", "document_stance", "revision"])
    units = [
        (layer.pk, plan.labels[u.label].pk, u.attributes, u.note)
        for layer, layer_record in pairs
        for u in layer_record.units
    ]
    unit_ids = iter(insert_units(units))
    spans, relations = [], []
    for layer, layer_record in pairs:
        pk = {u.id: next(unit_ids) for u in layer_record.units}
        spans += [(pk[u.id], s.start, s.end) for u in layer_record.units for s in u.spans]
        relations += [
            (layer.pk, plan.relation_types[r.type].pk, pk[r.source], pk[r.target]) for r in layer_record.relations
        ]
        records.append(
            Change(
                project=project,
                layer=layer,
                user=user,
                action="layer.import",
                target=f"layer:{layer.pk}",
                after={"units": len(layer_record.units), "relations": len(layer_record.relations)},
            )
        )
    insert_rows(Span, ["unit_id", "start", "end"], spans)
    insert_rows(Relation, ["layer_id", "type_id", "source_id", "target_id"], relations)
    Change.objects.bulk_create(records, batch_size=2000)


def upload_too_large() -> str:
    """The problem of a web import whose files together pass ANNOTATE_MAX_UPLOAD_BYTES:
    none of them is read."""
    limit = brat.size_in_words(settings.ANNOTATE_MAX_UPLOAD_BYTES)
    return (
        f"The files of one import may add up to {limit} (the limit, ANNOTATE_MAX_UPLOAD_BYTES); "
        "these are larger. Import them in parts."
    )


def parse_upload(content: bytes, *, file_name: str, owner: str = "") -> list[ArticleRecord]:
    """The records of one uploaded file, its format chosen by its extension, read as an
    import reads it (`reading.upload_source`); `FormatError` for a file no format reads
    or one with a problem. `owner` names the layers of a brat zip (otherwise each folder
    names its annotator)."""
    source = reading.upload_source(lambda: io.BytesIO(content), file_name=file_name, size=len(content), owner=owner)
    return list(source.read(None))
