"""A long import in a real browser: Import opens the job's page, which follows the worker
by itself, without a reload, until the articles are written."""

import json
import re

from playwright.sync_api import expect

from annotate.models import Article, Job
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_project, make_user
from tests.test_import_tasks import run_worker


def jsonl(count: int) -> bytes:
    lines = [
        {"id": f"a{n}", "title": f"Op-ed {n}", "text": f"Op-ed number {n}. Cities should ban cars."}
        for n in range(count)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def choose_file(page, log_in, settings, tmp_path, name: str, content: bytes):
    """As mia, a manager of "opeds" whose imports all go to a worker: the import page
    with the file chosen."""
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 0
    settings.MEDIA_ROOT = tmp_path
    make_project(manager=make_user("mia_manager"), slug="opeds")
    log_in("mia_manager", "secret-pass-1")
    page.goto("/p/opeds/import/")
    page.get_by_label(re.compile(r"^Files")).set_input_files(
        files=[{"name": name, "mimeType": "application/jsonl", "buffer": content}]
    )


def test_a_queued_import_is_followed_to_the_end_without_a_reload(page, log_in, transactional_db, settings, tmp_path):
    choose_file(page, log_in, settings, tmp_path, "opeds.jsonl", jsonl(300))

    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    job = Job.objects.get()
    assert page.url.endswith(f"/p/opeds/jobs/{job.pk}/")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    page.screenshot(path="/tmp/import-queued.png", full_page=True, caret="initial")
    assert serious_violations(page) == []

    run_worker()

    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.locator("#job-progress .message")).to_have_text(
        "Imported: 300 new articles, 0 already there, 0 layers, 0 units, 0 relations."
    )
    assert page.evaluate("window.sameDocument") is True
    # Finished, the region stops polling.
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-trigger", re.compile("."))
    page.screenshot(path="/tmp/import-done.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Open the articles").click()
    expect(page.get_by_role("link", name="Op-ed 0", exact=True)).to_be_visible()
    assert Article.objects.count() == 300


def test_a_failed_queued_import_lists_its_problems(page, log_in, transactional_db, settings, tmp_path):
    choose_file(page, log_in, settings, tmp_path, "bad.jsonl", b'{"title": "x"\n')
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()

    run_worker()

    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.locator("#job-progress li")).to_have_text(
        ["bad.jsonl line 1: not valid JSON (Expecting ',' delimiter at column 14)"]
    )
    page.screenshot(path="/tmp/import-failed.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
    assert Article.objects.count() == 0


def test_cancel_on_the_page_of_a_queued_import_writes_nothing(page, log_in, transactional_db, settings, tmp_path):
    choose_file(page, log_in, settings, tmp_path, "opeds.jsonl", jsonl(3))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()

    page.get_by_role("button", name="Cancel import").click()

    expect(page.get_by_role("heading", name="Cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel import")).to_have_count(0)
    run_worker()
    page.reload()
    expect(page.get_by_role("heading", name="Cancelled")).to_be_visible()
    assert (Job.objects.get().status, Article.objects.count()) == ("cancelled", 0)
