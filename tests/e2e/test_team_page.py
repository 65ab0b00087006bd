"""The team page in a browser, for a curator and for an annotator: the figures the page
shows are the team figures, the annotator is chosen from the page, a table's CSV is
downloaded and read, an annotator sees their own row only, and the page reflows at 390 px.
Any console error (a CSP violation included) fails the test."""

import csv
import io

from django.template.defaultfilters import floatformat
from playwright.sync_api import expect

from annotate import team
from annotate.models import Article, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.test_journey_curator import annotate_the_op_ed


def listen(page) -> list[str]:
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_a_curator_reads_the_team_figures_and_an_annotator_their_own(page, log_in, new_context, transactional_db):
    load_seeds()
    project = Project.objects.get(slug="demo")
    annotate_the_op_ed(project, Article.objects.get(project=project))
    expected = {row["annotator"]: row for row in team.figures(project)["annotators"]}
    errors = listen(page)

    log_in("curator", DEMO_PASSWORD)
    page.goto("/p/demo/")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    table = page.locator("table.team-table")
    for name in ("alice", "bob"):
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
        cells = row.get_by_role("cell")
        expect(cells.nth(2)).to_have_text(str(expected[name]["finished"]))
        expect(cells.nth(5)).to_have_text(str(expected[name]["units"]))
        expect(cells.nth(7)).to_have_text(floatformat(expected[name]["span_f1_with_others"], 3))
    page.screenshot(path="/tmp/team-curator.png", full_page=True, caret="initial")

    page.get_by_label("Annotator", exact=True).select_option("bob")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Quality over time: bob")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="This table as CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [(row["annotator"], row["finished"], row["units"]) for row in rows] == [
        (name, str(expected[name]["finished"]), str(expected[name]["units"])) for name in ("alice", "bob")
    ]

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    # The page never scrolls sideways (a wide table scrolls within its own box).
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]") == [390, 390]
    page.screenshot(path="/tmp/team-390.png", full_page=True, caret="initial")

    other = new_context()
    alice_page = other.new_page()
    alice_errors = listen(alice_page)
    alice_page.goto("/accounts/login/")
    alice_page.get_by_label("Username").fill("alice")
    alice_page.get_by_label("Password").fill(DEMO_PASSWORD)
    alice_page.get_by_role("button", name="Log in").click()
    alice_page.goto("/p/demo/team/")
    expect(alice_page.get_by_role("heading", name="Your figures")).to_be_visible()
    expect(alice_page.locator("table.team-table tbody tr")).to_have_count(1)
    expect(alice_page.get_by_role("rowheader", name="alice")).to_be_visible()
    expect(alice_page.get_by_text("bob")).to_have_count(0)
    alice_page.screenshot(path="/tmp/team-alice.png", full_page=True, caret="initial")
    assert errors == []
    assert alice_errors == []
