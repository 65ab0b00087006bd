"""Server-time benchmark of the agreement page answering from a stored result, on PostgreSQL.

Writes the agreement benchmark's corpus (scripts/bench_agreement.py: 1,000 articles × 3
annotators × 40 units, 20 relations per layer, every layer finished) into a throwaway
database of its own, has one computation stored (the page's first visit queues it; the
worker's task is run here, and timed once), and then times, through Django's test
client, interleaved in rounds with the workspace benchmark's fixed piece of pure-Python
work:

- the page from a result that is current (GET agreement, as a browser navigation);
- the HTMX poll of the same (GET agreement with HX-Request: the result's partial);
- the page after one layer changed: the stored result, "1 layer changed since —
  recomputing…", with its computation already queued (as every visit after the first).

It prints p50, p95, p99 and max server time per request (ms), the SQL queries of one
request, and the page's size.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_agreement_page.py [--articles 1000] [--requests 200]

The database is created next to DATABASE_URL's and dropped at the end, as the
workspace benchmark does.
"""

import argparse
import os
import re
import sys
import time
from datetime import date

# As the workspace benchmark's settings (plain HTTP, no static manifest), set before
# bench_agreement sets Django up.
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["STATIC_MANIFEST"] = "0"

from bench_agreement import ANNOTATORS, corpus, write_corpus  # noqa: E402
from bench_workspace import (  # noqa: E402
    REFERENCE,
    Endpoint,
    code_version,
    connection,
    print_table,
    queries_of,
    reference_work,
    require,
    reverse,
    settings,
    timed_in_rounds,
)
from django.contrib.auth.models import User  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402

from annotate import agreement_jobs, projects  # noqa: E402
from annotate.models import Job, JobStatus, Layer, Role  # noqa: E402

STALE = "1 layer changed since — recomputing…"


def run(article_count: int, requests: int) -> None:
    settings.ANNOTATE_AGREEMENT_INLINE = False
    began = time.perf_counter()
    project = write_corpus(*corpus(article_count))
    written = time.perf_counter() - began
    curator = User.objects.create_user("bench_curator")
    projects.set_member(project=project, user=curator, role=Role.CURATOR, by=None)
    client = Client()
    client.force_login(curator)
    url = reverse("annotate:agreement", args=[project.slug])

    first = client.get(url)
    require("Computing agreement…" in first.content.decode(), f"the first visit answered {first.status_code}")
    job = Job.objects.get(project=project, kind="agreement", status=JobStatus.QUEUED)
    began = time.perf_counter()
    agreement_jobs.compute_agreement.call(job_id=job.pk)
    computed = time.perf_counter() - began
    job.refresh_from_db()
    require(job.status == JobStatus.DONE, f"the computation ended {job.status}")

    def check(behind: bool):
        def after(response) -> None:
            require(response.status_code == 200, f"status {response.status_code}")
            state = re.search(r'role="status">(Computed [^<]*)</p>', response.content.decode().replace("\xa0", " "))
            require(state is not None, "no stored result shown")
            require(state.group(1).endswith(STALE) == behind, f"the page says {state.group(1)!r}")

        return after

    current = [
        Endpoint("the page, result current", lambda i: (), lambda: client.get(url), check(behind=False)),
        Endpoint(
            "the HTMX poll, result current",
            lambda i: (),
            lambda: client.get(url, HTTP_HX_REQUEST="true"),
            check(behind=False),
        ),
        Endpoint(REFERENCE, lambda i: (), reference_work, lambda r: None),
    ]
    timed_in_rounds(current, requests)
    results = measured(current)
    size = len(client.get(url).content)

    layer = Layer.objects.filter(article__project=project).order_by("pk").first()
    Layer.objects.filter(pk=layer.pk).update(revision=F("revision") + 1)
    client.get(url)  # queues the computation, as the first visit after a change does
    stale = [
        Endpoint("the page, 1 layer changed since", lambda i: (), lambda: client.get(url), check(behind=True)),
        Endpoint(REFERENCE + " ", lambda i: (), reference_work, lambda r: None),
    ]
    timed_in_rounds(stale, requests)
    require(Job.objects.filter(project=project, status=JobStatus.QUEUED).count() == 1, "not one job queued")

    results += measured(stale)
    server = connection.cursor().connection.info.server_version
    print(f"\nAgreement page, {date.today().isoformat()}, code {code_version()}, {os.cpu_count()} CPUs")
    print(
        f"PostgreSQL {server // 10000}.{server % 10000}; {article_count} articles × {len(ANNOTATORS)} annotators"
        f" × 40 units (written in {written:.1f} s); the computation the worker runs: {computed:.2f} s;"
        f" page {size // 1024} KiB; {requests} timed requests each"
    )
    print_table(results)


def measured(endpoints: list[Endpoint]) -> list[tuple[str, list[float], int | str]]:
    """Each endpoint's timings, and the queries of one more request."""
    return [(e.name, e.times, "-" if e.send is reference_work else queries_of(e.send, (), e.after)) for e in endpoints]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint (default 200)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark runs on PostgreSQL; DATABASE_URL gives {connection.vendor}.")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    connection.settings_dict["TEST"]["NAME"] = f"test_annotate_bench_agreement_page_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False)
    try:
        run(args.articles, args.requests)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
