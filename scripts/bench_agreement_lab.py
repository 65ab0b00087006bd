"""Agreement at a lab's size: the recomputation's time and peak memory, and the page, on a
copy of a lab database (scripts/bench_lab.py's lab_l: 20,000 articles × 20 annotators).

Each measurement runs in a process of its own, so its peak resident memory
(getrusage's ru_maxrss) is its own:

- ``before``: the whole-project computation the worker ran before the sums were stored
  (`project_agreement.project_agreement`: every counted layer in memory at once); with
  ``--save FILE`` its report is written there as JSON;
- ``full``: a full recomputation of the stored sums (every stored article dropped first):
  what the worker does the first time; with ``--compare FILE`` its figures are compared
  with the ``before`` report saved there;
- ``one``: the recomputation after one layer is finished: each run reopens and finishes
  another finished layer (as its annotator would, through `annotate.lifecycle`) and
  brings the stored sums up to date (``--runs`` times; median and p95);
- ``page``: the agreement page from a current stored result, the first page and the next
  one (``--runs`` requests each, through Django's test client): p50, p95, its size and
  its queries.

It changes the database it is given (stored sums, a result, reopened and finished
layers): give it a copy, never the lab database itself.

Usage, from the repository root:

    createdb -h /tmp/mypg -U annotate -T lab_l lab_l_copy
    export DATABASE_URL="postgres://annotate@/lab_l_copy?host=/tmp/mypg"
    .venv/bin/python manage.py migrate
    .venv/bin/python scripts/bench_agreement_lab.py before --save /tmp/before.json
    .venv/bin/python scripts/bench_agreement_lab.py full --compare /tmp/before.json
    .venv/bin/python scripts/bench_agreement_lab.py one --runs 10
    .venv/bin/python scripts/bench_agreement_lab.py page --runs 200
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ["DJANGO_SETTINGS_MODULE"] = "annotate.settings"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core import signals  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate import agreement_jobs, agreement_store, lifecycle  # noqa: E402
from annotate.models import AgreementArticle, Job, JobKind, JobStatus, Layer, Membership, Project, Role  # noqa: E402
from annotate.project_agreement import ArticleAgreement, project_agreement  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def the_project() -> Project:
    return Project.objects.order_by("-pk").annotate(n=django.db.models.Count("articles")).order_by("-n").first()


def before(args) -> None:
    project = the_project()
    began = time.perf_counter()
    report = project_agreement(project)
    seconds = time.perf_counter() - began
    print(f"before (whole project in memory): {seconds:.1f} s, peak {peak_mb():.0f} MB")
    if args.save:
        Path(args.save).write_text(json.dumps(report.as_json()))


def full(args) -> None:
    project = the_project()
    AgreementArticle.objects.filter(project=project).delete()
    began = time.perf_counter()
    with transaction.atomic():
        report, compared = agreement_store.refresh(project)
    seconds = time.perf_counter() - began
    print(f"full recomputation (streamed): {seconds:.1f} s, peak {peak_mb():.0f} MB, {compared} compared articles")
    if args.compare:
        saved = json.loads(Path(args.compare).read_text())
        rows = list(agreement_store.stored_rows(project, include_in_progress=False, against_gold=False))
        from dataclasses import asdict

        now = report | {"articles": [asdict(row) for row in rows]}
        differences = list(_differences(saved, now))
        largest = max((abs(a - b) / max(abs(a), abs(b)) for a, b in differences), default=0.0)
        print(
            f"  compared with the whole-project computation: {'equal' if saved == now else 'NOT equal'}; "
            f"{len(differences)} values differ, by at most {largest:.1e} (relative)"
        )


def _differences(a, b):
    """Pairs of numbers at the same place of two JSON values that differ (structure must match)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), (a.keys(), b.keys())
        for key in a:
            yield from _differences(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            yield from _differences(x, y)
    elif a != b:
        assert isinstance(a, float), (a, b)
        assert isinstance(b, float), (a, b)
        yield a, b


def one(args) -> None:
    project = the_project()
    with transaction.atomic():
        agreement_store.refresh(project)  # up to date before the first run
    layers = list(
        Layer.objects.filter(article__project=project, status=Layer.Status.FINISHED, annotator__isnull=False)
        .select_related("annotator")
        .order_by("pk")[: args.runs]
    )
    times, cpu, recomputed = [], [], []
    for layer in layers:
        lifecycle.reopen_layer(layer=layer, user=layer.annotator)
        lifecycle.finish_layer(layer=layer, user=layer.annotator, confirmed=True)
        seen = []
        began, began_cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            agreement_store.refresh(project, progress=lambda phase, done, total, seen=seen: seen.append(total))
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        recomputed.append(seen[-1])
    print(
        f"after one finished layer: median {statistics.median(times):.2f} s, p95 {_p95(times):.2f} s "
        f"over {len(times)} runs (CPU time of this process: median {statistics.median(cpu):.2f} s), "
        f"{set(recomputed)} article(s) recomputed each, peak {peak_mb():.0f} MB"
    )


def page(args) -> None:
    setup_test_environment()  # so that a response carries its context (the next page's link)
    # One connection for every request, as with persistent connections (and so that the
    # queries of a request can be counted).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    project = the_project()
    curator = (
        Membership.objects.filter(project=project, role__in=[Role.CURATOR, Role.MANAGER]).select_related("user").first()
    ).user
    # A current result: computations left queued by an earlier run are dropped, and one
    # is run here, on the layers as they are.
    Job.objects.filter(project=project, kind=JobKind.AGREEMENT).exclude(status=JobStatus.DONE).delete()
    state = agreement_jobs.agreement_state(project)
    with override_settings(ANNOTATE_AGREEMENT_INLINE=True):
        agreement_jobs.request_agreement(project, state)
    client = Client()
    client.force_login(curator)
    url = reverse("annotate:agreement", args=[project.slug])
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    assert "Computed" in first.content.decode()
    second_url = first.context["next_url"]
    measure_page(client, "first page", url, args.runs)
    measure_page(client, "next page", second_url, args.runs)
    near_end = (
        AgreementArticle.objects.filter(project=project, options=0, annotators__gte=2)
        .order_by("alpha_order", "f1_order", "article_id")
        .values_list("article_id", "article__title", "annotators", "alpha_u", "span_f1_overlap")[
            first.context["stored"].compared - 30
        ]
    )
    last_url = f"{url}?after={agreement_store.cursor(ArticleAgreement(*near_end))}"
    measure_page(client, "last page (keyset from the 30th last article)", last_url, args.runs)
    layer = Layer.objects.filter(article__project=project, status=Layer.Status.FINISHED).select_related("annotator")[0]
    lifecycle.reopen_layer(layer=layer, user=layer.annotator)
    lifecycle.finish_layer(layer=layer, user=layer.annotator, confirmed=True)
    client.get(url)  # queues the recomputation (left queued: no worker runs here)
    measure_page(client, "first page, 1 layer changed since (recomputation queued)", url, args.runs)


def measure_page(client: Client, name: str, address: str, runs: int) -> None:
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        response = client.get(address)
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(address)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    print(
        f"page, {name}: p50 {statistics.median(times) * 1000:.0f} ms, p95 {_p95(times) * 1000:.0f} ms "
        f"over {runs} requests (CPU time of this process: p50 {statistics.median(cpu) * 1000:.0f} ms); "
        f"{len(response.content) / 1024:.0f} KB, {len(queries)} queries"
    )


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, math.ceil(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("measure", choices=["before", "full", "one", "page"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--save", help="before: write its report (JSON) here")
    parser.add_argument("--compare", help="full: compare with the report saved by before --save")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL to a copy of a lab database.")
    {"before": before, "full": full, "one": one, "page": page}[args.measure](args)


if __name__ == "__main__":
    main()
