"""Benchmark of the task queue: imports run by `manage.py run_worker` processes, measured
through the web as a browser follows them.

Starts a throwaway PostgreSQL cluster of its own (scripts/bench_load.py's: initdb into
a temporary directory, Unix socket only, fsync, synchronous_commit and
full_page_writes on), migrates a database there, makes a manager and three annotators
and the projects (default scheme, the annotators members), and serves it with gunicorn
(`--gunicorn-workers` sync workers, DEBUG off) on a loopback port, with
ANNOTATE_IMPORT_INLINE_BYTES=0 (so every import goes to a worker),
ANNOTATE_MAX_UPLOAD_BYTES raised to fit the large file and
ANNOTATE_MAX_USER_JOBS_PER_MINUTE raised (its one manager queues what a lab's many
people would). Workers run as production runs
them: `manage.py run_worker --interval SECONDS --no-reload`, each a process of its own
(with `--no-startup-delay`: a worker is timed from when it says it has started, not
from a random pause of up to a second that only spreads the first polls of many
workers started at once).

The client logs in through the login form, then for each import opens the import page,
posts the file with the page's CSRF token as htmx does (`HX-Request`), takes the job
page the answer names (`HX-Redirect`) and polls that page (its `job-progress` partial)
until it shows the outcome. Three phases:

- latency: `--small` imports of `--small-articles` articles (with three layers of 40
  units and 20 relations each), one after another with a random pause of 0 to 1 s
  between them (so an upload lands anywhere in the worker's polling interval), one
  worker, for each `--interval` in turn. Per import: from the upload's answer to the
  first poll of the job page that no longer says "Waiting for a worker" (the job is
  running, or already done), to the first that shows progress (a phase with counts,
  or the outcome), and to "Imported"; polled every `--poll` seconds (50 ms: the
  figures are that coarse). Also the wait as the database saw it: the job's
  started_at - created_at (no polling in it).
- large: one native JSON Lines file of `--large-articles` articles as
  scripts/bench_datasets.py builds its corpus (~2,000 characters each, three layers
  of 40 units and 20 relations: 10,000 articles are 1.2 M units and 600,000
  relations), uploaded once, followed every second as the page does until it ends;
  the upload's time, each phase's time as the page showed it, the time to "Imported",
  the worker's peak RSS (VmHWM of a fresh worker process) and the gunicorn workers'.
  The database is then checked: every unit and relation of the file is there.
- throughput: for each count in `--workers` (1, 2, 4), that many workers are started
  (and each has said so in its log), then `--medium` imports of `--medium-articles`
  articles each are uploaded one after another, each into a project of its own, and
  their pages polled, oldest first, until every one is done: the time from the first
  upload to the last "Imported", imports per minute, and the ratio to one worker.
  `--rounds N` runs the counts forward and back in turn (1, 2, 4, 4, 2, 1, 1, 2, 4 …)
  so that every count meets the same drift of the machine's other load, and reports
  the median of each count.

The load average is printed before and after; the machine's other work counts in
every figure. The CPU time (utime + stime from /proc, exited children included) of the
workers, of PostgreSQL (the postmaster and its processes) and of gunicorn is reported
for the large import and the throughput runs, with how busy the whole machine was
(/proc/stat; its other load included).

Usage, from the repository root (as root the cluster runs as the postgres account):

    .venv/bin/python scripts/bench_tasks.py [--small 50] [--interval 1 0.1]
        [--large-articles 10000] [--medium 40] [--medium-articles 20] [--workers 1 2 4]
        [--rounds 1] [--phase latency large throughput] [--port 8767] [--keep]

No DATABASE_URL is needed or read: the cluster is the script's own and is stopped and
removed however the script ends (`--keep` leaves it running and says where).
"""

import argparse
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SCRIPTS))

from _bench import CLAUSES, PLAIN_HTTP_PRODUCTION, SUBJECTS, VERBS, code_version, require  # noqa: E402
from bench_load import (  # noqa: E402
    PASSWORD,
    Browser,
    Cluster,
    children,
    machine_busy_seconds,
    percentile,
    tree_cpu_seconds,
)

MANAGER = "bench_manager"
ANNOTATORS = ["bench_ann_a", "bench_ann_b", "bench_ann_c"]
TEXT_LENGTH = 2_000
UNITS_PER_LAYER = 40
RELATIONS_PER_LAYER = 20
LABELS = ["MajorClaim", "Claim", "Premise"]
SEED = 20261201
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROGRESS = re.compile(r'<section id="job-progress" class="card job (\w+)".*?<h2>(.*?)</h2>(.*?)</section>', re.S)
COUNTS = re.compile(r'<p class="job-counts"><span>([^<]+)</span>')
FINISHED = {"done", "failed", "cancelled"}


# --- The files --------------------------------------------------------------------------


def make_text(number: int, rng: random.Random) -> str:
    """About TEXT_LENGTH characters of op-ed prose in paragraphs; the first sentence
    names the article, so every text is unique."""
    paragraphs, current = [], [f"This is op-ed {number} on the future of the city centre."]
    size = len(current[0])
    while size < TEXT_LENGTH:
        if len(current) >= rng.randint(3, 6):
            paragraphs.append(" ".join(current))
            current, size = [], size + 2
        body = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAUSES)}"
        current.append(body[0].upper() + body[1:] + ".")
        size += len(current[-1]) + 1
    paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def layer_json(text: str, owner: str, index: int) -> dict:
    """A finished layer of UNITS_PER_LAYER units spread over the text (shifted a little
    per annotator) and RELATIONS_PER_LAYER relations, unit 2k+1 → unit 2k."""
    slot = len(text) // UNITS_PER_LAYER
    units = []
    for number in range(UNITS_PER_LAYER):
        start = number * slot + 3 * index
        end = start + 24 + 6 * index
        while text[start].isspace():
            start += 1
        while text[end - 1].isspace():
            end -= 1
        label = LABELS[number % len(LABELS)]
        units.append(
            {
                "id": f"T{number + 1}",
                "label": label,
                "spans": [[start, end]],
                "text": [text[start:end]],
                "attributes": {"stance": "For"} if label == "Claim" else {},
                "note": "",
            }
        )
    relations = [
        {"id": f"R{k + 1}", "type": "attacks" if k % 4 == 3 else "supports", "source": f"T{2 * k + 2}"}
        | {"target": f"T{2 * k + 1}"}
        for k in range(RELATIONS_PER_LAYER)
    ]
    return {"owner": owner, "status": "finished", "document_stance": "", "units": units, "relations": relations}


def native_jsonl(articles: int, first: int = 1, seed: int = SEED) -> bytes:
    """`articles` articles in the native JSON Lines format, each with three layers."""
    rng = random.Random(seed)
    lines = []
    for number in range(first, first + articles):
        text = make_text(number, rng)
        layers = [layer_json(text, owner, index) for index, owner in enumerate(ANNOTATORS)]
        line = {"id": str(number), "title": f"Op-ed {number}", "text": text, "layers": layers}
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    return "".join(lines).encode()


# --- The server, the workers, the browser ------------------------------------------------


class Site:
    """gunicorn and the worker processes over the cluster's database."""

    def __init__(self, cluster: Cluster, args, upload_limit: int) -> None:
        self.cluster = cluster
        self.args = args
        self.env = {
            **os.environ,
            "DATABASE_URL": cluster.url,
            "DJANGO_SETTINGS_MODULE": "annotate.settings",
            **PLAIN_HTTP_PRODUCTION,
            "MEDIA_ROOT": str(cluster.dir / "media"),
            "ANNOTATE_IMPORT_INLINE_BYTES": "0",
            "ANNOTATE_MAX_UPLOAD_BYTES": str(upload_limit),
            "ANNOTATE_MAX_USER_JOBS_PER_MINUTE": "1000000",
        }
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        self.log = open(cluster.dir / "processes.log", "ab")  # written until the processes stop

    def serve(self) -> None:
        command = [str(ROOT / ".venv/bin/gunicorn"), "annotate.wsgi", "--bind", f"127.0.0.1:{self.args.port}"]
        command += ["--workers", str(self.args.gunicorn_workers), "--timeout", str(self.args.gunicorn_timeout)]
        self.server = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        browser = Browser(self.args.port)
        for _ in range(300):
            try:
                status, _, _ = browser.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            require(self.server.poll() is None, "gunicorn ended; see processes.log")
            time.sleep(0.1)
        raise AssertionError("gunicorn did not answer /healthz")

    def start_workers(self, count: int, interval: float) -> list[subprocess.Popen]:
        """Start `count` workers; once each has said it started (its log's first line)."""
        command = [sys.executable, "manage.py", "run_worker", "--interval", str(interval), "--no-reload"]
        command += ["--no-startup-delay", "-v", "1"]
        started, logs = [], []
        for _ in range(count):
            log = self.cluster.dir / f"worker-{len(self.logs)}.log"
            with log.open("wb") as output:
                started.append(subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=output, stderr=output))
            self.logs.append(log)
            logs.append(log)
        for _ in range(1200):
            if all("Starting worker" in log.read_text() for log in logs):
                break
            require(all(worker.poll() is None for worker in started), "a worker ended; see its log")
            time.sleep(0.05)
        else:
            raise AssertionError("the workers did not start within a minute")
        self.workers += started
        return started

    def stop_workers(self) -> None:
        """SIGTERM, as systemd stops a worker: it finishes its task, then exits."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            worker.wait(timeout=120)
        self.workers = []

    def stop(self) -> None:
        self.stop_workers()
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=60)
        self.log.close()


class Manager(Browser):
    """The manager's browser: imports from the import page, follows the job page."""

    def upload(self, slug: str, name: str, content: bytes) -> str:
        """Post the file from the import page as htmx does; the job page's path."""
        status, _, page = self.request("GET", f"/p/{slug}/import/")
        require(status == 200, f"the import page answered {status}")
        fields = {"csrfmiddlewaretoken": CSRF.search(page).group(1), "action": "import", "unknown": "fail"}
        boundary = uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        parts += [(head + "Content-Type: application/octet-stream\r\n\r\n").encode(), content, b"\r\n"]
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "HX-Request": "true",
            "Referer": f"http://127.0.0.1:{self.port}/p/{slug}/import/",
        }
        status, answer, text = self.request("POST", f"/p/{slug}/import/", b"".join(parts), headers)
        require(status == 200 and answer.get("HX-Redirect"), f"the upload answered {status}: {text[:300]}")
        return answer["HX-Redirect"]

    def look(self, job_path: str) -> tuple[str, str, str]:
        """What the job page shows now: the job's status, the heading and the counts."""
        status, _, text = self.request("GET", job_path, headers={"HX-Request": "true"})
        require(status == 200, f"{job_path} answered {status}")
        found = PROGRESS.search(text)
        require(found is not None, f"{job_path}: no job-progress section")
        counts = COUNTS.search(found.group(3))
        return found.group(1), found.group(2), counts.group(1) if counts else ""


def rss_mb(pid: int, key: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of a process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def loadavg() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


# --- The data in the database ------------------------------------------------------------


def make_projects(slugs: list[str]) -> None:
    from django.contrib.auth.models import User

    from annotate import projects
    from annotate.models import Role

    manager = User.objects.get(username=MANAGER)
    annotators = list(User.objects.filter(username__in=ANNOTATORS))
    for slug in slugs:
        project = projects.create_project(name=f"Bench {slug}", slug=slug, manager=manager)
        for user in annotators:
            projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=manager)


def job_of(job_path: str):
    from annotate.models import Job

    return Job.objects.get(pk=int(job_path.rstrip("/").rsplit("/", 1)[1]))


# --- The phases --------------------------------------------------------------------------


def latency(site: Site, manager: Manager, args, interval: float) -> dict:
    slug = f"latency-{str(interval).replace('.', '-')}"
    make_projects([slug])
    (worker,) = site.start_workers(1, interval)
    rng = random.Random(SEED)
    # A first import, not counted, so the worker has started and set itself up.
    warm = manager.upload(slug, "warm.jsonl", native_jsonl(1, first=10**6))
    while manager.look(warm)[0] not in FINISHED:
        time.sleep(0.2)
    rows = []
    cpu_before = tree_cpu_seconds(worker.pid)
    for number in range(args.small):
        time.sleep(rng.random())
        content = native_jsonl(args.small_articles, first=1 + number * args.small_articles, seed=SEED + number)
        job_path = manager.upload(slug, f"small-{number}.jsonl", content)
        answered = time.monotonic()
        running = progress = None
        while True:
            status, heading, counts = manager.look(job_path)
            now = time.monotonic() - answered
            if running is None and status != "queued":
                running = now
            if progress is None and (counts or status in FINISHED):
                progress = now
            if status in FINISHED:
                require(status == "done", f"{job_path}: {status} ({heading})")
                break
            time.sleep(args.poll)
        job = job_of(job_path)
        waited = (job.started_at - job.created_at).total_seconds()
        rows.append({"running": running, "progress": progress, "done": now, "database": waited})
    cpu = tree_cpu_seconds(worker.pid) - cpu_before
    # What an idle worker costs at this interval: its CPU over 10 s of an empty queue.
    idle_before = tree_cpu_seconds(worker.pid)
    time.sleep(10)
    idle = (tree_cpu_seconds(worker.pid) - idle_before) / 10
    site.stop_workers()
    return {"interval": interval, "rows": rows, "worker_cpu": cpu, "idle_cpu": idle}


def large(site: Site, manager: Manager, args, content: bytes) -> dict:
    from annotate.models import ArgumentUnit, Relation

    slug = "large"
    make_projects([slug])
    (worker,) = site.start_workers(1, args.interval[-1])
    gunicorn = [site.server.pid, *children(site.server.pid)]
    db_before, busy_before = tree_cpu_seconds(site.cluster.postmaster()), machine_busy_seconds()
    began = time.monotonic()
    job_path = manager.upload(slug, "large.jsonl", content)
    answered = time.monotonic()
    phases: list[list] = []  # [heading, first seen (s after the answer), last counts, counts seen]
    peak_seen = 0.0
    while True:
        status, heading, counts = manager.look(job_path)
        now = time.monotonic() - answered
        peak_seen = max(peak_seen, rss_mb(worker.pid, "VmRSS"))
        if not phases or phases[-1][0] != heading:
            phases.append([heading, now, counts, 0])
        if phases[-1][3] == 0 or phases[-1][2] != counts:
            phases[-1][2:] = [counts, phases[-1][3] + 1]
            print(f"  {now:7.1f} s  {heading}  {counts}", file=sys.stderr, flush=True)
        if status in FINISHED:
            break
        require(now < args.large_timeout, f"the large import still runs after {args.large_timeout} s")
        time.sleep(1)
    job = job_of(job_path)
    result = {
        "status": status,
        "heading": heading,
        "message": job.message,
        "problems": job.problems[:3],
        "bytes": len(content),
        "upload": answered - began,
        "done": now,
        "phases": phases,
        "worker_peak": rss_mb(worker.pid),
        "worker_rss_sampled": peak_seen,
        "gunicorn_peak": max(rss_mb(pid) for pid in gunicorn),
        "worker_cpu": tree_cpu_seconds(worker.pid),
        "db_cpu": tree_cpu_seconds(site.cluster.postmaster()) - db_before,
        "busy": machine_busy_seconds() - busy_before,
        "database": (job.finished_at - job.created_at).total_seconds() if job.finished_at else None,
    }
    if status == "done":
        result["units"] = ArgumentUnit.objects.filter(layer__article__project__slug=slug).count()
        result["relations"] = Relation.objects.filter(layer__article__project__slug=slug).count()
    site.stop_workers()
    return result


def throughput(site: Site, manager: Manager, args, count: int, round_number: int, content: bytes) -> dict:
    from annotate.models import Job

    slugs = [f"medium-{round_number}-{count}-{number}" for number in range(args.medium)]
    make_projects(slugs)
    workers = site.start_workers(count, args.interval[-1])
    cpu_before = sum(tree_cpu_seconds(worker.pid) for worker in workers)
    app_before = tree_cpu_seconds(site.server.pid)
    db_before, busy_before = tree_cpu_seconds(site.cluster.postmaster()), machine_busy_seconds()
    began = time.monotonic()
    pending = [manager.upload(slug, "medium.jsonl", content) for slug in slugs]
    uploaded = time.monotonic() - began
    # Oldest first, as the queue runs them: a page is polled until it shows the outcome,
    # then the next one at once, so the polls (about 10 a second) take little from
    # the workers and the last outcome is seen within 0.1 s.
    while pending:
        status, heading, _ = manager.look(pending[0])
        if status in FINISHED:
            require(status == "done", f"{pending[0]}: {status} ({heading})")
            pending.pop(0)
        else:
            time.sleep(0.1)
    elapsed = time.monotonic() - began
    cpu = sum(tree_cpu_seconds(worker.pid) for worker in workers) - cpu_before
    app = tree_cpu_seconds(site.server.pid) - app_before
    db, busy = tree_cpu_seconds(site.cluster.postmaster()) - db_before, machine_busy_seconds() - busy_before
    finished = Job.objects.filter(project__slug__in=slugs)
    first = min(job.created_at for job in finished)
    last = max(job.finished_at for job in finished)
    site.stop_workers()
    return {
        "workers": count,
        "seconds": elapsed,
        "uploads": uploaded,
        "database": (last - first).total_seconds(),
        "worker_cpu": cpu,
        "app_cpu": app,
        "db_cpu": db,
        "busy": busy,
    }


# --- The report --------------------------------------------------------------------------


def figures(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{percentile(ordered, 0.5):.3f} / {percentile(ordered, 0.95):.3f} / {ordered[-1]:.3f}" if ordered else "-"


def report(args, latencies: list[dict], big: dict | None, rounds: list[dict], cluster_settings: str, version: str):
    import django

    print(f"\nBackground work, {date.today().isoformat()}, code {version}")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, {os.cpu_count()} CPUs; "
        f"PostgreSQL: {cluster_settings}; gunicorn {args.gunicorn_workers} sync workers"
    )
    if latencies:
        print(
            f"\nQueue latency: {args.small} imports of {args.small_articles} articles "
            f"({args.small_articles * 3 * UNITS_PER_LAYER} units) one after another, 1 worker; "
            f"seconds after the upload's answer, p50 / p95 / max (page polled every {args.poll * 1000:.0f} ms)"
        )
        print("| `--interval` | page: running | page: first progress | page: Imported | database: started - created |")
        print("|---:|---:|---:|---:|---:|")
        for run in latencies:
            rows = run["rows"]
            print(
                f"| {run['interval']} s | {figures([r['running'] for r in rows])} "
                f"| {figures([r['progress'] for r in rows])} | {figures([r['done'] for r in rows])} "
                f"| {figures([r['database'] for r in rows])} |"
            )
        for run in latencies:
            print(
                f"(interval {run['interval']} s: worker CPU {run['worker_cpu']:.1f} s for the {args.small} imports; "
                f"idle, {run['idle_cpu'] * 100:.1f} % of a core)"
            )
    if big:
        print(f"\nLarge import: {args.large_articles:,} articles, {big['bytes'] / 2**20:,.0f} MiB")
        print(
            f"  upload answered after {big['upload']:.1f} s; the page says {big['heading']!r} after {big['done']:.1f} s"
        )
        if big["status"] != "done":
            print(f"  {big['status']}: {big['message']} {big['problems']}")
        starts = [phase[1] for phase in big["phases"]] + [big["done"]]
        for (heading, start, counts, seen), end in zip(big["phases"], starts[1:], strict=False):
            print(f"  {heading}: from {start:.1f} s, {end - start:.1f} s ({counts}; {seen} different counts shown)")
        print(
            f"  worker peak RSS {big['worker_peak']:,.0f} MB"
            f" (sampled each second: {big['worker_rss_sampled']:,.0f} MB),"
            f" worker CPU {big['worker_cpu']:.1f} s; gunicorn workers' peak RSS {big['gunicorn_peak']:,.0f} MB;"
            f" PostgreSQL CPU {big['db_cpu']:.1f} s; the machine busy {big['busy']:.1f} of"
            f" {os.cpu_count() * (big['done'] + big['upload']):.0f} core-seconds"
        )
        if "units" in big:
            print(f"  stored: {big['units']:,} units, {big['relations']:,} relations")
    if rounds:
        by_count: dict[int, list[dict]] = {}
        for row in rounds:
            by_count.setdefault(row["workers"], []).append(row)
        per_import = args.medium_articles * 3 * UNITS_PER_LAYER
        print(
            f"\nThroughput: {args.medium} imports of {args.medium_articles} articles ({per_import:,} units) "
            f"queued at once, one project each; order run: {', '.join(str(row['workers']) for row in rounds)}"
        )
        print(
            "| workers | first upload to last Imported | imports/min | vs 1 worker | uploads took "
            "| database: first created to last finished | CPU: workers, PostgreSQL, app | the machine busy |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        base = statistics.median(row["seconds"] for row in by_count.get(1, by_count[min(by_count)]))
        for count, rows in sorted(by_count.items()):
            seconds = statistics.median(row["seconds"] for row in rows)
            print(
                f"| {count} | {seconds:.1f} s ({', '.join(format(row['seconds'], '.1f') for row in rows)}) "
                f"| {args.medium * 60 / seconds:.1f} | {base / seconds:.2f}x "
                f"| {statistics.median(row['uploads'] for row in rows):.1f} s "
                f"| {statistics.median(row['database'] for row in rows):.1f} s "
                f"| {statistics.median(row['worker_cpu'] for row in rows):.1f}, "
                f"{statistics.median(row['db_cpu'] for row in rows):.1f}, "
                f"{statistics.median(row['app_cpu'] for row in rows):.1f} s "
                f"| {statistics.median(row['busy'] / (os.cpu_count() * row['seconds']) for row in rows) * 100:.0f} % |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=50, help="imports timed for queue latency (default 50)")
    parser.add_argument("--small-articles", type=int, default=2, help="articles per small import (default 2)")
    parser.add_argument(
        "--interval", type=float, nargs="+", default=[1.0, 0.1], help="run_worker --interval values (default 1 0.1)"
    )
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls of the job page (0.05)")
    parser.add_argument("--large-articles", type=int, default=10_000, help="articles of the large import (10000)")
    parser.add_argument("--large-timeout", type=float, default=3600, help="give up on the large import after (s)")
    parser.add_argument("--medium", type=int, default=40, help="imports queued at once (default 40)")
    parser.add_argument("--medium-articles", type=int, default=20, help="articles per medium import (default 20)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default 1 2 4)")
    parser.add_argument("--rounds", type=int, default=1, help="the worker counts forward, back, forward ...")
    parser.add_argument(
        "--phase", nargs="+", default=["latency", "large", "throughput"], choices=["latency", "large", "throughput"]
    )
    parser.add_argument("--gunicorn-workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument("--gunicorn-timeout", type=int, default=120, help="gunicorn --timeout (default 120)")
    parser.add_argument("--port", type=int, default=8767, help="the loopback port to serve on (default 8767)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running at the end")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    print(f"Load average before: {loadavg()}", flush=True)
    version = code_version()  # the code when the run starts (the workers import it afresh)
    big_content = native_jsonl(args.large_articles) if "large" in args.phase else b""
    medium_content = native_jsonl(args.medium_articles)
    cluster = Cluster()
    site = None
    try:
        cluster.start()
        os.environ.update(DATABASE_URL=cluster.url, DJANGO_SETTINGS_MODULE="annotate.settings", DEBUG="0")
        os.environ.update(SECURE_SSL_REDIRECT="0", STATIC_MANIFEST="0")
        import django

        django.setup()
        from django.contrib.auth.models import User
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        User.objects.create_user(MANAGER, password=PASSWORD)
        for name in ANNOTATORS:
            User.objects.create_user(name, password=PASSWORD)
        site = Site(cluster, args, upload_limit=max(len(big_content), 50 * 2**20) + 2**20)
        site.serve()
        manager = Manager(args.port)
        manager.login(MANAGER)
        latencies, big, rounds = [], None, []
        if "latency" in args.phase:
            for interval in args.interval:
                print(f"Latency, --interval {interval}", file=sys.stderr, flush=True)
                latencies.append(latency(site, manager, args, interval))
        if "large" in args.phase:
            print(f"Large import, {len(big_content) / 2**20:,.0f} MiB", file=sys.stderr, flush=True)
            big = large(site, manager, args, big_content)
            del big_content
        if "throughput" in args.phase:
            order = [count for number in range(args.rounds) for count in args.workers[:: (-1) ** number]]
            for number, count in enumerate(order):
                print(f"Throughput, {count} workers", file=sys.stderr, flush=True)
                rounds.append(throughput(site, manager, args, count, number, medium_content))
        site.stop()
        report(args, latencies, big, rounds, cluster.settings(), version)
        print(f"Load average after: {loadavg()}")
    finally:
        if site:
            site.stop()
        if args.keep:
            print(f"Cluster kept: DATABASE_URL={cluster.url} (stop: pg_ctl -D {cluster.data} stop)")
        else:
            cluster.stop()


if __name__ == "__main__":
    main()
