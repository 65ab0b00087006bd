"""The worker outlives its database: a worker process (`manage.py run_worker`, as
deploy/systemd/annotate-worker@.service runs it, with JSON logs) over a PostgreSQL
cluster of the test's own, which the test stops and starts again, as a restart of the
database does in production.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from annotate.datasets import IMPORT_LOCK

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN") or max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/nonexistent")))


class Cluster:
    """A PostgreSQL cluster on a Unix socket in a directory of its own, run as the
    postgres account when the tests run as root (initdb refuses root)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.run_as:
            shutil.chown(directory, "postgres")
        self.url = f"postgres://annotate@/annotate?host={directory}"

    def run(self, *command: str, check: bool = True) -> None:
        subprocess.run([*self.run_as, *command], check=check, capture_output=True)

    def pg_ctl(self, *arguments: str, check: bool = True) -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), *arguments, check=check)

    def create(self) -> None:
        data = str(self.directory / "data")
        self.run(str(PG_BIN / "initdb"), "-D", data, "-U", "annotate", "--auth=trust", "--no-sync", "-E", "UTF8")
        self.start()
        self.run(str(PG_BIN / "createdb"), "-h", str(self.directory), "-U", "annotate", "annotate")

    def start(self) -> None:
        options = f"-k {self.directory} -c listen_addresses='' -c fsync=off"
        self.pg_ctl("-l", str(self.directory / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def rows(self, query: str, *parameters) -> list[tuple]:
        with psycopg.connect(self.url) as database:
            return database.execute(query, parameters).fetchall()


@pytest.fixture
def cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL's server programs are not in {PG_BIN} (set PG_BIN)")
    # Not under pytest's tmp_path: the postgres account cannot enter root's directory.
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="annotate-worker-pg.")))
    cluster.create()
    yield cluster
    cluster.pg_ctl("-m", "immediate", "stop", check=False)  # stopped already if a test failed meanwhile
    shutil.rmtree(cluster.directory)


class Site:
    """The app's commands run as processes over the cluster, with the settings of
    production: JSON logs, DEBUG off; a running job that has not reported for a second
    is taken for stopped."""

    def __init__(self, cluster: Cluster, tmp_path: Path):
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": cluster.url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "DEBUG": "0",
            "ANNOTATE_JSON_LOGS": "1",
            "ANNOTATE_JOB_STALE_SECONDS": "1",
        }
        self.log = tmp_path / "worker.log"
        self.worker: subprocess.Popen | None = None

    def manage(self, *arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start_worker(self) -> None:
        # The options of deploy/systemd/annotate-worker@.service, polling faster.
        command = ["run_worker", "--interval", "0.1", "--no-reload", "--no-startup-delay", "--worker-id", "test-1"]
        with self.log.open("w") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def said(self) -> list[dict]:
        """What the worker logged about its database so far; every line it wrote must be
        a JSON record (json.loads fails on any other)."""
        records = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [record for record in records if record["logger"] == "annotate.worker"]

    def queue_import(self, title: str) -> None:
        """Queue the import of one article, as a manager does from the command line."""
        path = self.tmp_path / f"{title}.jsonl"
        path.write_text(json.dumps({"title": title, "text": f"{title}: cities should ban cars."}) + "\n")
        self.manage("import_articles", "--project", "opeds", "--queue", str(path))


@pytest.fixture
def site(cluster, tmp_path):
    site = Site(cluster, tmp_path)
    site.manage("migrate", "-v", "0")
    site.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; from annotate import projects; "
        "projects.create_project(name='Op-eds', slug='opeds', manager=User.objects.create_user('mia'))",
    )
    yield site
    if site.worker is not None and site.worker.poll() is None:
        site.worker.kill()
        site.worker.wait()
    print(site.log.read_text())  # the worker's log, which pytest shows when the test fails


def until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"still not {what} after {seconds} s")


def test_the_worker_waits_for_a_restarted_database_and_runs_the_next_job(cluster, site):
    site.start_worker()
    # The first import waits for its turn (another import holds the project's lock),
    # reporting meanwhile: it is running when the database stops.
    [(project_id,)] = cluster.rows("SELECT id FROM annotate_project WHERE slug = 'opeds'")
    jobs = "SELECT status, phase, message FROM annotate_job ORDER BY id"
    other_import = psycopg.connect(cluster.url)
    other_import.execute("SELECT pg_advisory_lock(%s, %s)", [IMPORT_LOCK, project_id])
    site.queue_import("First")
    until(lambda: cluster.rows(jobs) == [("running", "waiting for another import", "")], "running")

    cluster.stop()
    other_import.close()
    until(lambda: len(site.said()) == 2, "waiting a second time")
    alive_while_stopped = site.worker.poll() is None
    cluster.start()
    until(lambda: len(site.said()) == 3, "connected again")
    site.queue_import("Second")
    until(lambda: [status for status, _, _ in cluster.rows(jobs)] == ["failed", "done"], "both jobs ended")
    site.worker.send_signal(signal.SIGTERM)
    site.worker.wait(10)

    assert (alive_while_stopped, site.worker.returncode) == (True, 0)
    assert cluster.rows(jobs) == [
        ("failed", "waiting for another import", "the worker stopped while running this job; nothing was imported"),
        ("done", "writing", ""),
    ]
    assert cluster.rows("SELECT title FROM annotate_article") == [("Second",)]
    waited, waited_longer, back = site.said()
    assert waited["message"].startswith("The database does not answer (OperationalError: ")
    assert waited["message"].endswith("; the worker tries again in 0.5 s")
    assert waited_longer["message"].endswith("; the worker tries again in 1 s")
    assert back["message"] == "The database answers again; the worker goes on"
    assert [record["level"] for record in site.said()] == ["WARNING", "WARNING", "WARNING"]


def test_an_error_the_worker_cannot_go_on_from_is_logged_as_json_and_stops_it(cluster, tmp_path):
    site = Site(cluster, tmp_path)  # over a database without the app's tables, which no wait mends

    site.start_worker()
    try:
        site.worker.wait(20)
    finally:
        site.worker.kill()

    records = [json.loads(line) for line in site.log.read_text().splitlines()]  # every line a JSON record
    assert site.worker.returncode == 1
    [error] = [record for record in records if record["level"] == "ERROR"]
    assert (error["logger"], error["message"]) == ("annotate.worker", "The worker stopped on an error")
    assert 'UndefinedTable: relation "django_tasks_database_dbtaskresult" does not exist' in error["exception"]
