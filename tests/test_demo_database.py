"""The demo runs on SQLite (the README's first command): the workspace's changes, whose
statements are written by hand with a PostgreSQL form and a SQLite form
(annotate/rows.py), work there too, driven through the pages as a browser drives them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a process of its own, on a new SQLite database: the demo set up as scripts/demo
# sets it up, then alice logs in through the form and makes her changes as her page
# sends them, each carrying the revision the previous answer gave and the unit it
# named. Prints what each answer said, as JSON.
WALK = r"""
import json, re
import django
django.setup()
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
call_command("load_seeds", stdout=open("/dev/null", "w"))
client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
form = client.get("/accounts/login/").content.decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
client.post("/accounts/login/", {"username": "alice", "password": "demo", "csrfmiddlewaretoken": token})
opened = client.get("/p/demo/next/", follow=True)
layer = opened.redirect_chain[-1][0]
page = opened.content.decode()
csrf = re.search(r'hx-headers=.\{"x-csrftoken": "([^"]+)"\}', page).group(1)
revision = int(re.search(r'id="layer-revision" name="revision" value="(\d+)"', page).group(1))
labels = dict(re.findall(r'data-label="(\d+)"[^>]*>\s*<span class="swatch"></span>(\w+)', page))
by_name = {name: pk for pk, name in labels.items()}
said = []

def change(path, **data):
    global revision
    answer = client.post(layer + path, {**data, "revision": revision}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=csrf)
    body = answer.content.decode()
    if found := re.search(r'id="layer-revision" name="revision" value="(\d+)"', body):
        revision = int(found.group(1))
    text = re.sub(r"<[^>]+>", "", body).split() if answer.status_code != 200 else []
    said.append([path, answer.status_code, revision, body.count('<span class="line"'), " ".join(text[:9])])
    return json.loads(answer.get("HX-Trigger", "{}")).get("layer-changed", {}).get("unit")

unit = change("units/", label=by_name["Claim"], start=0, end=5)
change("units/", label=by_name["Claim"], start=0, end=5)
change(f"units/{unit}/label/", label=by_name["Premise"])
change("undo/")
change("redo/")
print(json.dumps({"labels": sorted(labels.values()), "said": said, "unit": unit}))
"""


def test_the_demo_database_takes_a_unit_a_relabel_undo_and_redo_from_the_page(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DEBUG"}}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", DJANGO_SETTINGS_MODULE="annotate.settings", DEBUG="1"
    )
    done = subprocess.run([sys.executable, "-c", WALK], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    walked = json.loads(done.stdout.strip().splitlines()[-1])
    unit = walked["unit"]

    assert walked["labels"] == ["Claim", "MajorClaim", "Premise"]
    # The first change starts the layer (revision 1) and makes the unit (2); each answer
    # redraws the one line the unit is on; the duplicate is refused and changes nothing.
    assert walked["said"] == [
        ["units/", 200, 2, 1, ""],
        ["units/", 422, 2, 0, "There is already a Claim on exactly this text."],
        [f"units/{unit}/label/", 200, 3, 1, ""],
        ["undo/", 200, 4, 1, ""],
        ["redo/", 200, 5, 1, ""],
    ]


# The demo's server and its worker write one SQLite file at once: the worker imports
# articles (four jobs of 40 articles each, queued as the import page queues them) while
# alice makes 120 changes from her page and the manager reloads the review and
# assignment pages. Prints each answer's status, how each job ended, and whether the
# worker said "locked", as JSON.
TOGETHER = r"""
import json, re, subprocess, sys, time
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from annotate import jobs
from django.contrib.auth.models import User
from annotate.models import Job, Project

call_command("migrate", verbosity=0)
call_command("load_seeds", stdout=open("/dev/null", "w"))
project = Project.objects.get(slug="demo")
manager = User.objects.get(username="manager")
queued = []
for job in range(4):
    files = [
        ContentFile(f"Article {job}-{n}\n\n" + f"The council should act on road {job}-{n}, as traffic grows. " * 40,
                    name=f"batch-{job}-{n}.txt")
        for n in range(40)
    ]
    queued.append(jobs.enqueue_import(project=project, user=manager, uploads=files, unknown="fail",
                                      existing="fail", owner="").pk)
worker = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--no-reload", "--interval", "0.05", "-v", "1"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

client = Client(HTTP_HOST="127.0.0.1")
client.force_login(User.objects.get(username="alice"))
opened = client.get("/p/demo/next/", follow=True)
layer = opened.redirect_chain[-1][0]
page = opened.content.decode()
revision = int(re.search(r'id="layer-revision" name="revision" value="(\d+)"', page).group(1))
labels = re.findall(r'data-label="(\d+)"[^>]*>\s*<span class="swatch"></span>(\w+)', page)
claim = {name: pk for pk, name in labels}["Claim"]
curator = Client(HTTP_HOST="127.0.0.1")
curator.force_login(manager)
statuses = []
for n in range(40):
    for path, data in (("units/", {"label": claim, "start": 10 * n, "end": 10 * n + 5}), ("undo/", {}), ("redo/", {})):
        answer = client.post(layer + path, {**data, "revision": revision}, HTTP_HX_REQUEST="true")
        statuses.append(answer.status_code)
        if found := re.search(r'id="layer-revision" name="revision" value="(\d+)"', answer.content.decode()):
            revision = int(found.group(1))
    statuses.append(curator.get("/p/demo/assignment/").status_code)
deadline = time.monotonic() + 180
while Job.objects.filter(pk__in=queued, status__in=["queued", "running"]).exists() and time.monotonic() < deadline:
    time.sleep(0.2)
worker.terminate()
said = worker.communicate(timeout=30)[0]
print(json.dumps({
    "statuses": sorted(set(statuses)), "changes": len(statuses),
    "jobs": [Job.objects.get(pk=pk).status for pk in queued],
    "messages": sorted({Job.objects.get(pk=pk).message for pk in queued}),
    "articles": project.articles.count(),
    "locked": "locked" in said,
    "journal": __import__("django.db").db.connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
}))
"""


def test_the_demo_database_takes_the_pages_writes_while_the_worker_writes(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DEBUG"}}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        DJANGO_SETTINGS_MODULE="annotate.settings",
        DEBUG="1",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    done = subprocess.run([sys.executable, "-c", TOGETHER], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    together = json.loads(done.stdout.strip().splitlines()[-1])
    assert together == {
        "statuses": [200],
        "changes": 160,
        "jobs": ["done", "done", "done", "done"],
        "messages": [""],
        "articles": 1 + 160,
        "locked": False,
        "journal": "wal",
    }
