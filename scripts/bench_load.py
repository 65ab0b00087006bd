"""Load benchmark: annotators saving at once on gunicorn and PostgreSQL with fsync on,
beside a floor view that does one INSERT.

Starts a throwaway PostgreSQL cluster of its own (initdb into a temporary directory,
Unix socket only, fsync, synchronous_commit and full_page_writes at their defaults,
that is on), migrates a database there and builds one project (default scheme) with
16 annotators (`--clients`), each with an article of their own (30 sentences of
generated op-ed prose, 2,700 to 3,100 characters) and its layer. Then it serves that
database with gunicorn (3 sync workers, as in production) on a loopback port, DEBUG
off, and runs two phases of `--seconds` each:

- floor: every client POSTs `/bench/floor/` (scripts/bench_floor.py) over and over: a
  logged-in, CSRF-checked POST through the same middleware, one INSERT, a tiny 200;
- save: every client creates units in their own layer over and over, as HTMX does:
  `POST annotate:unit_create`, form-encoded, `HX-Request`, the CSRF token of the page's
  `hx-headers`, a label, the UTF-16 offsets of a word range not used before and the
  revision the previous answer carried (its `#layer-revision`).

`--rounds N` alternates the two phases N times, `--seconds / N` each (floor, save,
floor, save…), and reports each phase's rounds together: on a machine whose other load
comes and goes, both phases then meet the same load, and the ratio of their CPU per
request is measured under it; the ratio of each round is reported too, with their median.

`--layout` says what the annotators select (`LAYOUTS`): "nested" (the default), every
range of whole words inside one sentence of a 30-sentence article, shuffled, so that the
paragraphs fill with 60 to 80 units nested up to ten deep, the worst case for the line
an answer redraws; "op-ed", the two halves of each sentence of a 400-sentence article,
in text order, as a person annotates a long op-ed.

Each client is a process of its own (so the clients' CPU is not one GIL), logs in over
HTTP (the login form, its session cookie and CSRF token), opens its layer page once
and then sends one request after another until the phase ends. Per request it keeps
the status and the wall time. Afterwards the database is checked against the answers:
every unit a 200 answer named is there and no other (0 lost, 0 extra), no two units of
a layer cover the same text (0 duplicated), each layer's revision equals its number of
change records and the revision the client last saw; the floor's rows equal its 200s.

CPU per request: utime + stime (from /proc/<pid>/stat) of the gunicorn master and
workers, and of the postmaster and all its processes (backends, walwriter,
checkpointer...), exited children included (cutime, cstime), read before and after
each phase and divided by the requests of the phase. The clients' own CPU is reported
too: they run on the same machine and compete with the server.

`--profile N` then times N unit creations in this process with Django's test client
(same middleware, session in the database, CSRF enforced) on a fresh layer of the same
data, once without a profiler and once under cProfile counting CPU time, and prints
where a save's time goes.

Usage, from the repository root (as root the cluster runs as the postgres account):

    .venv/bin/python scripts/bench_load.py [--clients 16] [--seconds 60] [--workers 3]
        [--worker-class sync|gthread --threads N] [--phase both|floor|save|none] [--rounds 1]
        [--layout nested|op-ed] [--profile 500] [--port 8766] [--keep]

No DATABASE_URL is needed or read: the cluster is the script's own and is stopped and
removed however the script ends (`--keep` leaves it running and says where).
"""

import argparse
import cProfile
import http.client
import http.cookies
import json
import multiprocessing
import os
import platform
import pstats
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from _bench import (  # noqa: E402  (the prose generators live in _bench, shared with bench_lab.py)
    PLAIN_HTTP_PRODUCTION,
    SENTENCES,
    WORD,
    clause_ranges,
    code_version,
    make_text,
    require,
)

PASSWORD = "bench-load-password"
SEED = 20261201
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REVISION = re.compile(r'id="layer-revision" name="revision" value="(\d+)"')
TOKEN = re.compile(r"hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'")


# --- The cluster ------------------------------------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster on a Unix socket in a temporary directory, with
    durability at its defaults (fsync, synchronous_commit, full_page_writes on)."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        self.bin = Path(os.environ.get("PG_BIN") or (found[-1] if found else "/nonexistent"))
        require((self.bin / "initdb").exists(), "PostgreSQL server binaries not found (set PG_BIN)")
        self.dir = Path(tempfile.mkdtemp(prefix="annotate-bench-load-"))
        self.data = self.dir / "data"
        # initdb refuses to run as root: the cluster runs as the postgres account then.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.run_as:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgres://annotate@/annotate?host={self.dir}"

    def start(self) -> None:
        quiet = {"stdout": subprocess.DEVNULL, "check": True}
        subprocess.run(
            [*self.run_as, self.bin / "initdb", "-D", self.data, "-U", "annotate", "--auth=trust", "-E", "UTF8"]
            + ["--locale=C.UTF-8"],
            **quiet,
        )
        options = f"-k {self.dir} -c listen_addresses=''"
        subprocess.run(
            [*self.run_as, self.bin / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-o", options]
            + ["start"],
            **quiet,
        )
        subprocess.run([self.bin / "createdb", "-h", self.dir, "-U", "annotate", "annotate"], check=True)

    def settings(self) -> str:
        query = (
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN "
            "('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'server_version')"
        )
        command = [self.bin / "psql", "-h", self.dir, "-U", "annotate", "-At", "-c", query]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


# --- CPU of a process tree ------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime: the process's CPU and its reaped children's."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(value) for value in fields[11:15])


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, idle and iowait not counted)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of `root` and its children, those that exited included (a reaped
    child's time is in its parent's cutime and cstime)."""
    return (cpu_ticks(root) + sum(cpu_ticks(child) for child in children(root))) / CLOCK_TICKS


# --- The data ---------------------------------------------------------------------------


def word_ranges(text: str, sentences: list[tuple[int, int]], rng: random.Random) -> list[tuple[int, int]]:
    """Every range of whole words inside one sentence, shuffled: all distinct, and
    whole words, so snapping keeps them as they are."""
    ranges = []
    for start, end in sentences:
        words = [match.span() for match in WORD.finditer(text, start, end)]
        for first in range(len(words)):
            for last in range(first, len(words)):
                ranges.append((words[first][0], words[last][1]))
    rng.shuffle(ranges)
    return ranges


# The layouts of what the annotators select (`--layout`): "nested", every range of
# whole words inside one sentence of a 30-sentence article, shuffled, so that by the
# end of a run each paragraph holds 60 to 80 units nested up to ten deep (the worst case
# for the lines an answer redraws); "op-ed", the two halves of each sentence of a
# 400-sentence article (about 36,000 characters), in text order, as a person annotates
# a long op-ed, a paragraph ending with 6 to 12 units side by side; a client that has
# used every range (800, about a minute at 16 clients) starts again with the next label.
LAYOUTS = {
    "nested": (SENTENCES, word_ranges),
    "op-ed": (400, lambda text, sentences, rng: clause_ranges(text, sentences)),
}


@dataclass
class Seat:
    """One annotator: who they are, their layer's URLs, the ranges they will select."""

    username: str
    layer: int
    page: str
    create: str
    ranges: list[tuple[int, int]]


def build(clients: int, profiled: int, layout: str = "nested") -> tuple[list[Seat], list[int], list]:
    """The project, `clients` annotators with an article and layer each, and
    `profiled` more sharing one article (for the in-process profile), selecting as
    `layout` says (`LAYOUTS`)."""
    count, ranges_of = LAYOUTS[layout]
    from django.contrib.auth.models import User
    from django.db import connection
    from django.urls import reverse

    from annotate import projects
    from annotate.formats.records import ArticleRecord
    from annotate.models import Label, Layer, Role

    manager = User.objects.create_user("bench_manager", password=PASSWORD)
    project = projects.create_project(name="Bench load", slug="bench", manager=manager)
    labels = [label.pk for label in Label.objects.filter(project=project).order_by("order")]

    def seats(names: list[str], number: int) -> list[Seat]:
        rng = random.Random(SEED + number)
        users = [User.objects.create_user(name, password=PASSWORD) for name in names]
        for user in users:
            projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=manager)
        text, sentences = make_text(rng, count)
        record = ArticleRecord(title=f"Cars, streets and the city, part {number + 1}", author="A. Writer", text=text)
        article, created = projects.add_article(project=project, record=record, user=manager)
        require(created, "two articles with the same text")
        projects.assign(article=article, annotators=users, by=manager)
        made = []
        for user in users:
            layer = Layer.objects.get(article=article, annotator=user)
            urls = [
                reverse(name, args=["bench", layer.pk]) for name in ("annotate:layer_detail", "annotate:unit_create")
            ]
            made.append(Seat(user.username, layer.pk, *urls, ranges_of(text, sentences, rng)))
        return made

    load = [seat for number in range(clients) for seat in seats([f"bench_annotator_{number + 1}"], number)]
    extra = seats([f"bench_profiled_{number + 1}" for number in range(profiled)], clients) if profiled else []
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, user_id integer NOT NULL, body text NOT NULL,"
            " created timestamptz NOT NULL DEFAULT now())"
        )
    return load, labels, extra


# --- The clients ------------------------------------------------------------------------


class Browser:
    """What a browser does over HTTP/1.1 here: cookies, a new connection per request
    (gunicorn's sync workers close each one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            connection.request(method, path, body, {**(headers or {}), "Cookie": cookie})
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers, text
        finally:
            connection.close()

    def login(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        )
        status, _, _ = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        require(status == 302 and "sessionid" in self.cookies, f"{username}: login answered {status}")

    def page(self, path: str) -> tuple[str, int]:
        """The layer page's CSRF token (as HTMX sends it) and revision."""
        status, _, text = self.request("GET", path)
        require(status == 200, f"{path} answered {status}")
        return TOKEN.search(text).group(1), int(REVISION.search(text).group(1))


def client(phase: str, port: int, seat: Seat, labels: list[int], seconds: float, first: int, barrier, results) -> None:
    """One annotator's process: log in, open the layer, then one request after another
    for `seconds` after the barrier, numbered from `first` (a save takes the range of
    words of its number, so a later round goes on with ranges not used before); put
    what happened on `results`."""
    browser = Browser(port)
    browser.login(seat.username)
    token, revision = browser.page(seat.page)
    htmx = {
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "HX-Current-URL": f"http://127.0.0.1:{port}{seat.page}",
        "X-CSRFToken": token,
    }
    samples: list[tuple[float, int, float]] = []  # (since the start, status, ms)
    made: list[int] = []
    refused: dict[str, int] = {}
    barrier.wait()
    began_cpu = os.times()
    began = time.monotonic()
    number = first
    while time.monotonic() - began < seconds:
        if phase == "floor":
            path, body = "/bench/floor/", urllib.parse.urlencode({"body": f"{seat.username} {number}"})
        else:
            start, end = seat.ranges[number % len(seat.ranges)]
            path = seat.create
            data = {"label": labels[number % len(labels)], "start": start, "end": end, "revision": revision}
            body = urllib.parse.urlencode(data)
        number += 1
        sent = time.monotonic()
        try:
            status, headers, text = browser.request("POST", path, body, htmx)
        except OSError as error:
            status, headers, text = 0, {}, str(error)
        samples.append((sent - began, status, (time.monotonic() - sent) * 1000))
        if status == 200 and phase == "save":
            revision = int(REVISION.search(text).group(1))
            made.append(json.loads(headers["HX-Trigger"])["layer-changed"]["unit"])
        elif status != 200:
            words = re.sub(r"<[^>]+>|\s+", " ", text).strip()
            key = f"{status}: {words[:120]}"
            refused[key] = refused.get(key, 0) + 1
            if phase == "save":  # as the page's Reload link would: the layer as it is now
                token, revision = browser.page(seat.page)
                htmx["X-CSRFToken"] = token
    ended_cpu = os.times()
    cpu = (ended_cpu.user + ended_cpu.system) - (began_cpu.user + began_cpu.system)
    last = revision if phase == "save" else None
    results.put({"seat": seat.username, "samples": samples, "made": made, "refused": refused, "cpu": cpu, "last": last})


# --- A phase ----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    seconds: float
    clients: list[dict] = field(default_factory=list)
    app_cpu: float = 0.0  # seconds
    db_cpu: float = 0.0
    busy: float = 0.0  # the whole machine's
    wall: float = 0.0
    checks: dict = field(default_factory=dict)

    @property
    def samples(self) -> list[tuple[float, int, float]]:
        return [sample for result in self.clients for sample in result["samples"]]

    @property
    def ok(self) -> list[float]:
        return [ms for _, status, ms in self.samples if status == 200]

    @property
    def errors(self) -> int:
        return sum(1 for _, status, _ in self.samples if status != 200)

    @property
    def client_cpu(self) -> float:
        return sum(result["cpu"] for result in self.clients)

    @property
    def others_cpu(self) -> float:
        """CPU the machine spent on anything but the server, the database and the clients."""
        return max(self.busy - self.app_cpu - self.db_cpu - self.client_cpu, 0.0)


def percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_phase(
    name: str,
    port: int,
    seats: list[Seat],
    labels: list[int],
    seconds: float,
    master: int,
    pg: int,
    first: dict[str, int] | None = None,
):
    """One phase (or one round of it): every seat's client for `seconds`, the first
    request of each numbered `first[username]` (0 by default)."""
    first = first or {}
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(seats) + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=client, args=(name, port, seat, labels, seconds, first.get(seat.username, 0), barrier, results)
        )
        for seat in seats
    ]
    for process in processes:
        process.start()
    phase = Phase(name, seconds)
    barrier.wait(timeout=300)  # every client has logged in and opened its layer
    app, db, busy, began = tree_cpu_seconds(master), tree_cpu_seconds(pg), machine_busy_seconds(), time.monotonic()
    phase.clients = [results.get(timeout=seconds + 300) for _ in processes]
    phase.wall = time.monotonic() - began
    phase.app_cpu, phase.db_cpu = tree_cpu_seconds(master) - app, tree_cpu_seconds(pg) - db
    phase.busy = machine_busy_seconds() - busy
    for process in processes:
        process.join()
        require(process.exitcode == 0, f"a client ended with {process.exitcode}")
    return phase


def joined(rounds: list[Phase]) -> Phase:
    """The rounds of one phase as one: each client's samples (timed from the phase's
    start, the rounds laid end to end), units made and refusals in order, CPU summed."""
    whole = Phase(rounds[0].name, sum(part.seconds for part in rounds))
    by_seat: dict[str, dict] = {}
    offset = 0.0
    for part in rounds:
        for result in part.clients:
            seat = by_seat.setdefault(
                result["seat"], {"seat": result["seat"], "samples": [], "made": [], "refused": {}, "cpu": 0.0}
            )
            seat["samples"] += [(since + offset, status, ms) for since, status, ms in result["samples"]]
            seat["made"] += result["made"]
            for key, value in result["refused"].items():
                seat["refused"][key] = seat["refused"].get(key, 0) + value
            seat["cpu"] += result["cpu"]
            seat["last"] = result["last"]
        offset += part.seconds
        whole.app_cpu += part.app_cpu
        whole.db_cpu += part.db_cpu
        whole.busy += part.busy
        whole.wall += part.wall
    whole.clients = list(by_seat.values())
    return whole


def check_floor(phase: Phase) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT (user_id, body)) FROM bench_floor")
        rows, distinct = cursor.fetchone()
    answered = len(phase.ok)
    phase.checks = {"lost": max(answered - rows, 0), "extra": max(rows - answered, 0), "duplicated": rows - distinct}


def check_save(phase: Phase, seats: list[Seat]) -> None:
    """The database against the answers: every unit a 200 named, and no other; no two
    units of a layer with the same label on the same text (what the server refuses as a
    duplicate; the op-ed layout gives a range a second label once a client has used
    every range); the revision counts every change record."""
    from annotate.models import ArgumentUnit, Change, Layer, Span

    lost = extra = duplicated = revisions = 0
    by_seat = {seat.username: seat for seat in seats}
    for result in phase.clients:
        seat = by_seat[result["seat"]]
        stored = set(ArgumentUnit.objects.filter(layer_id=seat.layer).values_list("pk", flat=True))
        answered = set(result["made"])
        require(len(answered) == len(result["made"]), "one unit id answered twice")
        lost += len(answered - stored)
        extra += len(stored - answered)
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for unit, label, start, end in Span.objects.filter(unit__layer_id=seat.layer).values_list(
            "unit", "unit__label", "start", "end"
        ):
            spans.setdefault((unit, label), []).append((start, end))
        covered = [(label, tuple(sorted(value))) for (_, label), value in spans.items()]
        duplicated += len(covered) - len(set(covered))
        layer = Layer.objects.get(pk=seat.layer)
        changes = Change.objects.filter(layer_id=seat.layer).count()
        if not (layer.revision == changes == (result["last"] or 0)):
            revisions += 1
    phase.checks = {"lost": lost, "extra": extra, "duplicated": duplicated, "revision mismatches": revisions}


# --- The in-process profile -------------------------------------------------------------

GROUPS = [
    # (what, file suffix, function): inclusive time of these functions, per save.
    ("whole request (test client handler)", "django/test/client.py", "__call__"),
    ("  session: load from the database", "sessions/backends/db.py", "load"),
    ("  authentication: the user from the session", "django/contrib/auth/__init__.py", "get_user"),
    ("  CSRF check", "django/middleware/csrf.py", "process_view"),
    ("  view: access check + layer lock (labels: the cache)", "annotate/access.py", "layer_to_change"),
    ("  view: revision form and check", "annotate/views/workspace.py", "checked"),
    ("  view: start the layer", "annotate/lifecycle.py", "start_layer"),
    ("  view: forms validated (revision form, UnitCreateForm)", "annotate/views/workspace.py", "valid"),
    ("  view: the units on the new unit's lines (one statement)", "annotate/layer_content.py", "read_stretch"),
    ("  view: units.create_unit", "annotate/units.py", "create_unit"),
    ("    duplicate check (among the units read)", "annotate/units.py", "refuse_duplicate"),
    ("    unit, spans, change record, revision (one statement)", "annotate/rows.py", "insert_with_parts"),
    ("  view: transaction commit", "django/db/transaction.py", "__exit__"),
    ("  answer: change_answer", "annotate/views/workspace.py", "change_answer"),
    ("    changed_stretch", "annotate/views/workspace.py", "changed_stretch"),
    ("    lines_html (the changed lines redrawn)", "annotate/views/workspace.py", "lines_html"),
    ("      highlight.render", "annotate/views/highlight.py", "render"),
    ("    history.pending (Undo/Redo labels)", "annotate/history.py", "pending"),
    ("    the status line (revision, Undo/Redo, message…)", "annotate/views/status_line.py", "change_answer"),
    ("  answer: response middleware (CSP, security headers)", "csp/middleware.py", "process_response"),
    ("across: SQL execution (cursor.execute, all)", "django/db/backends/utils.py", "_execute_with_wrappers"),
    ("across: ORM SQL building (as_sql, all)", "django/db/models/sql/compiler.py", "as_sql"),
]


def stat_of(stats: dict, suffix: str, function: str) -> tuple[int, float, str]:
    """Calls and inclusive time of the function (the biggest of that name in that file)."""
    found = [
        (value[1], value[3], f"{key[0].split('site-packages/')[-1].replace(str(ROOT) + '/', '')}:{key[1]}")
        for key, value in stats.items()
        if key[0].endswith(suffix) and key[2] == function
    ]
    return max(found, key=lambda item: item[1]) if found else (0, 0.0, "-")


def profile(count: int, seats: list[Seat], labels: list[int]) -> None:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # WhiteNoise warns that STATIC_ROOT was never collected; static files are not timed.
    warnings.filterwarnings("ignore", message="No directory at")

    def creator(seat: Seat):
        client = Client(enforce_csrf_checks=True)
        client.force_login(User.objects.get(username=seat.username))
        text = client.get(seat.page).content.decode()
        token, revision = TOKEN.search(text).group(1), int(REVISION.search(text).group(1))
        state = {"number": 0, "revision": revision}

        def create() -> None:
            number = state["number"]
            start, end = seat.ranges[number % len(seat.ranges)]
            data = {"label": labels[number % len(labels)], "start": start, "end": end, "revision": state["revision"]}
            response = client.post(
                seat.create,
                urllib.parse.urlencode(data),
                content_type="application/x-www-form-urlencoded",
                HTTP_HX_REQUEST="true",
                HTTP_X_CSRFTOKEN=token,
            )
            require(response.status_code == 200, f"status {response.status_code}: {response.content[:300]!r}")
            state["revision"] = int(REVISION.search(response.content.decode()).group(1))
            state["number"] += 1

        return create

    def floor_poster(seat: Seat):
        client = Client(enforce_csrf_checks=True)
        client.force_login(User.objects.get(username=seat.username))
        token = TOKEN.search(client.get(seat.page).content.decode()).group(1)
        numbers = iter(range(10**9))

        def post() -> None:
            body = urllib.parse.urlencode({"body": f"{seat.username} in-process {next(numbers)}"})
            response = client.post(
                "/bench/floor/", body, content_type="application/x-www-form-urlencoded", HTTP_X_CSRFTOKEN=token
            )
            require(response.status_code == 200, f"floor: status {response.status_code}")

        return post

    # The floor's view is served in-process too (bench_floor's URLconf holds the project's
    # URLs and the floor's); saves and floor requests alternate in rounds, so both meet
    # whatever else the machine does, and the ratio of each round is kept.
    settings.ROOT_URLCONF = "bench_floor"
    clear_url_caches()
    plain, cpu_profiled, wall_profiled = (creator(seat) for seat in seats[:3])
    floor = floor_poster(seats[0])
    rounds = 10
    per_round = max(count // rounds, 1)
    save_cpu, floor_cpu, save_wall = [], [], []
    for _ in range(rounds):
        began, began_cpu = time.perf_counter(), time.process_time()
        for _ in range(per_round):
            plain()
        save_wall.append((time.perf_counter() - began) * 1000 / per_round)
        save_cpu.append((time.process_time() - began_cpu) * 1000 / per_round)
        began_cpu = time.process_time()
        for _ in range(per_round):
            floor()
        floor_cpu.append((time.process_time() - began_cpu) * 1000 / per_round)
    wall_ms, cpu_ms = statistics.median(save_wall), statistics.median(save_cpu)
    ratios = sorted(save / floor for save, floor in zip(save_cpu, floor_cpu, strict=True))
    with CaptureQueriesContext(connection) as captured:
        plain()
    queries = [query["sql"].split()[0] for query in captured.captured_queries]

    tables = {}
    for name, create, timer in (("cpu", cpu_profiled, time.process_time), ("wall", wall_profiled, time.perf_counter)):
        profiler = cProfile.Profile(timer)
        profiler.enable()
        for _ in range(count):
            create()
        profiler.disable()
        tables[name] = pstats.Stats(profiler).stats

    print(f"\nWhere a save's time goes, code {code_version()}: {count} unit creations in-process")
    print(f"(Django test client, CSRF enforced, session in the database), each on a fresh layer of 0 to {count} units.")
    print(f"Without a profiler: {wall_ms:.2f} ms wall, {cpu_ms:.2f} ms CPU of this process per save (median of")
    print(
        f"{rounds} rounds of {per_round}); the floor in-process, alternating with them: "
        f"{statistics.median(floor_cpu):.2f} ms CPU per request; save / floor, CPU, by round: median "
        f"{statistics.median(ratios):.2f}x, from {ratios[0]:.2f}x to {ratios[-1]:.2f}x (in-process: without gunicorn's"
    )
    print("own cost per request, which both pay alike, so above the ratio under gunicorn).")
    print(f"SQL statements per save: {len(queries)} ({', '.join(queries)})")
    whole = {name: stat_of(tables[name], *GROUPS[0][1:])[1] for name in tables}
    print(f"\n{'part (inclusive)':<58} {'calls':>6} {'CPU ms':>7} {'CPU %':>6} {'wall ms':>8} {'wall %':>6}  where")
    for what, suffix, function in GROUPS:
        calls, cpu, where = stat_of(tables["cpu"], suffix, function)
        _, wall, _ = stat_of(tables["wall"], suffix, function)
        print(
            f"{what:<58} {calls / count:>6.1f} {cpu * 1000 / count:>7.2f} {cpu * 100 / whole['cpu']:>6.1f} "
            f"{wall * 1000 / count:>8.2f} {wall * 100 / whole['wall']:>6.1f}  {where}"
        )
    print(
        "(under cProfile, which inflates what it measures, calls most; CPU: this process's CPU time,"
        " wall: including the waits for PostgreSQL; %: of the whole request)"
    )
    print("\nTop functions by inclusive CPU time per save (cProfile, CPU timer):")
    ranked = sorted(tables["cpu"].items(), key=lambda item: item[1][3], reverse=True)
    for key, value in ranked[:45]:
        where = f"{key[0].split('site-packages/')[-1].replace(str(ROOT) + '/', '')}:{key[1]}"
        print(f"  {value[3] * 1000 / count:7.2f} ms  {value[1] / count:6.1f} calls  {key[2]}  {where}")


# --- The run -----------------------------------------------------------------------------


DEPLOY = ROOT / "deploy"


def deploy_gunicorn_options() -> list[str]:
    """The options deploy/systemd/annotate-web.service gives gunicorn, but its --bind."""
    line = next(
        line.removeprefix("ExecStart=")
        for line in (DEPLOY / "systemd/annotate-web.service").read_text().splitlines()
        if line.startswith("ExecStart=")
    )
    words = shlex.split(line)[2:]  # past the program and the WSGI application
    options = []
    while words:
        word = words.pop(0)
        if word == "--bind":
            words.pop(0)
        else:
            options.append(word)
    return options


def deploy_environment() -> dict[str, str]:
    """The settings of deploy/annotate.env.example that do not name a host, a database or
    a secret (those are the benchmark's own): the JSON logs and the proxy's headers."""
    kept = {}
    for line in (DEPLOY / "annotate.env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if value and not line.startswith("#") and name.startswith(("ANNOTATE_", "BEHIND_")):
            kept[name] = value
    return kept


def server_environment(cluster: Cluster, deploy: bool = False) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DJANGO_SETTINGS_MODULE": "bench_floor",
        **(deploy_environment() if deploy else {}),
        **PLAIN_HTTP_PRODUCTION,
    }


def serve(cluster: Cluster, args) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "annotate.wsgi", "--bind", f"127.0.0.1:{args.port}"]
    command += ["--pythonpath", str(SCRIPTS)]
    if args.deploy:
        command += deploy_gunicorn_options()
    else:
        command += ["--workers", str(args.workers), "--worker-class", args.worker_class]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.threads)]
    log = open(cluster.dir / "gunicorn.log", "w")  # the server writes it (and, with --deploy, the JSON log)
    server = subprocess.Popen(command, cwd=ROOT, env=server_environment(cluster, args.deploy), stdout=log, stderr=log)
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
            connection.request("GET", "/accounts/login/")
            require(connection.getresponse().status == 200, "the login page does not answer 200")
            connection.close()
            break
        except OSError:
            require(server.poll() is None, f"gunicorn ended: {(cluster.dir / 'gunicorn.log').read_text()[-2000:]}")
            time.sleep(0.1)
    workers = int(command[command.index("--workers") + 1])
    require(len(children(server.pid)) == workers, f"expected {workers} workers")
    return server


def start_worker(cluster: Cluster) -> subprocess.Popen:
    """The queue's worker as deploy/systemd/annotate-worker@.service runs it, idle: it
    looks at the queue every half second, as in production."""
    line = next(
        line.removeprefix("ExecStart=")
        for line in (DEPLOY / "systemd/annotate-worker@.service").read_text().splitlines()
        if line.startswith("ExecStart=")
    )
    command = [sys.executable, *[word.replace("%H-%i", "bench-1") for word in shlex.split(line)[1:]]]
    log = open(cluster.dir / "worker.log", "w")
    environment = {**server_environment(cluster, True), "DJANGO_SETTINGS_MODULE": "annotate.settings"}
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)


def report(phases: dict[str, Phase], args, cluster_settings: str) -> None:
    import django

    print(f"\nLoad, {date.today().isoformat()}, code {code_version()}")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, {os.cpu_count()} CPUs; "
        f"PostgreSQL: {cluster_settings}"
    )
    if args.deploy:
        print(f"gunicorn as deployed: {' '.join(deploy_gunicorn_options())}; {args.clients} client processes")
        print(f"settings as deployed: {deploy_environment()}; a queue worker running idle")
    else:
        threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
        print(f"gunicorn: {args.workers} {args.worker_class} workers{threads}; {args.clients} client processes")
    header = (
        f"{'phase':<6} {'ok':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6} "
        f"{'app ms':>7} {'db ms':>7} {'client':>7}  checks"
    )
    print(header)
    print("-" * len(header))
    for phase in phases.values():
        ok = sorted(phase.ok)
        count = len(phase.samples)
        figures = [percentile(ok, f) for f in (0.5, 0.95, 0.99)] + [ok[-1]] if ok else [0.0] * 4
        checks = ", ".join(f"{name} {value}" for name, value in phase.checks.items())
        print(
            f"{phase.name:<6} {len(ok):>6} {len(ok) / phase.seconds:>7.1f} "
            + " ".join(f"{value:>7.1f}" for value in figures)
            + f" {phase.errors:>6} {phase.app_cpu * 1000 / count:>7.2f} {phase.db_cpu * 1000 / count:>7.2f} "
            f"{phase.client_cpu * 1000 / count:>7.2f}  {checks}"
        )
    print("(latency in ms, wall, at the client; app/db/client: CPU ms per request of gunicorn, PostgreSQL, clients)")
    for phase in phases.values():
        cores = os.cpu_count() * phase.wall
        print(
            f"{phase.name}: {phase.wall:.1f} s; CPU used: app {phase.app_cpu:.1f} s, PostgreSQL {phase.db_cpu:.1f} s, "
            f"clients {phase.client_cpu:.1f} s, other processes {phase.others_cpu:.1f} s, of {cores:.0f} core-seconds"
        )
        thirds = [
            [
                ms
                for since, status, ms in phase.samples
                if status == 200 and part <= since * 3 / phase.seconds < part + 1
            ]
            for part in range(3)
        ]
        print(
            "  p95 by third of the phase: "
            + ", ".join(f"{percentile(sorted(t), 0.95):.1f}" if t else "-" for t in thirds)
            + " ms"
        )
        refused = {}
        for result in phase.clients:
            for key, value in result["refused"].items():
                refused[key] = refused.get(key, 0) + value
        for key, value in sorted(refused.items(), key=lambda item: -item[1]):
            print(f"  refused {value}x: {key}")
    if "floor" in phases and "save" in phases:
        floor, save = phases["floor"], phases["save"]
        ratio = (save.app_cpu / len(save.samples)) / (floor.app_cpu / len(floor.samples))
        both = ((save.app_cpu + save.db_cpu) / len(save.samples)) / (
            (floor.app_cpu + floor.db_cpu) / len(floor.samples)
        )
        print(f"save / floor CPU per request: app {ratio:.2f}x, app + PostgreSQL {both:.2f}x")


def report_rounds(floors: list[Phase], saves: list[Phase]) -> None:
    """The ratio of each round on its own (a save phase against the floor phase just
    before it, on the machine as it was then), and their median."""

    def per_request(phase: Phase, cpu: float) -> float:
        return cpu / len(phase.samples)

    for what, cpu_of in (
        ("app", lambda phase: phase.app_cpu),
        ("app + PostgreSQL", lambda phase: phase.app_cpu + phase.db_cpu),
    ):
        ratios = [
            per_request(save, cpu_of(save)) / per_request(floor, cpu_of(floor))
            for floor, save in zip(floors, saves, strict=True)
        ]
        shown = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"save / floor CPU per request, round by round, {what}: {shown}; median {statistics.median(ratios):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="annotators saving at once (default 16)")
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase (default 60)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"], help="default sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--phase", default="both", choices=["both", "floor", "save", "none"], help="default both")
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternate floor and save this many times, seconds/rounds each"
    )
    parser.add_argument(
        "--layout", default="nested", choices=sorted(LAYOUTS), help="what the annotators select (default nested)"
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N creations in-process")
    parser.add_argument("--port", type=int, default=8766, help="the loopback port to serve on (default 8766)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running at the end")
    parser.add_argument(
        "--deploy",
        action="store_true",
        help="serve as deploy/ does: annotate-web.service's gunicorn options, annotate.env.example's "
        "ANNOTATE_ and BEHIND_ settings (JSON logs on), and an idle queue worker",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    print(f"Load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    cluster = Cluster()
    try:
        cluster.start()
        os.environ.update(DATABASE_URL=cluster.url, DJANGO_SETTINGS_MODULE="annotate.settings", DEBUG="0")
        os.environ.update(SECURE_SSL_REDIRECT="0", STATIC_MANIFEST="0")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        seats, labels, profiled = build(args.clients, 3 if args.profile else 0, args.layout)
        print(f"Layout: {args.layout}")
        connection.close()  # its backend's CPU would count in the first phase
        phases: dict[str, Phase] = {}
        if args.phase != "none":
            server = serve(cluster, args)
            worker = start_worker(cluster) if args.deploy else None
            try:
                rounds: dict[str, list[Phase]] = {}
                sent: dict[str, dict[str, int]] = {}  # requests each seat sent so far, by phase
                for _ in range(args.rounds):
                    for name in ("floor", "save"):
                        if args.phase not in (name, "both"):
                            continue
                        numbers = sent.setdefault(name, {})
                        part = run_phase(
                            name,
                            args.port,
                            seats,
                            labels,
                            args.seconds / args.rounds,
                            server.pid,
                            cluster.postmaster(),
                            first=dict(numbers),
                        )
                        rounds.setdefault(name, []).append(part)
                        for result in part.clients:
                            numbers[result["seat"]] = numbers.get(result["seat"], 0) + len(result["samples"])
                phases = {name: joined(parts) for name, parts in rounds.items()}
                for name, phase in phases.items():
                    print(f"{name}: {len(phase.ok)} answers 200 of {len(phase.samples)}")
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
                if worker is not None:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait(timeout=60)
                    require(worker.returncode == 0, f"the worker ended {worker.returncode}")
            if "floor" in phases:
                check_floor(phases["floor"])
            if "save" in phases:
                check_save(phases["save"], seats)
            report(phases, args, cluster.settings())
            if len(rounds.get("floor", [])) > 1 and len(rounds.get("save", [])) > 1:
                report_rounds(rounds["floor"], rounds["save"])
        print(f"Load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
        if args.profile:
            profile(args.profile, profiled, labels)
        connection.close()
    finally:
        if args.keep:
            print(f"Cluster kept: DATABASE_URL={cluster.url} (stop: pg_ctl -D {cluster.data} stop)")
        else:
            cluster.stop()


if __name__ == "__main__":
    main()
