"""A large export in a real browser: the export page says a worker writes it, Prepare
the export opens the job's page, which follows the worker by itself, without a reload,
and then offers the file."""

import re

from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Job, Layer, Role
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_article, make_project, make_unit, make_user, scheme_of
from tests.test_import_tasks import run_worker


def test_a_large_export_is_followed_to_its_download_without_a_reload(
    page, log_in, transactional_db, settings, tmp_path
):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 10
    settings.MEDIA_ROOT = tmp_path
    manager, curator, annotator = make_user("mia_manager"), make_user("cory_curator"), make_user("ann_annotator")
    project = make_project(manager=manager, slug="opeds")
    projects.set_member(project=project, user=curator, role=Role.CURATOR, by=None)
    projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=None)
    scheme = scheme_of(project)
    for _ in range(6):
        article = make_article(project)
        projects.assign(article=article, annotators=[annotator], by=manager)
        layer = Layer.objects.get(article=article)
        make_unit(layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"})
        make_unit(layer, scheme["Premise"], "Traffic kills thousands every year")
    log_in("cory_curator", "secret-pass-1")
    page.goto("/p/opeds/export/")
    expect(page.locator("form .message")).to_have_text(
        "This project holds more units than are written while you wait (10): a worker writes the file, "
        "and its page follows it and then offers the download."
    )
    page.get_by_label("Format").select_option(label="CSV, one row per span")
    page.screenshot(path="/tmp/export-large.png", full_page=True, caret="initial")
    assert serious_violations(page) == []

    page.get_by_role("button", name="Prepare the export").click()

    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    job = Job.objects.get()
    assert page.url.endswith(f"/p/opeds/jobs/{job.pk}/")
    expect(page.locator(".lead")).to_contain_text(
        "cory_curator: CSV, one row per span; gold and all annotators. A worker writes the file; "
        "it is offered for download once it is complete."
    )
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    page.screenshot(path="/tmp/export-queued.png", full_page=True, caret="initial")
    assert serious_violations(page) == []

    run_worker()

    expect(page.get_by_role("heading", name="Ready to download")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-trigger", re.compile("."))
    page.screenshot(path="/tmp/export-ready.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download opeds-csv.csv").click()
    downloaded = open(download.value.path(), "rb").read()

    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1_000
    browser_less = Client()
    browser_less.force_login(curator)
    streamed = browser_less.get(
        reverse("annotate:dataset_export", args=["opeds"]), {"download": "1", "format": "csv", "layers": "all"}
    )
    assert download.value.suggested_filename == "opeds-csv.csv"
    assert downloaded == b"".join(streamed.streaming_content)
    assert downloaded.decode().count("\n") == 13
