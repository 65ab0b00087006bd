"""Benchmark of dataset export (JSONL, brat) and JSONL import on PostgreSQL.

Builds, in a throwaway database of its own, one project (default preset) with three
annotators and a corpus of generated op-eds: ~2,000 characters of prose each, three
annotator layers per article, 40 units per layer (labels in turn, every Claim with
stance For; one span each) and 20 relations per layer, so N articles hold N × 120
units. The corpus is written with bulk_create, not through the domain functions: it
is set-up, not what is measured. The project is grown to each corpus size in turn
(default 2,500 and then 10,000 articles), and at each size:

- every export (JSONL and brat) runs in a fresh child process that consumes
  `datasets.export_chunks(...)` fully and writes the bytes to /dev/null; the child
  reports wall time, units per second, SQL queries and its peak RSS.

Then, on the largest corpus, one more child process exports the project to JSONL
bytes, parses them (`jsonl.parse`), imports the records into a fresh project with
the same three annotators (`datasets.import_records`), and imports the same articles
again without layers into another fresh project, timing each step.

Peak RSS is the child's VmHWM from /proc/self/status, in MB. getrusage's ru_maxrss is
not used for it: on Linux a process keeps across exec the peak RSS of the process it
was forked from, so every child would report at least the parent's peak (which holds
the corpus builder). A child that only runs django.setup() gives the baseline.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_datasets.py [--articles 10000] [--small-articles 2500]

DATABASE_URL names the server and the credentials only: the script creates its own
database `test_annotate_bench_datasets_<pid>` next to it and drops it at the end, so
the data in DATABASE_URL's database is never read or written. DEBUG is off whatever
the environment says (with DEBUG on, Django keeps every query in memory).
"""

import argparse
import dataclasses
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import CLAUSES, SUBJECTS, VERBS, code_version, require  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "annotate.settings"
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from annotate import datasets, projects  # noqa: E402
from annotate.formats import jsonl  # noqa: E402
from annotate.formats.losses import LossReport  # noqa: E402
from annotate.models import (  # noqa: E402
    ArgumentUnit,
    Article,
    Label,
    Layer,
    Project,
    Relation,
    RelationType,
    Role,
    Span,
    text_hash,
)

SEED = 20261125
MANAGER = "bench_manager"
ANNOTATORS = ["bench_ann_a", "bench_ann_b", "bench_ann_c"]
SLUG = "bench-datasets"
TEXT_LENGTH = 2_000  # at least; the last sentence may run past it
UNITS_PER_LAYER = 40
RELATIONS_PER_LAYER = 20
BUILD_BATCH = 250  # articles written per transaction while building the corpus
EXPORTING = ["jsonl", "brat", "conll", "csv"]
FORMATS = ["jsonl", "brat"]  # the formats measured: --formats

# Targets from the issue.
EXPORT_UNITS_PER_SECOND = 50_000
EXPORT_PEAK_MB = 150
IMPORT_SECONDS = 10


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Memory and queries ------------------------------------------------------------------


def memory() -> dict[str, float]:
    """Peak and current RSS of this process (VmHWM, VmRSS) and ru_maxrss, in MB."""
    status = {}
    with open("/proc/self/status") as file:
        for line in file:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                status[key] = int(value.split()[0]) / 1024  # kB → MB
    return {
        "peak_mb": status["VmHWM"],
        "current_mb": status["VmRSS"],
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # kB on Linux
    }


class QueryCounter:
    """A `connection.execute_wrapper` that counts queries without keeping them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# --- The corpus: deterministic op-ed prose ----------------------------------------------

TAILS = ["", "", "", ", and the figures bear this out", ", whatever the polls suggest", ", at least for now"]
SHORT = [
    "That is the point.",
    "Nobody asked the shops.",
    "The numbers say otherwise.",
    "This is not a new idea.",
    "It worked in Ghent.",
    "Traffic is a choice.",
    "Streets are for people.",
    "The data are clear.",
    "Change is never free.",
    "Ask any bus driver.",
    "The costs are real.",
    "Habits can change.",
]
TOPICS = ["car-free centres", "bus lanes", "parking fees", "night buses", "the ring road", "clean air zones"]
OUTLETS = ["The Daily Courier", "Evening Standard-Bearer", "The Civic Review", "Metro Opinion"]


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(SHORT)
    body = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAUSES)}{rng.choice(TAILS)}"
    return body[0].upper() + body[1:] + "."


def make_text(number: int, rng: random.Random) -> str:
    """About TEXT_LENGTH characters in paragraphs of 3 to 6 sentences; the first
    sentence names the article's number, so every text is unique."""
    paragraphs = []
    current = [f"This is op-ed number {number} on the future of the city centre."]
    size = len(current[0])
    while size < TEXT_LENGTH:
        if len(current) >= rng.randint(3, 6):
            paragraphs.append(" ".join(current))
            current = []
            size += 2
        item = sentence(rng)
        size += len(item) + 1
        current.append(item)
    paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def unit_spans(text: str, layer_index: int) -> list[tuple[int, int]]:
    """One `[start, end)` per unit: 40 non-overlapping ranges spread over the text,
    shifted a little per layer (annotators do not agree to the character), without
    white space at either edge."""
    slot = len(text) // UNITS_PER_LAYER
    require(slot >= 45, f"a text of {len(text)} characters is too short for {UNITS_PER_LAYER} units")
    spans = []
    for index in range(UNITS_PER_LAYER):
        start = index * slot + 3 * layer_index
        end = start + 24 + 6 * layer_index  # < slot: the next unit starts after it
        while text[start].isspace():
            start += 1
        while text[end - 1].isspace():
            end -= 1
        spans.append((start, end))
    return spans


class CorpusBuilder:
    """Grows the benchmark project's corpus with bulk_create, BUILD_BATCH articles per
    transaction."""

    def __init__(self, project: Project, annotators: list[User], rng: random.Random) -> None:
        self.project = project
        self.annotators = annotators
        self.rng = rng
        self.labels = list(Label.objects.filter(project=project).order_by("order"))
        self.supports = RelationType.objects.get(project=project, name="supports")
        self.attacks = RelationType.objects.get(project=project, name="attacks")
        self.count = project.articles.count()

    def grow_to(self, total: int) -> None:
        began = time.perf_counter()
        while self.count < total:
            size = min(BUILD_BATCH, total - self.count)
            with transaction.atomic():
                self._batch(range(self.count + 1, self.count + size + 1))
            self.count += size
            if self.count % 2_500 == 0 or self.count == total:
                progress(f"  {self.count:,} articles ({time.perf_counter() - began:.0f} s)")

    def _batch(self, numbers: range) -> None:
        statuses = [Layer.Status.FINISHED, Layer.Status.IN_PROGRESS, Layer.Status.FINISHED]
        articles = []
        for number in numbers:
            text = make_text(number, self.rng)
            articles.append(
                Article(
                    project=self.project,
                    title=f"Op-ed {number}: on {TOPICS[number % len(TOPICS)]}",
                    author=f"Columnist {number % 97}",
                    outlet=OUTLETS[number % len(OUTLETS)],
                    url=f"https://news.example.org/opinion/{number}",
                    published=date(2024, 1, 1) + timedelta(days=number % 700),
                    metadata={"section": "Opinion", "number": number},
                    text=text,
                    # bulk_create does not call Article.save, which sets the hash.
                    text_hash=text_hash(text),
                )
            )
        Article.objects.bulk_create(articles)
        layers = [
            Layer(article=article, annotator=annotator, status=statuses[index])
            for article in articles
            for index, annotator in enumerate(self.annotators)
        ]
        Layer.objects.bulk_create(layers)
        units = []
        for layer in layers:
            for index in range(UNITS_PER_LAYER):
                label = self.labels[index % len(self.labels)]
                attributes = {"stance": "For"} if "stance" in label.attributes else {}
                units.append(ArgumentUnit(layer=layer, label=label, attributes=attributes))
        ArgumentUnit.objects.bulk_create(units, batch_size=5_000)
        spans = []
        relations = []
        for layer_number, layer in enumerate(layers):
            mine = units[layer_number * UNITS_PER_LAYER : (layer_number + 1) * UNITS_PER_LAYER]
            for unit, (start, end) in zip(mine, unit_spans(layer.article.text, layer_number % 3), strict=True):
                spans.append(Span(unit=unit, start=start, end=end))
            # Unit 2k+1 → unit 2k: distinct pairs, never a unit to itself.
            for k in range(RELATIONS_PER_LAYER):
                kind = self.attacks if k % 4 == 3 else self.supports
                relations.append(Relation(layer=layer, type=kind, source=mine[2 * k + 1], target=mine[2 * k]))
        Span.objects.bulk_create(spans, batch_size=5_000)
        Relation.objects.bulk_create(relations, batch_size=5_000)


def make_project(slug: str, name: str, manager: User, annotators: list[User]) -> Project:
    project = projects.create_project(name=name, slug=slug, manager=manager)
    for annotator in annotators:
        projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=manager)
    return project


# --- Children -----------------------------------------------------------------------------


def emit(result: dict) -> None:
    """The child's result: one JSON line, the last on stdout."""
    print(json.dumps(result), flush=True)


def child_baseline() -> None:
    emit(memory())


def child_export(format_name: str, slug: str) -> None:
    project = Project.objects.get(slug=slug)
    articles = project.articles.count()
    units = ArgumentUnit.objects.filter(layer__article__project=project).count()
    before = memory()
    counter = QueryCounter()
    size = lines = 0
    began = time.perf_counter()
    # CoNLL with both of Eger et al.'s encodings, and what it leaves out found in the same pass.
    options = {"stance": True, "relations": True, "report": LossReport()} if format_name == "conll" else {}
    with connection.execute_wrapper(counter), open(os.devnull, "wb") as sink:
        for chunk in datasets.export_chunks(project, format_name=format_name, choice=datasets.LayerChoice(), **options):
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            size += len(data)
            if format_name == "jsonl":
                lines += data.count(b"\n")
            sink.write(data)
    elapsed = time.perf_counter() - began
    if format_name == "jsonl":
        require(lines == articles, f"{lines} JSONL lines for {articles} articles")
    emit(
        {
            "format": format_name,
            "articles": articles,
            "units": units,
            "bytes": size,
            "seconds": elapsed,
            "queries": counter.count,
            "before_mb": before["current_mb"],
            **memory(),
        }
    )


def child_import(slug: str) -> None:
    source = Project.objects.get(slug=slug)
    manager = User.objects.get(username=MANAGER)
    annotators = list(User.objects.filter(username__in=ANNOTATORS).order_by("username"))
    result: dict = {"articles": source.articles.count()}

    began = time.perf_counter()
    content = "".join(datasets.export_chunks(source, format_name="jsonl", choice=datasets.LayerChoice()))
    content = content.encode("utf-8")
    result["export_seconds"] = time.perf_counter() - began
    result["bytes"] = len(content)

    began = time.perf_counter()
    records = jsonl.parse(content, file_name=f"{slug}.jsonl")
    result["parse_seconds"] = time.perf_counter() - began
    del content
    result["units"] = sum(len(layer.units) for record in records for layer in record.layers)
    result["relations"] = sum(len(layer.relations) for record in records for layer in record.layers)

    target = make_project(f"{slug}-import", "Benchmark import", manager, annotators)
    counter = QueryCounter()
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = datasets.import_records(project=target, records=records, user=None)
    result["import_seconds"] = time.perf_counter() - began
    result["import_queries"] = counter.count
    require(report.written, f"import not written: {report.problems[:3]}")
    stored = ArgumentUnit.objects.filter(layer__article__project=target).count()
    require(stored == result["units"], f"{stored} units stored, {result['units']} in the file")
    require(target.articles.count() == result["articles"], "not every article was imported")

    plain = [dataclasses.replace(record, layers=[]) for record in records]
    del records
    target = make_project(f"{slug}-articles", "Benchmark articles-only import", manager, annotators)
    counter = QueryCounter()
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = datasets.import_records(project=target, records=plain, user=None)
    result["articles_seconds"] = time.perf_counter() - began
    result["articles_queries"] = counter.count
    require(report.written, f"articles-only import not written: {report.problems[:3]}")
    require(target.articles.count() == result["articles"], "not every article was imported")
    emit({**result, **memory()})


def run_child(database: str, *arguments: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--database", database, *arguments]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        sys.stderr.write(finished.stderr)
        raise RuntimeError(f"child {' '.join(arguments)} failed with exit code {finished.returncode}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


# --- The parent ---------------------------------------------------------------------------


def run(sizes: list[int], database: str) -> tuple[list[dict], dict]:
    rng = random.Random(SEED)
    manager = User.objects.create_user(username=MANAGER, password="bench-pass-1")
    annotators = [User.objects.create_user(username=name, password="bench-pass-1") for name in ANNOTATORS]
    project = make_project(SLUG, "Benchmark datasets", manager, annotators)
    builder = CorpusBuilder(project, annotators, rng)
    exports = []
    for size in sizes:
        progress(f"Building the corpus up to {size:,} articles")
        builder.grow_to(size)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        for format_name in FORMATS:
            progress(f"Export {format_name}, {size:,} articles")
            result = run_child(database, "--child-export", format_name, "--project", SLUG)
            require(result["units"] == size * 3 * UNITS_PER_LAYER, f"{result['units']} units")
            progress(f"  {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB")
            exports.append(result)
    progress(f"Import of the {sizes[-1]:,}-article export")
    imported = run_child(database, "--child-import", "--project", SLUG)
    progress(f"  parse {imported['parse_seconds']:.1f} s, import {imported['import_seconds']:.1f} s")
    return exports, imported


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def report(baseline: dict, exports: list[dict], imported: dict, server_version: int, version: str) -> None:
    print()
    print(f"Datasets: export and import, {date.today().isoformat()}, code {version}")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {server_version // 10000}.{server_version % 10000}, {os.cpu_count()} CPUs"
    )
    print(
        f"Corpus: {UNITS_PER_LAYER} units (one span each) and {RELATIONS_PER_LAYER} relations per layer, "
        f"3 annotator layers per article of ~{TEXT_LENGTH:,} characters."
    )
    print()
    print(f"Baseline RSS of a child after django.setup(): {baseline['peak_mb']:.0f} MB (peak).")
    print()
    print("| Format | Articles | Units | Output | Time | Units/s | Queries | RSS before | Peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in exports:
        print(
            f"| {row['format']} | {row['articles']:,} | {row['units']:,} | {row['bytes'] / 2**20:,.0f} MiB "
            f"| {row['seconds']:.1f} s | {row['units'] / row['seconds']:,.0f} | {row['queries']:,} "
            f"| {row['before_mb']:.0f} MB | {row['peak_mb']:.0f} MB |"
        )
    print()
    articles = imported["articles"]
    print("| Import step | Articles | Units | Relations | Time | Queries |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| export to JSONL bytes (in memory) | {articles:,} | {imported['units']:,} | {imported['relations']:,} "
        f"| {imported['export_seconds']:.1f} s | – |"
    )
    print(
        f"| `jsonl.parse` ({imported['bytes'] / 2**20:,.0f} MiB) | {articles:,} | {imported['units']:,} "
        f"| {imported['relations']:,} | {imported['parse_seconds']:.1f} s | – |"
    )
    print(
        f"| `import_records`, with layers | {articles:,} | {imported['units']:,} | {imported['relations']:,} "
        f"| {imported['import_seconds']:.1f} s | {imported['import_queries']:,} |"
    )
    print(
        f"| `import_records`, articles only | {articles:,} | – | – | {imported['articles_seconds']:.1f} s "
        f"| {imported['articles_queries']:,} |"
    )
    print(f"(peak RSS of the import child: {imported['peak_mb']:,.0f} MB)")
    print()
    slowest = min(row["units"] / row["seconds"] for row in exports)
    highest = max(row["peak_mb"] for row in exports)
    print("| Target | Measured | |")
    print("|---|---|---|")
    print(
        f"| export ≥ {EXPORT_UNITS_PER_SECOND:,} units/s | slowest {slowest:,.0f} units/s "
        f"| {verdict(slowest >= EXPORT_UNITS_PER_SECOND)} |"
    )
    print(f"| export peak RSS < {EXPORT_PEAK_MB} MB | highest {highest:.0f} MB | {verdict(highest < EXPORT_PEAK_MB)} |")
    for format_name in FORMATS:
        rows = [row for row in exports if row["format"] == format_name]
        if len(rows) > 1:
            growth = rows[-1]["peak_mb"] - rows[0]["peak_mb"]
            print(
                f"| {format_name} peak RSS flat as the corpus grows | {rows[0]['peak_mb']:.0f} → "
                f"{rows[-1]['peak_mb']:.0f} MB ({growth:+.0f} MB) | {verdict(abs(growth) < 10)} |"
            )
    total = imported["parse_seconds"] + imported["import_seconds"]
    print(
        f"| import of {articles:,} articles < {IMPORT_SECONDS} s | with layers {total:.1f} s (parse + import); "
        f"articles only {imported['articles_seconds']:.1f} s "
        f"| {verdict(total < IMPORT_SECONDS)} / {verdict(imported['articles_seconds'] < IMPORT_SECONDS)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="the large corpus (default 10000)")
    parser.add_argument(
        "--small-articles", type=int, default=2_500, help="the small corpus, built first (default 2500)"
    )
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"the exports measured, of {', '.join(EXPORTING)} (default jsonl,brat)",
    )
    parser.add_argument("--child-export", choices=EXPORTING, help=argparse.SUPPRESS)
    parser.add_argument("--child-import", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    args = parser.parse_args()
    FORMATS[:] = args.formats.split(",")
    if unknown := set(FORMATS) - set(EXPORTING):
        parser.error(f"--formats: no export format {', '.join(sorted(unknown))}")

    if args.child_baseline:
        return child_baseline()
    if args.child_export or args.child_import:
        connection.settings_dict["NAME"] = args.database
        if args.child_export:
            return child_export(args.child_export, args.project)
        return child_import(args.project)

    sizes = sorted({args.small_articles, args.articles})
    if sizes[0] < 1:
        parser.error("corpus sizes must be at least 1")
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")

    # The code measured is the code when the run starts (children import it afresh).
    version = code_version()
    # `timeout` and friends send SIGTERM: leave through the `finally` that drops the database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    baseline = run_child("", "--child-baseline")
    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_datasets_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False, keepdb=False)
    try:
        exports, imported = run(sizes, connection.settings_dict["NAME"])
        server_version = connection.cursor().connection.info.server_version
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report(baseline, exports, imported, server_version, version)


if __name__ == "__main__":
    main()
