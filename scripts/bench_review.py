"""Server-time benchmark of the review page (GET annotate:review) on PostgreSQL.

Builds, in a throwaway database of its own, the demo's article ("Did Trump Flinch?",
seeds/) in a project with the default scheme, with three layers: two annotators' and
gold. Each annotator layer marks every sentence of the text as a unit (labels in turn,
claims with a stance), the second annotator differing from the first on every third
sentence (another label) and every fifth (one word shorter); gold holds the first
annotator's first half. Each premise supports the unit before it. Then it times the
review page as a curator opens it (the lanes, and `?view=table`), interleaved in rounds,
and prints p50 and p95 (ms) of the time and p50 of this process's CPU time (which a
busy machine disturbs less: the page's work is mostly Python), and the queries of one
request.

Only the models and the URL are used, so the same script measures older commits:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_review.py [--requests N]

DATABASE_URL names the server and the credentials only: the script creates its own
database `test_annotate_bench_review_<pid>` and drops it at the end.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import setup_django  # noqa: E402

setup_django()

from bench_workspace import in_a_throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate import projects  # noqa: E402
from annotate.models import ArgumentUnit, Article, Layer, Membership, Relation, Span  # noqa: E402


def percentile(ordered: list[float], fraction: float) -> float:
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def sentences(text: str) -> list[tuple[int, int]]:
    """The [start, end) of each sentence of the text (at least three words)."""
    found = []
    for match in re.finditer(r"[^.!?\n]+[.!?]?", text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if len(text[start:end].split()) >= 3:
            found.append((start, end))
    return found


def build() -> tuple[User, str]:
    """The project, the article and its three layers; the curator and the page's URL."""
    manager = User.objects.create_user("manager")
    curator = User.objects.create_user("curator")
    annotators = [User.objects.create_user(name) for name in ("alice", "bob")]
    project = projects.create_project(name="Review bench", slug="review-bench", manager=manager)
    Membership.objects.create(project=project, user=curator, role="curator")
    for annotator in annotators:
        Membership.objects.create(project=project, user=annotator, role="annotator")
    text = (ROOT / "seeds" / "did-trump-flinch.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    article = Article.objects.create(project=project, title="Did Trump Flinch?", text=text)
    labels = {label.name: label for label in project.labels.all()}
    order = [labels["MajorClaim"], *[labels["Claim"], labels["Premise"], labels["Premise"]] * 100]
    supports = project.relation_types.get(name="supports")
    ranges = sentences(text)
    layers = [Layer.objects.create(article=article, annotator=annotator) for annotator in annotators]
    layers.append(Layer.objects.create(article=article, annotator=None))
    for which, layer in enumerate(layers):
        made = []
        chosen = ranges if which < 2 else ranges[: len(ranges) // 2]
        for i, (start, end) in enumerate(chosen):
            label = order[i % len(order)]
            if which == 1 and i % 3 == 2:
                label = labels["Claim"] if label.name == "Premise" else labels["Premise"]
            if which == 1 and i % 5 == 4:
                end = text.rindex(" ", start, end)
            attributes = {"stance": "For"} if label.name == "Claim" else {}
            unit = ArgumentUnit.objects.create(layer=layer, label=label, attributes=attributes)
            Span.objects.create(unit=unit, start=start, end=end)
            if made and label.name == "Premise":
                Relation.objects.create(layer=layer, type=supports, source=unit, target=made[-1])
            made.append(unit)
    return curator, reverse("annotate:review", args=[project.slug, article.pk])


def run(requests: int) -> None:
    curator, url = build()
    client = Client()
    client.force_login(curator)
    pages = {"review (lanes)": url, "review (?view=table)": url + "?view=table"}
    for page in pages.values():
        for _ in range(5):
            assert client.get(page).status_code == 200
    times: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(requests):
        for name, page in pages.items():
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(page)
            times[name].append((time.perf_counter() - began) * 1000)
            cpu[name].append((time.process_time() - began_cpu) * 1000)
            assert response.status_code == 200
    units = ArgumentUnit.objects.count()
    print(f"{units} units in 3 layers, {requests} requests per page, DEBUG={settings.DEBUG}")
    print("| page | p50 | p95 | CPU p50 | queries |")
    print("|---|---:|---:|---:|---:|")
    for name, page in pages.items():
        with CaptureQueriesContext(connection) as queries:
            client.get(page)
        ordered = sorted(times[name])
        p50, p95 = statistics.median(ordered), percentile(ordered, 0.95)
        cpu_p50 = statistics.median(cpu[name])
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {cpu_p50:.1f} | {len(queries)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    args = parser.parse_args()
    in_a_throwaway_database(lambda: run(args.requests), name="test_annotate_bench_review")


if __name__ == "__main__":
    main()
