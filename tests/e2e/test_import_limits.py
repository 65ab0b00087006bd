"""A file larger than one request may carry, in a real browser: the import page's script
(static/annotate/upload.js) sends it in chunks, goes on after a dropped connection from
the offset the server gives, and follows the job a worker runs on the assembled file.
The console stays free of errors and Content-Security-Policy reports (tests/e2e/console.py),
but for the browser's word about the request a test drops."""

import json
import re

from django.test import override_settings
from playwright.sync_api import expect

from annotate.models import Article, Job, Upload
from tests.e2e.console import CONNECTION_FAILED
from tests.factories import make_project, make_user
from tests.test_import_tasks import run_worker

CHUNK = 4096


def jsonl(count: int) -> bytes:
    lines = [{"title": f"Op-ed {n}", "text": f"Op-ed number {n}. Cities should ban cars, " * 5} for n in range(count)]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000, ANNOTATE_UPLOAD_CHUNK_BYTES=CHUNK)
def test_a_file_above_the_request_limit_goes_in_chunks_and_survives_a_dropped_one(
    page, log_in, transactional_db, settings, tmp_path, console_watch
):
    settings.MEDIA_ROOT = tmp_path
    manager = make_user("mia_manager")
    make_project(manager=manager, slug="opeds")
    content = jsonl(100)
    assert len(content) > 4 * CHUNK
    log_in("mia_manager", "secret-pass-1")
    console_watch.expect(CONNECTION_FAILED)
    dropped: list[str] = []

    def drop_the_third_chunk_once(route):
        if "offset=8192" in route.request.url and not dropped:
            dropped.append(route.request.url)
            route.abort()  # as a connection that drops: the page never hears back
        else:
            route.continue_()

    page.route(re.compile(r"/import/uploads/[0-9a-f-]+/\?offset="), drop_the_third_chunk_once)
    page.goto("/p/opeds/import/")
    page.get_by_label(re.compile(r"^Files")).set_input_files(
        files=[{"name": "opeds.jsonl", "mimeType": "application/jsonl", "buffer": content}]
    )

    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    job = Job.objects.get()
    assert page.url.endswith(f"/p/opeds/jobs/{job.pk}/")
    assert (len(dropped), Upload.objects.count()) == (1, 0)  # the upload is the job's now
    run_worker()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.locator("#job-progress .message")).to_have_text(
        "Imported: 100 new articles, 0 already there, 0 layers, 0 units, 0 relations."
    )
    assert Article.objects.count() == 100
    # The one error: Chromium's word about the request the test dropped.
    assert console_watch.messages() == ["Failed to load resource: net::ERR_FAILED"]


@override_settings(ANNOTATE_MAX_UPLOAD_BYTES=1000, ANNOTATE_UPLOAD_CHUNK_BYTES=CHUNK)
def test_a_large_preview_is_a_job_whose_page_offers_the_import(page, log_in, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_project(manager=make_user("mia_manager"), slug="opeds")
    log_in("mia_manager", "secret-pass-1")
    page.goto("/p/opeds/import/")
    page.get_by_label(re.compile(r"^Files")).set_input_files(
        files=[{"name": "opeds.jsonl", "mimeType": "application/jsonl", "buffer": jsonl(30)}]
    )

    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    run_worker()
    expect(page.get_by_role("heading", name="Ready to import")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    run_worker()

    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    assert (Article.objects.count(), Upload.objects.count()) == (30, 0)
