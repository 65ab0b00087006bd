"""A lab's pipeline over real HTTP: a token made on the account page, then only the API,
through `urllib.request` against a live server: add articles, import a file with
annotators' layers, assign, start an export, poll its job while a worker runs it, and
download the file, which is byte for byte what `manage.py export_dataset` writes for the
same project and choices. Every address the client follows comes from an answer."""

import json
import threading
import time
import urllib.request
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from annotate import projects
from annotate.models import Role
from tests.factories import make_project, make_user
from tests.test_api import make_token

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Cities should ban cars. Traffic kills."
IMPORTED = {
    "title": "Ban cars",
    "text": TEXT,
    "author": "A. Writer",
    "layers": [
        {
            "owner": "alice",
            "status": "finished",
            "units": [
                {"id": "T1", "label": "Claim", "spans": [[0, 22]], "text": ["Cities should ban cars"]},
                {"id": "T2", "label": "Premise", "spans": [[24, 38]], "text": ["Traffic kills."]},
            ],
            "relations": [{"id": "R1", "type": "supports", "source": "T2", "target": "T1"}],
        }
    ],
}


class Api:
    """A client as a lab writes one: a base address and a token."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, url: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        url = url if url.startswith("http") else self.base + url
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()

    def json(self, method: str, url: str, body=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        status, answer = self.call(method, url, data, "application/json" if data else "")
        return status, json.loads(answer)

    def upload(self, url: str, name: str, content: bytes) -> tuple[int, dict]:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, answer = self.call("POST", url, body, f"multipart/form-data; boundary={boundary}")
        return status, json.loads(answer)


def run_worker() -> None:
    """The worker, as `manage.py run_worker --batch` runs it: what is queued, then it
    stops. In the test's own thread (the worker sets signal handlers, which only the main
    thread may), with its own database connection, while the live server answers from
    its thread."""
    call_command("run_worker", batch=True, startup_delay=False, interval=0, verbosity=0)


def until_finished(api: Api, job_url: str) -> dict:
    """Poll the job, as a lab's script does, until it ends."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, job = api.json("GET", job_url)
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the job at {job_url} did not finish")


@pytest.fixture
def lab(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    manager = make_user("mia")
    project = make_project(manager=manager, slug="lab")
    for name in ("alice", "bob"):
        projects.set_member(project=project, user=make_user(name), role=Role.ANNOTATOR, by=None)
    return project, manager


def test_a_pipeline_over_http_adds_imports_assigns_exports_and_downloads_the_commands_bytes(live_server, lab):
    project, manager = lab
    api = Api(live_server.url, make_token(Client(), manager))

    _, listed = api.json("GET", "/api/v1/projects")
    slug = listed["results"][0]["slug"]
    created_status, created = api.json(
        "POST",
        f"/api/v1/projects/{slug}/articles",
        [{"title": "Bikes", "text": "Bikes are fine."}, {"title": "Trams", "text": "Trams are better."}],
    )
    import_status, import_job = api.upload(
        f"/api/v1/projects/{slug}/imports", "annotated.jsonl", (json.dumps(IMPORTED) + "\n").encode()
    )
    _, queued = api.json("GET", import_job["url"])
    run_worker()
    imported = until_finished(api, import_job["url"])
    assign_status, assigned = api.json(
        "POST", f"/api/v1/projects/{slug}/assignments", {"articles": created["created"], "annotators": ["alice", "bob"]}
    )
    export_status, export_job = api.json("POST", f"/api/v1/projects/{slug}/exports", {"format": "jsonl"})
    run_worker()
    exported = until_finished(api, export_job["url"])
    download_status, downloaded = api.call("GET", exported["download_url"])
    _, who = api.json("GET", f"/api/v1/projects/{slug}/assignments")

    out = StringIO()
    call_command("export_dataset", "--project", slug, "--format", "jsonl", stdout=out, stderr=StringIO())
    assert (created_status, import_status, assign_status, export_status, download_status) == (201, 202, 200, 202, 200)
    assert (queued["status"], queued["download_url"]) == ("queued", None)
    assert (imported["status"], imported["result"]["summary"]) == (
        "done",
        "1 new article, 0 already there, 1 layer, 2 units, 1 relation",
    )
    assert assigned == {"added": 4, "removed": 0, "message": "Saved: 4 assignments added, 0 removed."}
    assert [(row["title"], [a["username"] for a in row["annotators"]]) for row in who["results"]] == [
        ("Bikes", ["alice", "bob"]),
        ("Trams", ["alice", "bob"]),
        ("Ban cars", ["alice"]),
    ]
    assert (exported["status"], exported["result"]["units"]) == ("done", 2)
    assert downloaded == out.getvalue().encode()
    assert [json.loads(line)["title"] for line in downloaded.decode().splitlines()] == ["Bikes", "Trams", "Ban cars"]


def docs_example() -> str:
    """The Python example of docs/api.md ("A pipeline in Python"), as a lab copies it."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    section = text[text.index("## A pipeline in Python") :]
    return section[section.index("```python\n") + 10 : section.index("\n```\n")]


def test_the_python_example_of_the_docs_runs_as_a_lab_copies_it(live_server, lab, tmp_path, monkeypatch):
    project, manager = lab
    token = make_token(Client(), manager)
    code = docs_example()
    code = code.replace(
        '"https://annotate.example.org/api/v1", "opeds"', f'"{live_server.url}/api/v1", "{project.slug}"'
    )
    code = code.replace("Bearer ann_…", f"Bearer {token}")
    monkeypatch.chdir(tmp_path)
    failures = []

    def run():
        try:
            exec(code, {})  # noqa: S102 - the docs' own example, run as written
        except Exception as error:  # the example's failure is the test's
            failures.append(error)

    example = threading.Thread(target=run)
    example.start()
    deadline = time.monotonic() + 60
    while example.is_alive() and time.monotonic() < deadline:
        run_worker()  # the worker beside the example, which polls meanwhile
        example.join(0.2)

    out = StringIO()
    call_command("export_dataset", "--project", project.slug, "--format", "jsonl", stdout=out, stderr=StringIO())
    assert (len([line for line in docs_example().splitlines() if line]), failures, example.is_alive()) == (
        11,
        [],
        False,
    )
    assert code != docs_example()  # the lab's own address, project and token
    assert (tmp_path / "lab.jsonl").read_bytes() == out.getvalue().encode()
    assert [json.loads(line)["title"] for line in out.getvalue().splitlines()] == ["Ban cars"]
