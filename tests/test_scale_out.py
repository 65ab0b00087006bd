"""Stateless app servers that scale out: two gunicorn processes and a worker process share
the test database and the stored files, as several machines share PostgreSQL and a
storage in production. An import started through one app is followed through the other;
a worker killed mid-import leaves nothing written, and its job ends as failed.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from django.db import connection
from django.test import Client

from annotate.models import Article, Job

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HEADING = re.compile(r'<section id="job-progress".*?<h2>(.*?)</h2>', re.S)

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    """The test database, as DATABASE_URL names it to another process: the suite's own
    DATABASE_URL with the test database's name."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Machines:
    """App servers and workers started as separate processes over one database."""

    def __init__(self, tmp_path: Path):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "STATIC_MANIFEST": "0",
            "ANNOTATE_IMPORT_INLINE_BYTES": "0",
            "ANNOTATE_JOB_STALE_SECONDS": "5",
            "CONN_MAX_AGE": "0",
        }
        self.processes: list[subprocess.Popen] = []
        self.log = tmp_path / "processes.log"

    def start(self, *command: str) -> subprocess.Popen:
        with self.log.open("ab") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def app(self) -> str:
        """Start a gunicorn on a loopback port; its address once it answers."""
        port = free_port()
        self.start(str(ROOT / ".venv/bin/gunicorn"), "annotate.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1")
        url = f"http://127.0.0.1:{port}"
        answer = ""
        for _ in range(200):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1):
                    return url
            except urllib.error.HTTPError as error:
                answer = error.read().decode()
            except OSError as error:  # not listening yet, or not answering yet
                answer = str(error)
            time.sleep(0.05)
        raise AssertionError(f"the app on port {port} did not start: {answer}")

    def worker(self) -> subprocess.Popen:
        return self.start(
            sys.executable,
            "manage.py",
            "run_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            "-v",
            "0",
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def machines(tmp_path):
    machines = Machines(tmp_path)
    yield machines
    machines.stop()


class Browser:
    """Cookies and CSRF as a browser carries them, over plain HTTP to any app."""

    def __init__(self, session_id: str):
        self.cookies = {"sessionid": session_id}

    def request(self, url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        request = urllib.request.Request(url, data=data, headers={"Cookie": cookie, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer_headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, body = error.code, error.headers, error.read()
        for value in answer_headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return status, dict(answer_headers), body.decode()

    def upload(self, app: str, slug: str, files: list[tuple[str, bytes]]) -> str:
        """Import files from the app's import page as htmx does; the job page's path."""
        _, _, page = self.request(f"{app}/p/{slug}/import/")
        fields = {"csrfmiddlewaretoken": CSRF.search(page).group(1), "action": "import", "unknown": "fail"}
        boundary = uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        for name, content in files:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n\r\n'
            parts += [head.encode(), content, b"\r\n"]
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "HX-Request": "true"}
        status, answer_headers, _ = self.request(f"{app}/p/{slug}/import/", b"".join(parts), headers)
        assert status == 200
        return answer_headers["HX-Redirect"]

    def follow(self, app: str, job_path: str, until: str, seconds: float = 90) -> list[str]:
        """Poll the job's page on `app` as the page does, until its heading is `until`;
        the headings seen, each once."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status, _, body = self.request(app + job_path, headers={"HX-Request": "true"})
            assert status == 200
            heading = HEADING.search(body).group(1)
            if not seen or seen[-1] != heading:
                seen.append(heading)
            if heading == until:
                return seen
            time.sleep(0.2)
        raise AssertionError(f"the job's page still says {seen[-1:]} after {seconds} s")


def jsonl(count: int, prefix: str = "Op-ed") -> bytes:
    lines = [
        {"id": f"a{n}", "title": f"{prefix} {n}", "text": f"{prefix} number {n}. " + "Cities should ban cars. " * 20}
        for n in range(count)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@pytest.fixture
def manager_browser(manager, project):
    client = Client()
    client.force_login(manager)
    return Browser(client.cookies["sessionid"].value)


def test_an_import_started_through_one_app_is_followed_to_the_end_through_another(machines, manager_browser):
    first, second = machines.app(), machines.app()
    machines.worker()

    job_path = manager_browser.upload(first, "opeds", [("opeds.jsonl", jsonl(500))])
    seen = manager_browser.follow(second, job_path, until="Imported")

    assert seen[-1] == "Imported"
    assert (Article.objects.count(), Job.objects.get().status) == (500, "done")
    assert list((Path(machines.env["MEDIA_ROOT"]) / "imports").iterdir()) == []


def test_a_worker_killed_mid_import_leaves_nothing_written_and_its_job_failed(machines, manager_browser):
    first, second = machines.app(), machines.app()
    worker = machines.worker()
    job_path = manager_browser.upload(first, "opeds", [("opeds.jsonl", jsonl(20_000))])
    job = Job.objects.get()
    for _ in range(1200):  # until the worker has written some of the articles, uncommitted
        job.refresh_from_db()
        if job.phase == "writing" and job.done > 0:
            break
        time.sleep(0.05)
    assert (job.status, job.phase) == ("running", "writing")

    worker.send_signal(signal.SIGKILL)
    worker.wait()
    machines.worker()
    # Another import, which the new worker runs as usual.
    second_job_path = manager_browser.upload(second, "opeds", [("more.jsonl", jsonl(3, prefix="More"))])
    manager_browser.follow(second, second_job_path, until="Imported")

    assert manager_browser.follow(second, job_path, until="Nothing was imported")[-1] == "Nothing was imported"
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "the worker stopped while running this job; nothing was imported")
    assert sorted(Article.objects.values_list("title", flat=True)) == ["More 0", "More 1", "More 2"]
    assert list((Path(machines.env["MEDIA_ROOT"]) / "imports").iterdir()) == []
