"""Server time of the admin's lists, the export page and scheme.css on an existing
database, such as a copy of the lab built by scripts/bench_lab.py (20,000 articles,
2.4 million units, 3.6 million change records).

Each page is requested through Django's test client in-process (no network: URL
resolution, middleware, view, SQL, templates) by a superuser that is also a manager of
the project, created in the database if missing (`bench-admin`): so run it on a copy,
never on a database someone else measures. The pages take turns in rounds, after one
untimed request each; it prints p50 and p95 (ms) and the queries of one request.

    createdb -h /tmp/mypg -U annotate -T lab_l ann_admin_l
    DATABASE_URL="postgres://annotate@/ann_admin_l?host=/tmp/mypg" \\
        .venv/bin/python scripts/bench_admin.py [--requests 20] [--project lab]

Only the models and the URLs are used, so the same script measures older commits (on
a copy at their migration).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import setup_django  # noqa: E402

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotate.models import Membership, Project  # noqa: E402

CHANGELISTS = [
    "project",
    "membership",
    "label",
    "relationtype",
    "article",
    "layer",
    "argumentunit",
    "span",
    "relation",
    "change",
    "job",
]


def percentile(ordered: list[float], fraction: float) -> float:
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def pages(project: Project) -> dict[str, str]:
    found = {f"admin {model}": reverse(f"admin:annotate_{model}_changelist") for model in CHANGELISTS}
    change = reverse("admin:annotate_change_changelist")
    found["admin change ?project"] = f"{change}?project__id__exact={project.pk}"
    found["admin change ?action=unit.update"] = f"{change}?action=unit.update"
    unit = reverse("admin:annotate_argumentunit_changelist")
    found["admin argumentunit ?label__project"] = f"{unit}?label__project__id__exact={project.pk}"
    found["export page"] = reverse("annotate:dataset_export", args=[project.slug])
    # A choice too large to stream, asked for by the page's GET form: the page again, with
    # its posted form, the units counted for the decision on every request.
    found["export page, a large download asked for"] = f"{found['export page']}?download=1&format=jsonl&layers=all"
    # As every page links it (the version is ignored by code that does not read it).
    found["scheme.css"] = reverse("annotate:scheme_css", args=[project.slug]) + f"?v={project.scheme_version}"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--project", default="lab", help="the project's slug (default lab)")
    parser.add_argument("--only", nargs="*", help="measure only the pages whose names contain one of these")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    project = Project.objects.get(slug=args.project)
    user, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    Membership.objects.get_or_create(project=project, user=user, defaults={"role": "manager"})
    client = Client()
    client.force_login(user)
    measured = {name: url for name, url in pages(project).items() if not args.only or any(w in name for w in args.only)}
    queries = {}
    for name, url in measured.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{name}: {url} answered {response.status_code}")
        queries[name] = len(captured)
    times: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(args.requests):
        for name, url in measured.items():
            began = time.perf_counter()
            client.get(url)
            times[name].append((time.perf_counter() - began) * 1000)
    print(f"{args.requests} requests per page, DEBUG={settings.DEBUG}, database {connection.settings_dict['NAME']}")
    print("| page | p50 | p95 | queries |")
    print("|---|---:|---:|---:|")
    for name in measured:
        ordered = sorted(times[name])
        print(f"| {name} | {statistics.median(ordered):.0f} | {percentile(ordered, 0.95):.0f} | {queries[name]} |")


if __name__ == "__main__":
    main()
