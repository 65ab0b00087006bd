"""Exports above ANNOTATE_EXPORT_INLINE_UNITS: the export page queues them as a job, a
worker (`manage.py run_worker`) writes the file to the default storage, the job's page
follows it and then offers the download, which is refused a day later.

The tests carry state as a browser does: the CSRF token, the job's address, the polling
and cancel addresses and the download link come from the previous answer. The worker is
the real command, run in batch mode.
"""

import re
import signal
import tempfile
import threading
import time
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, connections
from django.template.defaultfilters import date
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate import datasets, export_jobs, projects, review, units
from annotate.formats import registry
from annotate.formats.records import ArticleRecord, LayerRecord, SpanRecord, UnitRecord
from annotate.models import ArgumentUnit, Job, Layer, Role
from tests.factories import make_article, make_project, make_relation, make_unit, make_user, scheme_of, span_of
from tests.test_import_tasks import cancel, run_worker, stored_files
from tests.test_worker_and_database import until

# The worker commits as it goes, as in production: these tests run on a database they commit to.
pytestmark = pytest.mark.django_db(transaction=True)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = re.compile(r'<form method="(get|post)" class="card narrow"')
POLL = re.compile(r'<section id="job-progress"[^>]*\shx-get="([^"]+)"')
CANCEL = re.compile(r'hx-post="([^"]+/cancel/)"')
SECTION = re.compile(r'<section id="job-progress".*?</section>', re.S)
DOWNLOAD = re.compile(r'<a class="button primary" href="([^"]+/download/)">')
NOTICE = re.compile(r'<p class="message">(.*?)</p>', re.S)

# Every export format, and CoNLL with each of its options.
CHOICES = [{"format": name} for name, format in registry.FORMATS.items() if format.exports] + [
    {"format": "conll", "stance": "on", "relations": "on"},
    {"format": "jsonl", "layers": "annotators", "finished_only": "on"},
    {"format": "aif", "layers": "gold"},
    {"format": "csv", "layers": "ann_annotator"},
]


@pytest.fixture
def stored(settings, tmp_path):
    """Exported files in a directory of the test's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def annotated(project, article, annotator, annotator2, manager):
    """Two annotators' layers (one finished) and gold: 6 units in all."""
    scheme = scheme_of(project)
    for annotator_, finished in [(annotator, True), (annotator2, False)]:
        layer = Layer.objects.get(article=article, annotator=annotator_)
        claim = make_unit(layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"})
        premise = make_unit(layer, scheme["Premise"], "Traffic kills thousands every year")
        make_relation(layer, scheme["supports"], premise, claim)
        if finished:
            Layer.objects.filter(pk=layer.pk).update(status=Layer.Status.FINISHED)
    gold = review.start_gold(article=article, user=manager)
    for quote in ["Cities should ban cars", "most trips in town are short"]:
        units.create_unit(layer=gold, label=scheme["Claim"], spans=[span_of(article.text, quote)], user=manager)
    return project


@pytest.fixture
def large(settings, stored, annotated):
    """Any export of more than one unit is large."""
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1
    return annotated


@pytest.fixture
def curator_client(curator):
    """The curator's browser: CSRF checks on, as in a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    return client


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def export_url(project) -> str:
    return reverse("annotate:dataset_export", args=[project.slug])


def start_export(client, project, **choice) -> str:
    """Choose on the export page and press its button, as a browser does; the job page's
    address the answer sends the browser to."""
    page = client.get(export_url(project)).content.decode()
    assert FORM.search(page).group(1) == "post"
    data = {"csrfmiddlewaretoken": CSRF.search(page).group(1), "layers": "all", **choice}
    response = client.post(export_url(project), data)
    assert response.status_code == 302
    return response["Location"]


def streamed(client, project, **choice) -> bytes:
    """The export downloaded in the request, as the page's GET form asks for it."""
    response = client.get(export_url(project), {"download": "1", "layers": "all", **choice})
    assert (response.status_code, response.streaming) == (200, True)
    return b"".join(response.streaming_content)


def poll(client, url):
    """Ask for the progress as the page's poll does: (status, the region's text, the next
    poll's address or None once the page stops polling, the cancel address, the download link)."""
    response = client.get(url, headers={"HX-Request": "true"})
    section = SECTION.search(response.content.decode()).group(0)
    found = [pattern.search(section) for pattern in (POLL, CANCEL, DOWNLOAD)]
    return (response.status_code, text_of(section), *(unescape(match.group(1)) if match else None for match in found))


def fetched(response) -> bytes:
    return b"".join(response.streaming_content)


def job_id(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


# Small exports stream, as before --------------------------------------------------------


def test_a_small_export_streams_in_the_request_and_queues_nothing(client, curator, annotated, settings):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 6
    client.force_login(curator)

    page = client.get(export_url(annotated)).content.decode()
    content = streamed(client, annotated, format="csv")

    assert (FORM.search(page).group(1), NOTICE.search(page)) == ("get", None)
    assert (content.decode().count("\n"), Job.objects.count()) == (7, 0)


def test_a_small_choice_of_a_large_project_streams_from_the_posted_form(curator_client, large, settings):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 2
    page = curator_client.get(export_url(large)).content.decode()

    response = curator_client.post(
        export_url(large),
        {"csrfmiddlewaretoken": CSRF.search(page).group(1), "format": "csv", "layers": "gold"},
    )

    assert (response.status_code, response.streaming, Job.objects.count()) == (200, True, 0)
    assert fetched(response).decode().count("\n") == 3


# Large exports through a worker ---------------------------------------------------------


def test_the_export_page_of_a_large_project_says_a_worker_writes_the_file(curator_client, large):
    page = curator_client.get(export_url(large)).content.decode()

    assert text_of(NOTICE.search(page).group(1)) == (
        "This project holds more units than are written while you wait (1): a worker writes the file, "
        "and its page follows it and then offers the download."
    )
    assert re.search(r'<button class="primary">([^<]*)</button>', page).group(1) == "Prepare the export"


def test_a_large_download_asked_for_with_get_queues_nothing_and_offers_the_posted_form(curator_client, large):
    response = curator_client.get(export_url(large), {"download": "1", "format": "csv", "layers": "annotators"})

    page = response.content.decode()
    assert (response.status_code, FORM.search(page).group(1), Job.objects.count()) == (200, "post", 0)
    assert text_of(NOTICE.search(page).group(1)).startswith("This export holds more units than")
    assert 'value="annotators" selected' in page


@pytest.mark.parametrize("choice", CHOICES, ids=lambda choice: "-".join(choice.values()))
def test_a_large_export_is_written_by_a_worker_and_downloads_the_bytes_the_stream_gives(
    curator_client, large, stored, settings, choice
):
    job_url = start_export(curator_client, large, **choice)
    assert stored_files(stored) == []

    run_worker()
    status, text, next_poll, cancel_url, download_url = poll(curator_client, job_url)
    downloaded = curator_client.get(download_url)
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1_000_000
    expected = streamed(curator_client, large, **choice)

    job = Job.objects.get()
    file_name = f"opeds-{choice['format']}{registry.get(choice['format']).extension}"
    assert (status, next_poll, cancel_url) == (200, None, None)
    assert (downloaded.status_code, fetched(downloaded)) == (200, expected)
    assert downloaded["Content-Disposition"] == f'attachment; filename="{file_name}"'
    assert downloaded["Content-Type"] == registry.get(choice["format"]).content_type
    assert stored_files(stored) == [f"exports/{job.pk}/{file_name}"]
    assert (job.kind, job.status, job.created_by.username) == ("export", "done", "cory_curator")


def test_the_job_page_follows_the_export_from_queued_to_its_download(curator_client, large, settings):
    job_url = start_export(curator_client, large, format="jsonl", layers="annotators", finished_only="on")

    waiting = poll(curator_client, job_url)
    page = text_of(curator_client.get(job_url).content.decode())
    run_worker()
    ready = poll(curator_client, waiting[2])

    job = Job.objects.get()
    size = default_storage.size(job.result["file"])
    expires = date(job.finished_at + timedelta(days=1), "j F Y, H:i")
    assert f"Export {job.pk} Started " in page
    assert page.endswith(
        "by cory_curator: Native JSON Lines (lossless); all annotators, only finished layers. A worker writes the "
        "file; it is offered for download once it is complete. Waiting for a worker The export starts as soon as "
        "a worker ( manage.py run_worker ) is free. Cancel export"
    )
    assert waiting[:2] == (
        200,
        "Waiting for a worker The export starts as soon as a worker ( manage.py run_worker ) is free. Cancel export",
    )
    assert ready[1] == (
        f"Ready to download Written: 2 units, {size} bytes. Download opeds-jsonl.jsonl "
        f"The file is kept until {expires} UTC ."  # the time is a <time>, then the full stop
    )
    assert ready[4] == reverse("annotate:export_download", args=["opeds", job.pk])


def test_the_download_is_private_and_not_kept_by_caches(curator_client, large):
    job_url = start_export(curator_client, large, format="csv")
    run_worker()

    response = curator_client.get(poll(curator_client, job_url)[4])

    assert (response.status_code, response["Cache-Control"]) == (200, "private, no-store")


def test_cancelling_a_queued_export_writes_nothing_and_the_worker_leaves_it(curator_client, large, stored):
    job_url = start_export(curator_client, large, format="jsonl")
    cancel_url = poll(curator_client, job_url)[3]

    answer = text_of(cancel(curator_client, job_url, cancel_url).content.decode())
    run_worker()

    assert answer == "Cancelled Nothing was exported. Export again"
    assert poll(curator_client, job_url)[1:] == ("Cancelled Nothing was exported. Export again", None, None, None)
    assert (Job.objects.get().status, stored_files(stored)) == ("cancelled", [])


def test_cancelling_a_running_export_stops_it_and_leaves_no_file(curator_client, large, stored):
    """The worker waits to read the units, which the test has locked, saying that it is
    writing; the curator presses Cancel; the worker stops at its next report."""
    job_url = start_export(curator_client, large, format="brat")
    seen, locked = [], threading.Event()

    def lock_the_units_and_cancel():
        other = connections.create_connection("default")
        try:
            other.set_autocommit(False)
            with other.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ArgumentUnit._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            for _ in range(100):
                text, cancel_url = poll(curator_client, job_url)[1::2]
                if text.startswith("Writing the export"):
                    break
                time.sleep(0.1)
            seen.append(text)
            seen.append(text_of(cancel(curator_client, job_url, cancel_url).content.decode()))
            # Until the worker's next report is not held back (reports come at most every
            # PROGRESS_INTERVAL, counted from the last one, whose time the job row keeps).
            since = lambda: (timezone.now() - Job.objects.get().heartbeat_at).total_seconds()  # noqa: E731
            until(lambda: since() > Job.PROGRESS_INTERVAL, "past the interval since the last report")
        finally:
            other.rollback()
            other.close()
            connection.close()

    curator_thread = threading.Thread(target=lock_the_units_and_cancel)
    curator_thread.start()
    locked.wait(10)
    run_worker()
    curator_thread.join()

    assert seen == [
        "Writing the export 0 of 0 units written Cancel export",
        "Writing the export 0 of 0 units written Cancelling: the worker stops at its next step and writes nothing.",
    ]
    assert poll(curator_client, job_url)[1:3] == ("Cancelled Nothing was exported. Export again", None)
    assert (Job.objects.get().message, stored_files(stored)) == ("cancelled; nothing was exported", [])


def test_an_export_whose_worker_was_killed_fails_and_leaves_no_file_to_download(curator_client, large, stored):
    job_url = start_export(curator_client, large, format="jsonl")
    job = Job.objects.get()
    # What a worker killed mid-export leaves: its job running with an old heartbeat,
    # and part of the file written.
    then = timezone.now() - timedelta(seconds=3600)
    Job.objects.filter(pk=job.pk).update(status="running", started_at=then, heartbeat_at=then, phase="exporting")
    default_storage.save(f"exports/{job.pk}/opeds-jsonl.jsonl", ContentFile(b'{"id": "half'))

    status, text, next_poll, cancel_url, download_url = poll(curator_client, job_url)

    assert (status, text, next_poll, download_url) == (
        200,
        "Nothing was exported The worker stopped while running this job. Export again",
        None,
        None,
    )
    download = curator_client.get(reverse("annotate:export_download", args=["opeds", job.pk]))
    assert download.status_code == 404
    # The part written is never offered, and the next export's worker deletes it.
    start_export(curator_client, large, format="csv")
    run_worker()
    assert stored_files(stored) == [f"exports/{job.pk + 1}/opeds-csv.csv"]


def test_storing_the_file_reports_the_bytes_read_so_a_slow_storage_keeps_the_job_alive(large, stored):
    job = Job.objects.create(project=large, kind="export")
    with tempfile.TemporaryFile() as spool:
        spool.write(b"x" * 200_000)
        spool.seek(0)
        default_storage.save("exports/x/f.csv", export_jobs._Storing(spool, "f.csv", job=job, size=200_000))

    job.refresh_from_db()
    assert (job.phase, job.done, job.total, default_storage.size("exports/x/f.csv")) == (
        "storing",
        200_000,
        200_000,
        200_000,
    )


# A day later ------------------------------------------------------------------------------


@pytest.fixture
def a_day_old(curator_client, large):
    """An export written a day and a minute ago: (its job page, its download link)."""
    job_url = start_export(curator_client, large, format="csv")
    run_worker()
    download_url = poll(curator_client, job_url)[4]
    Job.objects.update(finished_at=timezone.now() - timedelta(days=1, minutes=1))
    return job_url, download_url


def test_an_expired_download_is_refused_with_a_message(curator_client, a_day_old):
    job_url, download_url = a_day_old

    response = curator_client.get(download_url)
    job_text = poll(curator_client, job_url)[1]

    job = Job.objects.get()
    expired = date(job.finished_at + timedelta(days=1), "j F Y, H:i")
    assert response.status_code == 410
    assert text_of(re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)) == (
        f"This export has expired The file of export {job.pk} was kept until {expired} UTC and is gone: "
        "export again for a new one. Export again"
    )
    assert job_text == (
        f"Expired The file was kept until {expired} UTC and is gone: export again for a new one. Export again"
    )


def test_prune_exports_deletes_the_expired_files_only(curator_client, a_day_old, large, stored, capsys):
    fresh_url = start_export(curator_client, large, format="jsonl")
    run_worker()  # a worker starting an export prunes too: the command finds nothing left
    fresh = Job.objects.get(pk=int(fresh_url.rstrip("/").rsplit("/", 1)[1]))

    call_command("prune_exports")

    assert capsys.readouterr().out == "Deleted the files of 0 exports, expired or never finished.\n"
    assert stored_files(stored) == [f"exports/{fresh.pk}/opeds-jsonl.jsonl"]
    assert curator_client.get(a_day_old[1]).status_code == 410


def test_the_prune_exports_command_deletes_expired_files_and_says_why(a_day_old, stored, capsys):
    pk = job_id(a_day_old[0])

    call_command("prune_exports")

    assert capsys.readouterr().out == (
        f"Deleted exports/{pk}/opeds-csv.csv (export {pk} of opeds): it had expired.\n"
        "Deleted the files of 1 export, expired or never finished.\n"
    )
    assert stored_files(stored) == []
    assert Job.objects.values_list("file", "message", "stored_bytes").get() == (
        "",
        "the file was deleted: it had expired",
        0,
    )


def test_prune_exports_deletes_what_failed_and_cancelled_exports_left_and_says_why_on_each(
    curator_client, large, stored, capsys
):
    failed_url = start_export(curator_client, large, format="jsonl")
    cancelled_url = start_export(curator_client, large, format="csv")
    failed, cancelled = job_id(failed_url), job_id(cancelled_url)
    # What workers that stopped on the way can leave: their jobs ended, part of a file written.
    for pk, status, message in [
        (failed, "failed", "the worker stopped while running this job"),
        (cancelled, "cancelled", "cancelled; nothing was exported"),
    ]:
        Job.objects.filter(pk=pk).update(status=status, message=message, finished_at=timezone.now())
        default_storage.save(f"exports/{pk}/part", ContentFile(b'{"id": "ha'))

    call_command("prune_exports")

    assert capsys.readouterr().out == (
        f"Deleted exports/{failed}/part (export {failed} of opeds): left by a failed export.\n"
        f"Deleted exports/{cancelled}/part (export {cancelled} of opeds): left by a cancelled export.\n"
        "Deleted the files of 2 exports, expired or never finished.\n"
    )
    assert poll(curator_client, failed_url)[1] == (
        "Nothing was exported The worker stopped while running this job; what it had written of the file was "
        "deleted. Export again"
    )
    assert Job.objects.get(pk=cancelled).message == (
        "cancelled; nothing was exported; what it had written of the file was deleted"
    )
    assert stored_files(stored) == []


# A file gone before its time ----------------------------------------------------------------


def test_an_export_whose_file_is_gone_answers_410_and_its_page_says_so_instead_of_a_link(curator_client, ready, stored):
    job_url, download_url = ready
    for name in stored_files(stored):  # deleted by hand, or lost by the storage
        (stored / name).unlink()

    page = poll(curator_client, job_url)
    download = curator_client.get(download_url)

    assert page == (
        200,
        "The file is gone The file of this export is gone; export again. Export again",
        None,
        None,
        None,
    )
    assert download.status_code == 410
    assert text_of(re.search(r"<main.*</main>", download.content.decode(), re.S).group(0)) == (
        "This export's file is gone The file of this export is gone; export again. Export again"
    )


# Who may download -------------------------------------------------------------------------


@pytest.fixture
def ready(curator_client, large):
    """A written export: its job page and its download link."""
    job_url = start_export(curator_client, large, format="csv")
    run_worker()
    return job_url, poll(curator_client, job_url)[4]


@pytest.mark.parametrize(
    ("persona", "page", "download"),
    [("manager", 200, 200), ("curator", 200, 200), ("annotator", 403, 403), ("outsider", 404, 404)],
)
def test_the_projects_curators_and_managers_follow_and_download_an_export(
    client, ready, request, persona, page, download
):
    client.force_login(request.getfixturevalue(persona))

    assert (client.get(ready[0]).status_code, client.get(ready[1]).status_code) == (page, download)


def test_another_projects_curator_cannot_download(client, ready):
    other = make_user("otto_curator")
    projects.set_member(project=make_project(slug="other"), user=other, role=Role.CURATOR, by=None)
    client.force_login(other)

    assert client.get(ready[1]).status_code == 404
    assert client.get(ready[1].replace("/opeds/", "/other/")).status_code == 404


def test_a_curator_follows_exports_but_not_imports(client, curator, project):
    imported = Job.objects.create(project=project, kind="import")
    client.force_login(curator)

    assert client.get(reverse("annotate:job_detail", args=[project.slug, imported.pk])).status_code == 403
    assert client.get(reverse("annotate:export_download", args=[project.slug, imported.pk])).status_code == 404


def test_the_download_is_read_with_get(client, curator, ready):
    client.force_login(curator)

    assert client.post(ready[1]).status_code == 405


@pytest.mark.parametrize("n", [1, 20])
def test_the_job_page_of_an_export_runs_a_fixed_number_of_queries(
    client, curator, curator_client, large, manager, n, django_assert_num_queries
):
    for _ in range(n):
        make_article(large)
    job_url = start_export(curator_client, large, format="jsonl")
    run_worker()
    client.force_login(curator)

    # Session, user, membership, the stale check, the job.
    with django_assert_num_queries(5):
        response = client.get(job_url, headers={"HX-Request": "true"})
    download_url = poll(client, job_url)[4]
    # Session, user, membership, the job.
    with django_assert_num_queries(4):
        download = client.get(download_url)

    assert (response.status_code, download.status_code) == (200, 200)


# A worker killed for real -------------------------------------------------------------------


def test_a_worker_process_killed_mid_export_leaves_its_job_failed_and_nothing_to_download(
    curator_client, project, settings, tmp_path
):
    from tests.test_scale_out import Machines  # a worker as a process of its own

    text = "Cities should ban cars. " * 40
    spans = [SpanRecord(start, start + 6) for start in range(0, len(text) - 10, 8)]
    datasets.import_records(
        project=project,
        records=[
            ArticleRecord(
                title=f"Op-ed {n}",
                text=f"{text}({n})",
                layers=[LayerRecord("gold", units=[UnitRecord(f"T{i}", "Premise", [s]) for i, s in enumerate(spans)])],
            )
            for n in range(1200)
        ],
        user=None,
    )
    machines = Machines(tmp_path)
    settings.MEDIA_ROOT = machines.env["MEDIA_ROOT"]
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1
    settings.ANNOTATE_JOB_STALE_SECONDS = int(machines.env["ANNOTATE_JOB_STALE_SECONDS"])
    try:
        worker = machines.worker()
        job_url = start_export(curator_client, project, format="brat")
        job = Job.objects.get()
        for _ in range(1200):  # until the worker has written some of the units
            job.refresh_from_db()
            if job.phase == "exporting" and job.done > 0:
                break
            time.sleep(0.05)
        assert (job.status, job.done < job.total) == ("running", True)

        worker.send_signal(signal.SIGKILL)
        worker.wait()
        # The job's page says so once the job's heartbeat is older than ANNOTATE_JOB_STALE_SECONDS.
        until(lambda: poll(curator_client, job_url)[1].startswith("Nothing was exported"), "failed", seconds=60)
        status, text, next_poll, cancel_url, download_url = poll(curator_client, job_url)
    finally:
        machines.stop()

    assert (status, text, next_poll, download_url) == (
        200,
        "Nothing was exported The worker stopped while running this job. Export again",
        None,
        None,
    )
    assert curator_client.get(reverse("annotate:export_download", args=["opeds", job.pk])).status_code == 404
    assert stored_files(Path(settings.MEDIA_ROOT)) == []
