"""Benchmark of project agreement: 1,000 articles × 3 annotators × 40 units (the budget: under 5 s).

Two measurements, each the median of several runs:

- from plain data: `project_agreement.compute_agreement` on generated layers (what the
  measures cost without the database);
- from the database (with `--database`, on PostgreSQL): `project_agreement.project_agreement`
  on the same corpus written into a throwaway database of its own, so the figure includes
  the five queries that load it; the query count is reported too.

The corpus is deterministic: articles of 3,000 characters, 40 units per layer in slots of
75 characters (labels drawn from the default scheme), 20 relations per layer. Each
annotator keeps a unit of the shared base annotation as it is (60 %), moves its boundaries
by a few characters (25 %), relabels it (5 %) or leaves it out (10 %), so agreement is high
but not perfect, and every measure has real work to do.

Usage, from the repository root:

    .venv/bin/python scripts/bench_agreement.py [--articles 1000] [--runs 5]
    DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir" \\
        .venv/bin/python scripts/bench_agreement.py --database

DATABASE_URL names the server only: the script creates `test_annotate_bench_agreement_<pid>`
next to its database and drops it at the end.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ["DJANGO_SETTINGS_MODULE"] = "annotate.settings"
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from annotate import projects  # noqa: E402
from annotate.models import ArgumentUnit, Article, Layer, Relation, Role, Span, text_hash  # noqa: E402
from annotate.project_agreement import ArticleData, LayerData, compute_agreement, project_agreement  # noqa: E402

SEED = 20261125
LABELS = ["MajorClaim", "Claim", "Premise"]
RELATION_TYPES = ["supports", "attacks"]
ANNOTATORS = ["bench_ann_a", "bench_ann_b", "bench_ann_c"]
TEXT_LENGTH = 3_000
UNITS_PER_LAYER = 40
RELATIONS_PER_LAYER = 20
BUDGET_SECONDS = 5.0


def corpus(article_count: int) -> tuple[list[ArticleData], list[LayerData]]:
    """Articles and annotator layers as plain data; unit ids are unique over the corpus."""
    rng = random.Random(SEED)
    slot = TEXT_LENGTH // UNITS_PER_LAYER
    articles, layers, next_id = [], [], 1
    for number in range(article_count):
        article = ArticleData(number + 1, f"Article {number + 1}", TEXT_LENGTH)
        articles.append(article)
        base = []
        for index in range(UNITS_PER_LAYER):
            start = index * slot + rng.randrange(0, 10)
            base.append((rng.choice(LABELS), start, start + rng.randrange(30, 60)))
        links = [(index + 1, index, rng.choice(RELATION_TYPES)) for index in range(RELATIONS_PER_LAYER)]
        for annotator in ANNOTATORS:
            units, ids = {}, {}
            for index, (label, start, end) in enumerate(base):
                roll = rng.random()
                if roll < 0.10:
                    continue
                if roll < 0.35:
                    start, end = start + rng.randrange(-3, 4), end + rng.randrange(-3, 4)
                elif roll < 0.40:
                    label = rng.choice(LABELS)
                ids[index] = next_id
                units[next_id] = (label, ((max(start, 0), end),))
                next_id += 1
            relations = [(ids[s], ids[t], kind) for s, t, kind in links if s in ids and t in ids]
            layers.append(LayerData(article.id, annotator, units, relations))
    return articles, layers


def median_seconds(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def write_corpus(articles: list[ArticleData], layers: list[LayerData]):
    """The corpus in the database, by bulk_create (set-up, not what is measured)."""
    manager = User.objects.create_user("bench_manager")
    project = projects.create_project(name="Bench agreement", slug="bench-agreement", manager=manager)
    users = {name: User.objects.create_user(name) for name in ANNOTATORS}
    for user in users.values():
        projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=None)
    labels = {label.name: label for label in project.labels.all()}
    kinds = {kind.name: kind for kind in project.relation_types.all()}
    rng = random.Random(SEED)
    with transaction.atomic():
        stored = Article.objects.bulk_create(
            [
                Article(project=project, title=a.title, text=t, text_hash=text_hash(t))
                for a in articles
                for t in ["".join(rng.choice("abcdefgh ") for _ in range(a.length - 8)) + f"{a.id:08d}"]
            ]
        )
        article_ids = {a.id: s.pk for a, s in zip(articles, stored, strict=True)}
        layer_rows = Layer.objects.bulk_create(
            [
                Layer(article_id=article_ids[layer.article_id], annotator=users[layer.annotator], status="finished")
                for layer in layers
            ]
        )
        unit_rows = ArgumentUnit.objects.bulk_create(
            [
                ArgumentUnit(layer=row, label=labels[label])
                for layer, row in zip(layers, layer_rows, strict=True)
                for label, _ in layer.units.values()
            ]
        )
        unit_pk = dict(zip([uid for layer in layers for uid in layer.units], unit_rows, strict=True))
        Span.objects.bulk_create(
            [
                Span(unit=unit_pk[uid], start=start, end=end)
                for layer in layers
                for uid, (_, spans) in layer.units.items()
                for start, end in spans
            ]
        )
        Relation.objects.bulk_create(
            [
                Relation(layer=row, type=kinds[kind], source=unit_pk[source], target=unit_pk[target])
                for layer, row in zip(layers, layer_rows, strict=True)
                for source, target, kind in layer.relations
            ]
        )
    return project


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def from_database(articles, layers, runs: int) -> tuple[float, int, object]:
    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_agreement_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False, keepdb=False)
    try:
        project = write_corpus(articles, layers)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            project_agreement(project)
        seconds, report = median_seconds(lambda: project_agreement(project), runs)
        return seconds, counter.count, report
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", action="store_true", help="also from the database (PostgreSQL)")
    args = parser.parse_args()

    articles, layers = corpus(args.articles)
    unit_count = sum(len(layer.units) for layer in layers)
    relation_count = sum(len(layer.relations) for layer in layers)
    print(
        f"Corpus: {len(articles)} articles × {len(ANNOTATORS)} annotators; "
        f"{unit_count} units, {relation_count} relations. Median of {args.runs} runs."
    )
    seconds, report = median_seconds(lambda: compute_agreement(articles, layers, labels=LABELS), args.runs)
    verdict = "within" if seconds < BUDGET_SECONDS else "OVER"
    print(f"from plain data:   {seconds:6.2f} s ({verdict} the {BUDGET_SECONDS:.0f} s budget)")
    print(
        f"  alpha_U {report.alpha_u.alpha:.3f}, span F1 exact {report.span_f1_exact:.3f} / overlap "
        f"{report.span_f1_overlap:.3f}, relation F1 exact {report.relation_f1_exact:.3f} / overlap "
        f"{report.relation_f1_overlap:.3f}"
    )
    if args.database:
        if connection.vendor != "postgresql":
            sys.exit(f"--database runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")
        seconds, queries, stored = from_database(articles, layers, args.runs)
        verdict = "within" if seconds < BUDGET_SECONDS else "OVER"
        print(f"from the database: {seconds:6.2f} s ({verdict} the {BUDGET_SECONDS:.0f} s budget), {queries} queries")
        if stored.as_json() != report.as_json() | {"articles": stored.as_json()["articles"]}:
            print("  note: the database figures differ from the plain-data ones", file=sys.stderr)


if __name__ == "__main__":
    main()
