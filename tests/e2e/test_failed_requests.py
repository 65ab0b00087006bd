"""A failed request on a page that changes data over HTMX, in a real browser: the page
says so in its own message area (static/annotate/request-failures.js), nothing is
changed, and the next request that succeeds takes the message away.

Each test makes one real change through the page, first with the server's answer made a
500 and then with no answer at all (the request cut off), with Playwright's routing; only
the third try reaches the server. The workspace has its own words for this
(test_lost_answers.py)."""

import re

import pytest
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Article, Role, text_hash
from tests.e2e.console import CONNECTION_FAILED, HTMX_NO_ANSWER, htmx_response_error, refused
from tests.e2e.test_import_progress import choose_file, jsonl
from tests.e2e.test_journey_curator import lane_units
from tests.e2e.test_review import CLAIM, calm_streets  # noqa: F401 (a fixture)
from tests.factories import make_project, make_unit, make_user

SERVER_ERROR = "Something went wrong on the server; nothing was changed. Try again, or reload."
NO_ANSWER = "The server did not answer; nothing was changed. Try again when it is back."
READ_SERVER_ERROR = (
    "Something went wrong on the server; this part of the page was not brought up to date. Reload to try again."
)


@pytest.fixture
def failures(expect_console_errors):
    """Declares what the browser says about a 500 and a cut-off request (htmx names the
    element it reports on, which may be a plain HTMLElement such as a <section>)."""
    expect_console_errors(
        refused(500),
        htmx_response_error(500).replace(r"HTML\w+Element", r"HTML\w*Element"),
        CONNECTION_FAILED,
        *(pattern.replace(r"HTML\w+Element", r"HTML\w*Element") for pattern in HTMX_NO_ANSWER),
    )


def post_fails(page, url: str, how):
    """Makes every POST to `url` (a glob) fail `how` ("500" or "abort"), until unrouted;
    other requests go through."""

    def handle(route):
        if route.request.method != "POST":
            route.continue_()
        elif how == "500":
            route.fulfill(status=500, content_type="text/html", body="<h1>Server Error (500)</h1>")
        else:
            route.abort()

    page.route(url, handle)


def fails_twice_then_goes_through(page, url: str, act, alert):
    """`act` three times: answered with a 500, then with nothing, then by the server;
    `alert` says each failure, and the success takes it away."""
    post_fails(page, url, "500")
    act()
    expect(alert).to_have_text(f"{SERVER_ERROR} Dismiss")
    page.unroute(url)
    post_fails(page, url, "abort")
    act()
    expect(alert).to_have_text(f"{NO_ANSWER} Dismiss")
    page.unroute(url)
    act()
    expect(alert).to_have_count(0)


def test_the_review_page_says_an_adoption_failed_and_adopts_on_the_next_try(
    page,
    log_in,
    calm_streets,  # noqa: F811 (the fixture imported above)
    failures,
):
    project, article, scheme, ann_layer, ben_layer = calm_streets
    make_unit(ann_layer, scheme["Claim"], CLAIM)
    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/review/")
    gold = lane_units(page, "gold")
    alert = page.locator("#review-message").get_by_role("alert")

    def adopt():
        page.get_by_role("button", name=f"Adopt Claim “{CLAIM}” from ann_annotator").locator(".frag").first.click()

    post_fails(page, "**/review/adopt/**", "500")
    adopt()
    expect(alert).to_have_text(f"{SERVER_ERROR} Dismiss")
    expect(gold).to_have_count(0)
    page.screenshot(path="/tmp/failed-adoption.png", caret="initial")
    page.unroute("**/review/adopt/**")
    post_fails(page, "**/review/adopt/**", "abort")
    adopt()
    expect(alert).to_have_text(f"{NO_ANSWER} Dismiss")
    expect(gold).to_have_count(0)
    page.unroute("**/review/adopt/**")
    adopt()
    expect(page.locator("#review-message")).to_have_text(f"Claim “{CLAIM}” adopted.")
    expect(alert).to_have_count(0)

    page.reload()
    expect(gold).to_have_text([f"Claim “{CLAIM}”: 1 of 2 annotators"])


@pytest.fixture
def small_lab(transactional_db):
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="lab")
    projects.set_member(project=project, user=make_user("alice"), role=Role.ANNOTATOR, by=manager)
    Article.objects.bulk_create(
        Article(project=project, title=f"Op-ed {n}", text=f"Text {n}.", text_hash=text_hash(f"Text {n}."))
        for n in range(2)
    )
    return project


def test_the_assignment_page_says_a_save_failed_and_keeps_the_ticks_for_the_next_try(page, log_in, small_lab, failures):
    log_in("mia_manager", "secret-pass-1")
    page.goto("/p/lab/assignment/")
    page.get_by_label("Assign “Op-ed 1” to alice").check()
    alert = page.locator("#messages").get_by_role("alert")

    def save():
        page.get_by_role("button", name="Save this page").click()

    post_fails(page, "**/assignment/save/", "500")
    save()
    expect(alert).to_have_text(f"{SERVER_ERROR} Dismiss")
    expect(page.locator("#unsaved")).to_have_text("1 change not saved yet.")
    page.screenshot(path="/tmp/failed-assignment.png", caret="initial")
    page.unroute("**/assignment/save/")
    post_fails(page, "**/assignment/save/", "abort")
    save()
    expect(alert).to_have_text(f"{NO_ANSWER} Dismiss")
    expect(page.locator("#unsaved")).to_have_text("1 change not saved yet.")
    page.unroute("**/assignment/save/")
    save()
    expect(page.locator("#messages")).to_have_text("Saved: 1 assignment added, 0 removed.")
    expect(alert).to_have_count(0)
    expect(page.locator("#unsaved")).to_have_text("")

    page.reload()
    expect(page.get_by_label("Assign “Op-ed 1” to alice")).to_be_checked()
    expect(page.get_by_label("Assign “Op-ed 0” to alice")).not_to_be_checked()


def test_the_members_page_says_a_deactivation_failed_and_its_message_can_be_dismissed(
    page, log_in, small_lab, failures
):
    log_in("mia_manager", "secret-pass-1")
    page.goto("/p/lab/members/")
    alert = page.locator("#messages").get_by_role("alert")
    row = page.get_by_role("row").filter(has_text="alice")

    def deactivate():
        page.get_by_role("button", name="Deactivate alice").click()

    post_fails(page, "**/deactivate/", "500")
    deactivate()
    expect(alert).to_have_text(f"{SERVER_ERROR} Dismiss")
    alert.get_by_role("button", name="Dismiss").click()
    expect(alert).to_have_count(0)
    page.unroute("**/deactivate/")
    post_fails(page, "**/deactivate/", "abort")
    deactivate()
    expect(alert).to_have_text(f"{NO_ANSWER} Dismiss")
    expect(row).not_to_contain_text("Deactivated")
    page.unroute("**/deactivate/")
    deactivate()
    expect(page.locator("#messages")).to_have_text(
        "alice is deactivated: their work stays, and they can no longer open the project."
    )
    expect(alert).to_have_count(0)

    page.reload()
    expect(row).to_contain_text("Deactivated")


def test_the_import_page_says_an_import_failed_and_imports_once_on_the_next_try(
    page, log_in, transactional_db, settings, tmp_path, failures
):
    choose_file(page, log_in, settings, tmp_path, "opeds.jsonl", jsonl(2))
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 10_000_000  # imported in the request, not by a worker
    alert = page.locator("#messages").get_by_role("alert")

    def import_():
        page.get_by_role("button", name="Import", exact=True).click()

    fails_twice_then_goes_through(page, "**/p/opeds/import/", import_, alert)

    page.goto("/p/opeds/articles/")
    expect(page.get_by_role("link", name=re.compile(r"^Op-ed \d$"))).to_have_count(2)


def test_the_job_page_says_a_cancel_failed_and_a_failing_progress_poll_once(
    page, log_in, transactional_db, settings, tmp_path, failures
):
    choose_file(page, log_in, settings, tmp_path, "opeds.jsonl", jsonl(3))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    alert = page.locator("#messages").get_by_role("alert")

    # The progress, polled every second, fails three times: said once.
    def poll_fails(route):
        if route.request.method == "GET" and route.request.headers.get("hx-request"):
            route.fulfill(status=500, content_type="text/html", body="<h1>Server Error (500)</h1>")
        else:
            route.continue_()

    page.route("**/p/opeds/jobs/*/?*", poll_fails)
    for _ in range(3):
        with page.expect_response(lambda response: response.status == 500):
            pass
        expect(alert).to_have_text(f"{READ_SERVER_ERROR} Dismiss")
    page.unroute("**/p/opeds/jobs/*/?*")
    expect(alert).to_have_count(0)  # the next poll that succeeds takes it away

    # The polls that succeed meanwhile leave a failed Cancel's message standing.
    def cancel():
        page.get_by_role("button", name="Cancel import").click()

    post_fails(page, "**/cancel/", "500")
    cancel()
    expect(alert).to_have_text(f"{SERVER_ERROR} Dismiss")
    with page.expect_response(lambda response: response.request.method == "GET" and response.status == 200):
        pass
    expect(alert).to_have_text(f"{SERVER_ERROR} Dismiss")
    expect(page.get_by_role("heading", name="Waiting for a worker")).to_be_visible()
    page.unroute("**/cancel/")
    post_fails(page, "**/cancel/", "abort")
    cancel()
    expect(alert).to_have_text(f"{NO_ANSWER} Dismiss")
    page.unroute("**/cancel/")
    cancel()
    expect(page.get_by_role("heading", name="Cancelled")).to_be_visible()
    expect(alert).to_have_count(0)

    page.reload()
    expect(page.get_by_role("heading", name="Cancelled")).to_be_visible()
