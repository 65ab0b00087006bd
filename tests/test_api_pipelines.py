"""The API's pipelines (/api/v1/): an import from uploaded files and an export, each a job
a worker runs, the job's progress, the export's file; the stored agreement figures; and
assignment. Driven as a client drives them: a token made on the account page, then the
job's and the file's addresses carried from one answer to the next. The worker is the
real command, run in batch mode."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotate import projects
from annotate.models import Job, Layer
from tests import test_hostile_imports as hostile
from tests.factories import make_article, make_unit, scheme_of
from tests.test_api import bearer, make_token, post_json
from tests.test_export_tasks import annotated  # noqa: F401 - a fixture
from tests.test_import_tasks import run_worker

LINES = b'{"title": "Ban cars", "text": "Cities should ban cars."}\n{"title": "Bikes", "text": "Bikes are fine."}\n'


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def upload(client, token, slug, files, **data):
    """Files sent as multipart, as requests' `files=` sends them."""
    return client.post(f"/api/v1/projects/{slug}/imports", {"files": files, **data}, **bearer(token))


def jsonl(name="articles.jsonl", content=LINES):
    return SimpleUploadedFile(name, content)


def titles(client, token, slug) -> list[str]:
    listed = client.get(f"/api/v1/projects/{slug}/articles?sort=title", **bearer(token)).json()
    return [article["title"] for article in listed["results"]]


# Imports -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_imported_file_is_queued_as_a_job_a_worker_writes(client, project, manager, media):
    token = make_token(client, manager)

    started = upload(client, token, project.slug, [jsonl()])
    queued = client.get(started.json()["url"], **bearer(token)).json()
    before = titles(client, token, project.slug)
    run_worker()
    done = client.get(started["Location"], **bearer(token)).json()

    assert started.status_code == 202
    assert (queued["kind"], queued["status"], queued["result"], queued["download_url"]) == (
        "import",
        "queued",
        None,
        None,
    )
    assert before == []
    assert (done["status"], done["message"], done["problems"], done["result"]["summary"]) == (
        "done",
        "",
        [],
        "2 new articles, 0 already there, 0 layers, 0 units, 0 relations",
    )
    assert titles(client, token, project.slug) == ["Ban cars", "Bikes"]


def test_a_preview_answers_the_verdict_and_writes_nothing(client, project, manager, media):
    token = make_token(client, manager)

    answer = upload(client, token, project.slug, [jsonl()], preview="true")

    assert (answer.status_code, answer.json()) == (
        200,
        {
            "summary": "2 new articles, 0 already there, 0 layers, 0 units, 0 relations",
            "counts": {
                "articles": 2,
                "already there": 0,
                "layers": 0,
                "units": 0,
                "relations": 0,
                "existing layers skipped": 0,
            },
            "new_labels": [],
            "new_relation_types": [],
            "skipped": [],
            "skipped_layers": [],
            "preview": {"unknown": "fail", "existing": "fail", "owner": ""},
        },
    )
    assert titles(client, token, project.slug) == []
    assert Job.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_checked_by_the_worker_and_the_job_says_what_is_wrong(
    client, project, manager, media, settings
):
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 10
    token = make_token(client, manager)
    bad = b'{"title": "x", "text": "y"}\n{"title": 7, "text": "Seven."}\n'

    started = upload(client, token, project.slug, [jsonl("bad.jsonl", bad)]).json()
    run_worker()
    failed = client.get(started["url"], **bearer(token)).json()

    assert (failed["status"], failed["message"], failed["problems"]) == (
        "failed",
        "nothing was imported",
        ["bad.jsonl line 2: article: “title” must be a string"],
    )
    assert titles(client, token, project.slug) == []


def test_import_refusals_are_json_with_the_pages_messages(client, project, manager, curator, media):
    token = make_token(client, manager)
    curator_token = make_token(client, curator, name="c")

    answers = {
        "no file": upload(client, token, project.slug, []),
        "choice": upload(client, token, project.slug, [jsonl()], unknown="maybe"),
        "preview": upload(client, token, project.slug, [jsonl()], preview="perhaps"),
        "curator": upload(client, curator_token, project.slug, [jsonl()]),
    }

    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "no file": (422, {"code": "invalid", "message": "Files: Choose at least one file to import."}),
        "choice": (
            422,
            {
                "code": "invalid",
                "message": "Labels, relation types or attribute values the scheme lacks: "
                "Select a valid choice. maybe is not one of the available choices.",
            },
        ),
        "preview": (422, {"code": "invalid", "message": "preview must be true or false."}),
        "curator": (
            403,
            {"code": "forbidden", "message": "Your role in this project (curator) does not allow this page."},
        ),
    }
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "options", "message"), hostile.CASES, ids=[case[0] for case in hostile.CASES]
)
def test_the_hostile_corpus_gets_the_import_pages_verdict_through_the_api(
    client, manager, hostile_project, media, name, content, options, message
):
    token = make_token(client, manager)
    client.force_login(manager)
    page = hostile.web_verdict(client, hostile_project, name, content, options, "import")
    client.logout()
    before = (hostile.counts(), Job.objects.count())

    answers = [
        upload(client, token, hostile_project.slug, [SimpleUploadedFile(name, content)], **options, **preview)
        for preview in ({}, {"preview": "true"})
    ]

    expected = {"code": "invalid", "message": "\n".join(page[1]), "problems": page[1]}
    assert [(answer.status_code, answer.json()) for answer in answers] == [(page[0], expected)] * 2
    assert page == (422, hostile.problems(message))
    assert (hostile.counts(), Job.objects.count()) == before


def test_files_over_the_upload_limit_get_the_import_pages_message(client, project, manager, media, settings):
    settings.ANNOTATE_MAX_UPLOAD_BYTES = 10
    token = make_token(client, manager)
    client.force_login(manager)
    page = hostile.web_verdict(client, project, "articles.jsonl", LINES, {}, "import")
    client.logout()

    answer = upload(client, token, project.slug, [jsonl()])

    assert (answer.status_code, answer.json()) == (
        page[0],
        {"code": "invalid", "message": page[1][0], "problems": page[1]},
    )
    assert page[0] == 422
    assert Job.objects.count() == 0


def test_a_job_a_limit_refuses_is_refused_with_the_limits_message(client, project, manager, media, settings):
    settings.ANNOTATE_MAX_PROJECT_JOBS = 1
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 0  # the page queues these files too
    token = make_token(client, manager)
    first = upload(client, token, project.slug, [jsonl()]).json()
    client.force_login(manager)
    page = client.post(f"/p/{project.slug}/import/", {"files": [jsonl()], "unknown": "fail", "action": "import"})
    client.logout()

    answer = upload(client, token, project.slug, [jsonl()])

    message = (
        f"This project has 1 job queued or running, as many as it may have at once (ANNOTATE_MAX_PROJECT_JOBS): "
        f"import {first['id']} (queued). Try again once one of them has ended, or cancel one."
    )
    assert (answer.status_code, answer.json()) == (422, {"code": "invalid", "message": message})
    assert (page.status_code, message in page.content.decode().replace("&#x27;", "'")) == (422, True)
    assert Job.objects.count() == 1


@pytest.fixture
def hostile_project(project, article, annotator, manager):
    return project


# Exports -------------------------------------------------------------------------------


def start_export(client, token, slug, **choice):
    return post_json(client, f"/api/v1/projects/{slug}/exports", choice, **bearer(token))


def cli_export(slug: str, *args: str) -> bytes:
    out = StringIO()
    call_command("export_dataset", "--project", slug, *args, stdout=out, stderr=StringIO())
    return out.getvalue().encode()


@pytest.mark.django_db(transaction=True)
def test_an_export_is_written_by_a_worker_and_downloads_the_commands_bytes(client, annotated, curator, media):  # noqa: F811
    token = make_token(client, curator)

    started = start_export(client, token, annotated.slug, format="conll", layers="annotators", stance=True)
    again = start_export(client, token, annotated.slug, format="conll", layers="annotators", stance=True)
    run_worker()
    done = client.get(started.json()["url"], **bearer(token)).json()
    file = client.get(done["download_url"], **bearer(token))

    assert (started.status_code, again.status_code, again.json()["id"]) == (202, 200, started.json()["id"])
    assert (done["status"], done["phase"], done["done"], done["total"]) == ("done", "", 4, 4)
    body = b"".join(file.streaming_content)
    assert {key: value for key, value in done["result"].items() if key != "left_out"} == {
        "format": "conll",
        "layers": "annotators",
        "finished_only": False,
        "options": {"stance": True, "relations": False},
        "described": "CoNLL / BIO tokens; all annotators, Stance on claims (B-Claim:For)",
        "file_name": "opeds-conll.conll",
        "bytes": len(body),
        "units": 4,
    }
    assert done["download_url"] == f"http://testserver/api/v1/projects/opeds/exports/{done['id']}/file"
    assert (file.status_code, file["Content-Disposition"]) == (200, 'attachment; filename="opeds-conll.conll"')
    assert body == cli_export(annotated.slug, "--format", "conll", "--layers", "annotators", "--stance")


def test_export_refusals_are_json_with_the_pages_messages(client, project, curator, annotator, media):
    token = make_token(client, curator)
    annotator_token = make_token(client, annotator, name="a")

    answers = {
        "format": start_export(client, token, project.slug, format="docx"),
        "layers": start_export(client, token, project.slug, format="csv", layers="nobody"),
        "missing": start_export(client, token, project.slug),
        "not json": post_json(client, f"/api/v1/projects/{project.slug}/exports", "{", **bearer(token)),
        "annotator": start_export(client, annotator_token, project.slug, format="csv"),
    }

    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "format": (
            422,
            {"code": "invalid", "message": "Format: Select a valid choice. docx is not one of the available choices."},
        ),
        "layers": (
            422,
            {
                "code": "invalid",
                "message": "Layers: Select a valid choice. nobody is not one of the available choices.",
            },
        ),
        "missing": (422, {"code": "invalid", "message": "format: Field required"}),
        "not json": (422, {"code": "invalid", "message": "The body must be a JSON object."}),
        "annotator": (
            403,
            {"code": "forbidden", "message": "Your role in this project (annotator) does not allow this page."},
        ),
    }
    assert Job.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_expired_export_file_is_gone_with_the_pages_message(client, annotated, curator, media):  # noqa: F811
    token = make_token(client, curator)
    started = start_export(client, token, annotated.slug, format="csv").json()
    run_worker()
    done = client.get(started["url"], **bearer(token)).json()
    finished = timezone.now() - timedelta(days=2)
    Job.objects.filter(pk=started["id"]).update(finished_at=finished)

    answer = client.get(done["download_url"], **bearer(token))
    later = client.get(started["url"], **bearer(token)).json()

    until = (finished + timedelta(days=1)).strftime("%Y-%m-%d %H:%M UTC")
    assert (answer.status_code, answer.json()) == (
        410,
        {
            "code": "gone",
            "message": f"The file of export {started['id']} was kept until {until} and is gone: "
            "export again for a new one.",
        },
    )
    assert later["download_url"] is None


def test_a_curator_follows_an_export_but_not_an_import(client, project, manager, curator, media):
    token = make_token(client, curator)
    imported = Job.objects.create(project=project, kind="import", created_by=manager)

    answer = client.get(f"/api/v1/projects/{project.slug}/jobs/{imported.pk}", **bearer(token))
    missing = client.get(f"/api/v1/projects/{project.slug}/jobs/999999", **bearer(token))

    assert (answer.status_code, answer.json()) == (
        403,
        {"code": "forbidden", "message": "Your role in this project (curator) does not allow this page."},
    )
    assert (missing.status_code, missing.json()) == (404, {"code": "not_found", "message": "No such job."})


# Agreement -----------------------------------------------------------------------------


@pytest.fixture
def agreed(project, article, annotator, annotator2):
    scheme = scheme_of(project)
    for user in (annotator, annotator2):
        layer = Layer.objects.get(article=article, annotator=user)
        make_unit(layer, scheme["Claim"], "Cities should ban cars")
        Layer.objects.filter(pk=layer.pk).update(status=Layer.Status.FINISHED)
    return project


def test_the_agreement_figures_are_the_stored_result_the_command_reports(client, agreed, curator, article):
    token = make_token(client, curator)
    url = f"/api/v1/projects/{agreed.slug}/agreement"

    first = client.get(url, **bearer(token))
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **bearer(token))
    out = StringIO()
    call_command("agreement", "--project", agreed.slug, "--json", stdout=out)
    command = json.loads(out.getvalue())

    answer = first.json()
    assert (answer["current"], answer["layers_changed"], answer["compared"], answer["job"]) == (True, 0, 1, None)
    assert answer["figures"] == {key: value for key, value in command.items() if key != "articles"}
    assert (
        answer["articles"]
        == command["articles"]
        == [
            {
                "id": article.pk,
                "title": article.title,
                "layers": 2,
                "alpha_u": answer["articles"][0]["alpha_u"],
                "span_f1_overlap": 1.0,
            }
        ]
    )
    assert (again.status_code, again.content) == (304, b"")


def test_agreement_not_yet_computed_answers_the_queued_job_as_the_page_queues_it(client, agreed, curator, settings):
    settings.ANNOTATE_AGREEMENT_INLINE = False  # a site with a worker: the request computes nothing
    token = make_token(client, curator)

    answer = client.get(f"/api/v1/projects/{agreed.slug}/agreement", **bearer(token)).json()
    job = client.get(answer["job"]["url"], **bearer(token)).json()

    assert (answer["figures"], answer["current"], answer["articles"], answer["computed_at"]) == (None, False, [], None)
    assert (job["kind"], job["status"]) == ("agreement", "queued")


def test_a_page_of_agreement_that_does_not_exist_is_refused_with_the_pages_message(client, agreed, curator):
    token = make_token(client, curator)

    answer = client.get(f"/api/v1/projects/{agreed.slug}/agreement?after=nowhere", **bearer(token))

    assert (answer.status_code, answer.json()) == (
        400,
        {"code": "bad_request", "message": "This page of articles does not exist: follow the page's own links."},
    )


# Assignment ----------------------------------------------------------------------------


def test_articles_are_assigned_and_listed_with_the_grids_messages(client, project, manager, annotator, annotator2):
    token = make_token(client, manager)
    url = f"/api/v1/projects/{project.slug}/assignments"
    created = post_json(
        client,
        f"/api/v1/projects/{project.slug}/articles",
        [{"title": "A", "text": "A."}, {"title": "B", "text": "B."}],
        **bearer(token),
    ).json()["created"]

    assigned = post_json(
        client, url, {"articles": created, "annotators": ["ann_annotator", "ben_annotator"]}, **bearer(token)
    )
    same = post_json(client, url, {"articles": created[:1], "annotators": ["ann_annotator"]}, **bearer(token))
    off = post_json(
        client, url, {"articles": created[1:], "annotators": ["ben_annotator"], "assigned": False}, **bearer(token)
    )
    listed = client.get(url, **bearer(token)).json()
    theirs = client.get(f"{url}?annotator=ben_annotator", **bearer(token)).json()

    assert assigned.json() == {"added": 4, "removed": 0, "message": "Saved: 4 assignments added, 0 removed."}
    assert same.json() == {"added": 0, "removed": 0, "message": "Nothing to save: the assignment was already so."}
    assert off.json() == {"added": 0, "removed": 1, "message": "Saved: 0 assignments added, 1 removed."}
    assert listed == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": created[0],
                "title": "A",
                "annotators": [
                    {"username": "ann_annotator", "status": "not_started"},
                    {"username": "ben_annotator", "status": "not_started"},
                ],
            },
            {"id": created[1], "title": "B", "annotators": [{"username": "ann_annotator", "status": "not_started"}]},
        ],
    }
    assert [row["id"] for row in theirs["results"]] == created[:1]


def test_an_assignment_refused_changes_nothing_and_says_why_as_the_grid_does(
    client, project, article, manager, annotator, curator
):
    token = make_token(client, manager)
    url = f"/api/v1/projects/{project.slug}/assignments"
    layer = Layer.objects.get(article=article, annotator=annotator)
    make_unit(layer, scheme_of(project)["Claim"], "Cities should ban cars")
    before = client.get(url, **bearer(token)).json()

    answers = {
        "stranger": post_json(client, url, {"articles": [article.pk], "annotators": ["cory_curator"]}, **bearer(token)),
        "nobody": post_json(client, url, {"articles": [article.pk], "annotators": ["nobody"]}, **bearer(token)),
        "foreign": post_json(client, url, {"articles": [999999], "annotators": ["ann_annotator"]}, **bearer(token)),
        "started": post_json(
            client, url, {"articles": [article.pk], "annotators": ["ann_annotator"], "assigned": False}, **bearer(token)
        ),
        "empty": post_json(client, url, {"articles": [], "annotators": ["ann_annotator"]}, **bearer(token)),
        "shape": post_json(client, url, {"articles": "all"}, **bearer(token)),
    }

    curator_id = curator.pk
    assert {name: (r.status_code, r.json()["message"]) for name, r in answers.items()} == {
        "stranger": (
            422,
            f"Nothing was saved. Only annotators of this project can be assigned (user ids [{curator_id}]).",
        ),
        "nobody": (422, "Nothing was saved. Only annotators of this project can be assigned (usernames ['nobody'])."),
        "foreign": (422, "Nothing was saved. No such article in this project (ids [999999])."),
        "started": (
            422,
            f"Nothing was saved. ann_annotator already started “{article.title}”; their work cannot be unassigned.",
        ),
        "empty": (422, "Name at least one article and one annotator; nothing was saved."),
        "shape": (422, "articles: Input should be a valid list; annotators: Field required"),
    }
    assert client.get(url, **bearer(token)).json() == before


# Queries ------------------------------------------------------------------------------

# Each new list's queries, whatever the number of articles: the token's checks
# (failures, token, last use), then the page.
LISTS = [("/api/v1/projects/opeds/assignments", 7), ("/api/v1/projects/opeds/agreement", 7)]


@pytest.mark.parametrize("size", [2, 30])
def test_the_new_list_endpoints_run_the_same_number_of_queries_at_two_sizes(
    client, project, manager, annotator, annotator2, size
):
    scheme = scheme_of(project)
    for _ in range(size):
        article = make_article(project)
        for layer in projects.assign(article=article, annotators=[annotator, annotator2], by=manager):
            make_unit(layer, scheme["Claim"], article.text[:10])
            Layer.objects.filter(pk=layer.pk).update(status=Layer.Status.FINISHED)
    token = make_token(client, manager)
    counted = []
    for url, _ in LISTS:
        assert client.get(url, **bearer(token)).status_code == 200  # the agreement computed and stored
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **bearer(token))
        assert response.status_code == 200
        counted.append((url, len(queries)))

    assert counted == LISTS


def test_assignment_pages_link_to_each_other(client, project, manager):
    for _ in range(3):
        make_article(project)
    token = make_token(client, manager)

    first = client.get(f"/api/v1/projects/{project.slug}/assignments?page_size=2", **bearer(token)).json()
    second = client.get(first["next"], **bearer(token)).json()
    refused = client.get(f"/api/v1/projects/{project.slug}/assignments?annotator=nobody", **bearer(token))

    assert (first["count"], len(first["results"]), len(second["results"]), second["next"]) == (3, 2, 1, None)
    assert (refused.status_code, refused.json()["message"]) == (422, "nobody is not an annotator of this project.")
