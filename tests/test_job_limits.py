"""Limits on the jobs people queue (annotate/job_limits.py): a project's imports and
exports queued or running at once, a person's jobs a minute, the bytes a project's
stored files take; an export identical to one still offered is not written again; and
the worker gives every project its turn.

The tests carry state as a browser does: the CSRF token, the jobs' addresses and ids
come from the previous answer. The worker is the real command, run in batch mode.
"""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from annotate import lifecycle, projects
from annotate.models import Job, Layer
from tests.factories import make_article, make_project, make_unit, scheme_of
from tests.test_import_tasks import (
    CSRF,
    GOOD,
    cancel,
    files,
    left_by_a_killed_worker,
    poll,
    run_worker,
    start_import,
    stored_files,
    text_of,
)

# The worker commits as it goes, as in production: these tests run on a database they commit to.
pytestmark = pytest.mark.django_db(transaction=True)

PREVIEW = re.compile(r'<section id="import-preview".*?</section>', re.S)
REFUSED = re.compile(r'<p class="message error" role="alert">(.*?)</p>', re.S)
STORED = re.compile(r'<p class="muted" id="stored-files">(.*?)</p>', re.S)
THIRD = [(b"Third op-ed\n\nA third op-ed.", "three.txt")]


@pytest.fixture
def stored(settings, tmp_path):
    """Every import goes through the queue, every export of more than one unit too; the
    stored files in a directory of the test's."""
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 0
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def manager_client(manager, stored):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    return client


@pytest.fixture
def curator_client(curator, stored):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    return client


@pytest.fixture
def annotated(project, article, annotator):
    """Two units: any export of them is written by a worker."""
    layer = Layer.objects.get(article=article, annotator=annotator)
    scheme = scheme_of(project)
    make_unit(layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"})
    make_unit(layer, scheme["Premise"], "Traffic kills thousands every year")
    return layer


def job_id(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


def post_import(client, project, pairs):
    """Press Import on the import page as htmx does; the answer."""
    url = reverse("annotate:dataset_import", args=[project.slug])
    token = CSRF.search(client.get(url).content.decode()).group(1)
    data = {"csrfmiddlewaretoken": token, "files": files(pairs), "action": "import", "unknown": "fail"}
    return client.post(url, data, headers={"HX-Request": "true"})


def preview_text(response) -> str:
    return text_of(PREVIEW.search(response.content.decode()).group(0))


def export_url(project) -> str:
    return reverse("annotate:dataset_export", args=[project.slug])


def post_export(client, project, **choice):
    """Choose on the export page and press Prepare the export; the answer."""
    token = CSRF.search(client.get(export_url(project)).content.decode()).group(1)
    return client.post(export_url(project), {"csrfmiddlewaretoken": token, "layers": "all", **choice})


def refusal(response) -> str:
    return text_of(REFUSED.search(response.content.decode()).group(1))


# A project's jobs queued or running ---------------------------------------------------


def test_an_import_past_the_projects_job_limit_is_refused_naming_the_limit_and_its_jobs(
    manager_client, project, stored, settings
):
    settings.ANNOTATE_MAX_PROJECT_JOBS = 2
    first = job_id(start_import(manager_client, project, GOOD[:1]))
    second = start_import(manager_client, project, GOOD[1:])
    files_before = stored_files(stored)

    response = post_import(manager_client, project, THIRD)

    assert (response.status_code, preview_text(response)) == (
        422,
        f"Not imported This project has 2 jobs queued or running, as many as it may have at once "
        f"(ANNOTATE_MAX_PROJECT_JOBS): import {first} (queued), import {job_id(second)} (queued). "
        "Try again once one of them has ended, or cancel one.",
    )
    assert (Job.objects.count(), DBTaskResult.objects.count(), stored_files(stored)) == (2, 2, files_before)
    # Once one of them is cancelled, the next fits.
    cancel(manager_client, second, poll(manager_client, second)[3])
    assert post_import(manager_client, project, THIRD).status_code == 200
    assert Job.objects.filter(status="queued").count() == 2


def test_an_export_past_the_projects_job_limit_is_refused_and_nothing_is_queued(
    manager_client, curator_client, project, annotated, settings
):
    settings.ANNOTATE_MAX_PROJECT_JOBS = 2
    imported = job_id(start_import(manager_client, project, GOOD))
    exported = job_id(post_export(curator_client, project, format="csv")["Location"])

    response = post_export(curator_client, project, format="jsonl")

    assert (response.status_code, refusal(response)) == (
        422,
        f"This project has 2 jobs queued or running, as many as it may have at once (ANNOTATE_MAX_PROJECT_JOBS): "
        f"import {imported} (queued), export {exported} (queued). Try again once one of them has ended, "
        "or cancel one.",
    )
    assert (Job.objects.count(), DBTaskResult.objects.count()) == (2, 2)


def test_the_import_command_is_held_to_the_projects_job_limit(project, stored, settings, tmp_path):
    settings.ANNOTATE_MAX_PROJECT_JOBS = 1
    paths = []
    for content, name in GOOD:
        paths.append(tmp_path / name)
        paths[-1].write_bytes(content)
    call_command("import_articles", "--project", "opeds", "--queue", str(paths[0]))
    files_before = stored_files(stored)

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", "--project", "opeds", "--queue", str(paths[1]))

    (queued,) = Job.objects.values_list("pk", flat=True)  # the id the first command printed
    assert str(raised.value) == (
        "Not queued: This project has 1 job queued or running, as many as it may have at once "
        f"(ANNOTATE_MAX_PROJECT_JOBS): import {queued} (queued). Try again once one of them has ended, or cancel one."
    )
    assert (Job.objects.count(), DBTaskResult.objects.count(), stored_files(stored)) == (1, 1, files_before)


def test_a_job_whose_worker_stopped_keeps_no_place(manager_client, project, settings):
    settings.ANNOTATE_MAX_PROJECT_JOBS = 1
    stopped = left_by_a_killed_worker(start_import(manager_client, project, GOOD[:1]), seconds_ago=3600)

    response = post_import(manager_client, project, GOOD[1:])

    assert response.status_code == 200
    assert list(Job.objects.order_by("pk").values_list("pk", "status")) == [
        (stopped.pk, "failed"),
        (job_id(response["HX-Redirect"]), "queued"),
    ]


def test_another_projects_jobs_leave_this_projects_room(manager_client, manager, project, settings):
    settings.ANNOTATE_MAX_PROJECT_JOBS = 1
    other = make_project(manager=manager, slug="other")
    start_import(manager_client, other, GOOD)

    assert post_import(manager_client, project, GOOD).status_code == 200


def test_the_agreement_page_queues_its_computation_outside_the_projects_limit(
    client, curator, manager_client, project, annotated, settings
):
    """The page queues it, not a person, at most one a combination of options: it takes
    no place of the project's (annotate/agreement_jobs.py says why)."""
    settings.ANNOTATE_AGREEMENT_INLINE = False
    settings.ANNOTATE_MAX_PROJECT_JOBS = 1
    client.force_login(curator)
    client.get(reverse("annotate:agreement", args=[project.slug]))

    response = post_import(manager_client, project, GOOD)

    assert response.status_code == 200
    assert sorted(Job.objects.values_list("kind", "status")) == [("agreement", "queued"), ("import", "queued")]


# A person's jobs a minute ---------------------------------------------------------------


def test_a_person_past_the_rate_is_refused_with_when_to_try_again(manager_client, project, stored, settings):
    settings.ANNOTATE_MAX_USER_JOBS_PER_MINUTE = 2
    start_import(manager_client, project, GOOD[:1])
    start_import(manager_client, project, GOOD[1:])
    Job.objects.update(created_at=F("created_at") - timedelta(seconds=45))  # queued 45 s ago
    files_before = stored_files(stored)

    response = post_import(manager_client, project, THIRD)

    assert (response.status_code, response["Retry-After"], preview_text(response)) == (
        429,
        "15",
        "Not imported You have queued 2 jobs in the last minute, as many as one person may "
        "(ANNOTATE_MAX_USER_JOBS_PER_MINUTE): try again in 15 s.",
    )
    assert (Job.objects.count(), DBTaskResult.objects.count(), stored_files(stored)) == (2, 2, files_before)
    # A minute after the first of them, the next fits.
    Job.objects.update(created_at=F("created_at") - timedelta(seconds=16))
    assert post_import(manager_client, project, THIRD).status_code == 200


def test_the_export_page_refuses_a_person_past_the_rate(curator_client, project, annotated, settings):
    settings.ANNOTATE_MAX_USER_JOBS_PER_MINUTE = 1
    post_export(curator_client, project, format="csv")

    response = post_export(curator_client, project, format="jsonl")

    assert (response.status_code, response["Retry-After"], refusal(response)) == (
        429,
        "60",
        "You have queued 1 jobs in the last minute, as many as one person may (ANNOTATE_MAX_USER_JOBS_PER_MINUTE): "
        "try again in 60 s.",
    )
    assert (Job.objects.count(), DBTaskResult.objects.count()) == (1, 1)


def test_the_rate_is_a_persons_own(curator_client, manager_client, project, annotated, settings):
    settings.ANNOTATE_MAX_USER_JOBS_PER_MINUTE = 1
    post_export(curator_client, project, format="csv")

    assert post_import(manager_client, project, GOOD).status_code == 200


# The bytes of a project's stored files ---------------------------------------------------


def test_an_upload_that_would_take_the_stored_files_over_their_limit_is_refused_and_not_stored(
    manager_client, project, stored, settings
):
    settings.ANNOTATE_MAX_PROJECT_STORED_BYTES = len(GOOD[0][0]) + 10
    start_import(manager_client, project, GOOD[:1])
    files_before = stored_files(stored)

    response = post_import(manager_client, project, GOOD[1:])

    assert (response.status_code, preview_text(response)) == (
        422,
        f"Not imported These files ({len(GOOD[1][0])} bytes) would take this project's stored files over their "
        f"limit: {len(GOOD[0][0])} bytes of {len(GOOD[0][0]) + 10} bytes are stored "
        "(ANNOTATE_MAX_PROJECT_STORED_BYTES). An import's files are deleted when it ends and an export's when it "
        "expires: try again then, or import fewer files at once.",
    )
    assert (Job.objects.count(), DBTaskResult.objects.count(), stored_files(stored)) == (1, 1, files_before)
    # Once the first import is written, its files are deleted, and the second fits.
    run_worker()
    assert post_import(manager_client, project, GOOD[1:]).status_code == 200


def test_an_export_whose_file_would_take_the_stored_files_over_their_limit_fails_and_stores_nothing(
    curator_client, project, annotated, stored, settings
):
    settings.ANNOTATE_MAX_PROJECT_STORED_BYTES = 100
    job_url = post_export(curator_client, project, format="jsonl")["Location"]

    run_worker()
    status, text, *_ = poll(curator_client, job_url)

    written = re.search(r"The file \((\d+) bytes\)", text).group(1)
    assert status == 200
    assert text == (
        f"Nothing was exported The file ({written} bytes) would take this project's stored files over their limit: "
        "0 bytes of 100 bytes are stored (ANNOTATE_MAX_PROJECT_STORED_BYTES); nothing was exported. Export again"
    )
    assert int(written) > 100
    assert (stored_files(stored), list(Job.objects.values_list("status", "stored_bytes"))) == ([], [("failed", 0)])


def test_no_export_is_queued_while_the_stored_files_are_at_their_limit(curator_client, project, annotated, settings):
    job_url = post_export(curator_client, project, format="csv")["Location"]
    run_worker()
    size = int(re.search(r"Written: 2 units, (\d+) bytes", poll(curator_client, job_url)[1]).group(1))
    settings.ANNOTATE_MAX_PROJECT_STORED_BYTES = size

    response = post_export(curator_client, project, format="jsonl")

    assert (response.status_code, refusal(response)) == (
        422,
        f"This project's stored files take {size} bytes of {size} bytes, their limit "
        "(ANNOTATE_MAX_PROJECT_STORED_BYTES): no export can be written until an export's file expires "
        "or an import ends.",
    )
    assert (Job.objects.count(), DBTaskResult.objects.count()) == (1, 1)


def test_the_export_page_shows_what_the_stored_files_take(curator_client, project, annotated, settings):
    before = text_of(STORED.search(curator_client.get(export_url(project)).content.decode()).group(1))
    job_url = post_export(curator_client, project, format="csv")["Location"]
    run_worker()
    size = int(re.search(r"Written: 2 units, (\d+) bytes", poll(curator_client, job_url)[1]).group(1))

    after = text_of(STORED.search(curator_client.get(export_url(project)).content.decode()).group(1))

    assert (before, after) == (
        "Stored files: 0 bytes of 2.0 GB (large exports until they expire, large imports until they are written).",
        f"Stored files: {size} bytes of 2.0 GB (large exports until they expire, large imports until they are "
        "written).",
    )


@pytest.mark.parametrize(("n", "size"), [(1, "1000 bytes"), (20, "19.5 KB")])
def test_the_export_page_runs_a_fixed_number_of_queries(
    client, curator, project, stored, n, size, django_assert_num_queries
):
    for number in range(n):
        Job.objects.create(project=project, kind="export", status="done", stored_bytes=1000, file=f"exports/{number}")
    client.force_login(curator)

    # Session, user, membership, the form's annotators, the project's newest change (the
    # units' count is kept under it), the units, the stored files.
    with django_assert_num_queries(7):
        response = client.get(export_url(project))

    assert text_of(STORED.search(response.content.decode()).group(1)).startswith(f"Stored files: {size} of 2.0 GB")


# The same export again -------------------------------------------------------------------


def test_an_export_identical_to_one_queued_or_offered_leads_to_it_instead_of_a_new_one(
    curator_client, project, annotated, stored
):
    first = post_export(curator_client, project, format="conll", stance="on")["Location"]

    while_queued = post_export(curator_client, project, format="conll", stance="on")
    run_worker()
    once_written = post_export(curator_client, project, format="conll", stance="on")
    page = curator_client.get(once_written["Location"]).content.decode()

    assert (while_queued.status_code, while_queued["Location"]) == (302, first)
    assert (once_written.status_code, once_written["Location"]) == (302, first)
    assert re.search(r'<li class="message info">(.*?)</li>', page).group(1) == (
        f"Export {job_id(first)} made the same choices, and the project has not changed since: it is offered here "
        "instead of being written again."
    )
    assert (Job.objects.count(), DBTaskResult.objects.count(), len(stored_files(stored))) == (1, 1, 1)


@pytest.mark.parametrize(
    "change",
    ["other options", "other layers", "a unit made", "a layer finished", "a label renamed", "an article added"],
)
def test_an_export_of_other_choices_or_of_a_changed_project_is_written_anew(curator_client, project, annotated, change):
    first = post_export(curator_client, project, format="conll", stance="on")["Location"]
    run_worker()
    choice = {"format": "conll", "stance": "on"}
    if change == "other options":
        choice["relations"] = "on"
    elif change == "other layers":
        choice["layers"] = "annotators"
    elif change == "a unit made":
        make_unit(annotated, scheme_of(project)["Premise"], "most trips in town are short")
    elif change == "a layer finished":
        lifecycle.finish_layer(layer=annotated, user=annotated.annotator, confirmed=True)
    elif change == "a label renamed":
        project.labels.filter(name="Premise").update(name="Reason")
    else:
        make_article(project)

    again = post_export(curator_client, project, **choice)

    assert (again.status_code, again["Location"] != first, Job.objects.count()) == (302, True, 2)


def test_an_identical_export_whose_file_is_gone_is_written_again(curator_client, project, annotated, stored):
    first = post_export(curator_client, project, format="csv")["Location"]
    run_worker()
    for name in stored_files(stored):  # deleted by hand
        (stored / name).unlink()

    again = post_export(curator_client, project, format="csv")

    assert (again.status_code, again["Location"] != first, Job.objects.count()) == (302, True, 2)


@pytest.mark.parametrize("n", [1, 20])
def test_queueing_an_export_runs_a_fixed_number_of_queries(
    curator_client, project, annotated, manager, annotator, n, django_assert_num_queries
):
    for _ in range(n):
        projects.assign(article=make_article(project), annotators=[annotator], by=manager)
    token = CSRF.search(curator_client.get(export_url(project)).content.decode()).group(1)

    # Session, user, membership, the form's annotators, the units; the key: the layers,
    # the articles, labels and relation types; the stale check; the lock, an identical
    # export, the rate, the project's jobs, the stored files, the priority; the job, its
    # task, its file (and the transaction's BEGIN and COMMIT).
    with django_assert_num_queries(21):
        response = curator_client.post(
            export_url(project), {"csrfmiddlewaretoken": token, "layers": "all", "format": "csv"}
        )

    assert response.status_code == 302


# Every project's turn --------------------------------------------------------------------


def test_the_worker_takes_a_projects_first_job_before_another_projects_later_ones(
    manager_client, manager, project, stored
):
    """Three imports of one project, then one of another: the worker (its own claim
    order, by priority) runs the other project's import second, not last."""
    other = make_project(manager=manager, slug="other")
    first, second, third = [
        job_id(start_import(manager_client, project, [(f"Op-ed {n}\n\nText {n}.".encode(), f"{n}.txt")]))
        for n in range(3)
    ]
    elsewhere = job_id(start_import(manager_client, other, GOOD))

    run_worker()

    started = list(Job.objects.order_by("started_at").values_list("pk", "status"))
    assert started == [(first, "done"), (elsewhere, "done"), (second, "done"), (third, "done")]
