"""The limits on jobs and a lost export file in a real browser: the import page and the
export page say which limit refused a job, the export page shows what the project's
stored files take, and an export's page says when its file is gone."""

import re

import pytest
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Job, Layer, Role
from tests.e2e.console import refused
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_article, make_project, make_unit, make_user, scheme_of
from tests.test_import_tasks import run_worker


@pytest.fixture
def opeds(transactional_db, settings, tmp_path):
    """A project whose imports and exports (of more than one unit) go through the queue,
    with room for one job at a time."""
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 0
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1
    settings.ANNOTATE_MAX_PROJECT_JOBS = 1
    settings.MEDIA_ROOT = tmp_path
    manager, curator, annotator = make_user("mia_manager"), make_user("cory_curator"), make_user("ann_annotator")
    project = make_project(manager=manager, slug="opeds")
    projects.set_member(project=project, user=curator, role=Role.CURATOR, by=None)
    projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=None)
    article = make_article(project)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article)
    make_unit(layer, scheme_of(project)["Claim"], "Cities should ban cars", attributes={"stance": "For"})
    make_unit(layer, scheme_of(project)["Premise"], "Traffic kills thousands every year")
    return project


# The browser's own report of the refusal's status: the only console error a refusal may bring.
REFUSED_422 = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"


def import_a_file(page, name: str):
    page.goto("/p/opeds/import/")
    page.get_by_label(re.compile(r"^Files")).set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": f"{name}\n\nCities should ban cars.".encode()}]
    )
    page.get_by_role("button", name="Import", exact=True).click()


def test_the_import_page_says_the_project_has_no_room_for_another_job(page, log_in, opeds, console_watch):
    console_watch.expect(refused(422))
    log_in("mia_manager", "secret-pass-1")
    import_a_file(page, "one.txt")
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    queued = Job.objects.get()

    import_a_file(page, "two.txt")

    expect(page.locator("#import-preview .message.error")).to_have_text(
        f"This project has 1 job queued or running, as many as it may have at once (ANNOTATE_MAX_PROJECT_JOBS): "
        f"import {queued.pk} (queued). Try again once one of them has ended, or cancel one."
    )
    page.screenshot(path="/tmp/import-refused.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
    assert (Job.objects.count(), console_watch.messages()) == (1, [REFUSED_422])


def test_the_export_page_shows_the_stored_files_and_refuses_an_export_with_no_room(page, log_in, opeds, console_watch):
    console_watch.expect(refused(422))
    log_in("cory_curator", "secret-pass-1")
    page.goto("/p/opeds/export/")
    expect(page.locator("#stored-files")).to_have_text(
        "Stored files: 0 bytes of 2.0 GB (large exports until they expire, large imports until they are written)."
    )
    page.get_by_role("button", name="Prepare the export").click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    queued = Job.objects.get()

    page.goto("/p/opeds/export/")
    page.get_by_label("Format").select_option(label="CSV, one row per span")
    page.get_by_role("button", name="Prepare the export").click()

    expect(page.get_by_role("alert")).to_have_text(
        f"This project has 1 job queued or running, as many as it may have at once (ANNOTATE_MAX_PROJECT_JOBS): "
        f"export {queued.pk} (queued). Try again once one of them has ended, or cancel one."
    )
    page.screenshot(path="/tmp/export-refused.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
    assert (Job.objects.count(), console_watch.messages()) == (1, [REFUSED_422])


def test_an_exports_page_says_its_file_is_gone_instead_of_offering_it(page, log_in, opeds, tmp_path):
    log_in("cory_curator", "secret-pass-1")
    page.goto("/p/opeds/export/")
    page.get_by_role("button", name="Prepare the export").click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    run_worker()
    expect(page.get_by_role("heading", name="Ready to download")).to_be_visible()
    size = Job.objects.get().stored_bytes
    page.goto("/p/opeds/export/")
    expect(page.locator("#stored-files")).to_contain_text(f"Stored files: {size} bytes of 2.0 GB")
    page.go_back()
    for path in (tmp_path / "exports").rglob("*.*"):  # deleted by hand
        path.unlink()

    page.reload()

    expect(page.get_by_role("heading", name="The file is gone")).to_be_visible()
    expect(page.locator("#job-progress .message")).to_have_text("The file of this export is gone; export again.")
    expect(page.get_by_role("link", name=re.compile("^Download"))).to_have_count(0)
    page.screenshot(path="/tmp/export-gone.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
