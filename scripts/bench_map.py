"""Server-time benchmark of the argument map on PostgreSQL.

Builds the workspace benchmark's layer (scripts/bench_workspace.py: one article of
20,000 characters, 300 units, 150 relations) in a throwaway database of its own and
times, through Django's test client, the map page (GET layer_map) and the SVG download
(GET layer_map?download=svg), interleaved in rounds with the workspace benchmark's
fixed piece of pure-Python work, which shows how fast the machine ran meanwhile. It
prints p50, p95, p99 and max server time per request (ms), the SQL queries of one
request, and the map's size.

Usage, from the repository root:

    export DATABASE_URL="postgres://USER@/DBNAME?host=/path/to/socket/dir"
    .venv/bin/python scripts/bench_map.py [--requests N]

The database is created next to DATABASE_URL's and dropped at the end, as the
workspace benchmark does.
"""

import argparse
import os
import random
from datetime import date

from bench_workspace import (
    REFERENCE,
    SEED,
    Endpoint,
    build,
    code_version,
    in_a_throwaway_database,
    print_table,
    queries_of,
    reference_work,
    require,
    reverse,
    timed_in_rounds,
)
from django.test import Client


def run(requests: int) -> None:
    project, annotator, layer, _ = build(random.Random(SEED))
    client = Client()
    client.force_login(annotator)
    url = reverse("annotate:layer_map", args=[project.slug, layer.pk])

    def check(response) -> None:
        require(response.status_code == 200, f"status {response.status_code}")
        require(response.content.count(b'class="unit"') == 300, "not 300 units drawn")

    endpoints = [
        Endpoint("the map page (GET layer_map)", lambda i: (), lambda: client.get(url), check),
        Endpoint("the SVG download (?download=svg)", lambda i: (), lambda: client.get(url + "?download=svg"), check),
        Endpoint(REFERENCE, lambda i: (), reference_work, lambda r: None),
    ]
    timed_in_rounds(endpoints, requests)
    results = [
        (e.name, e.times, "-" if e.send is reference_work else queries_of(e.send, (), e.after)) for e in endpoints
    ]
    page, svg = len(client.get(url).content), len(client.get(url + "?download=svg").content)
    print(f"\nArgument map, {date.today().isoformat()}, code {code_version()}, {os.cpu_count()} CPUs")
    print(f"300 units, 150 relations; page {page // 1024} KiB, SVG {svg // 1024} KiB; {requests} timed requests each")
    print_table(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint (default 100)")
    args = parser.parse_args()
    in_a_throwaway_database(lambda: run(args.requests), name="test_annotate_bench")


if __name__ == "__main__":
    main()
