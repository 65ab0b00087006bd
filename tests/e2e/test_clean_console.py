"""A clean console: no main page, and no HTMX swap of any kind the workspace and the
review make, logs a console error, throws, or breaks the Content-Security-Policy.

The autouse `console_watch` (tests/e2e/console.py) fails every browser test on what the
browser reports; the tests here make sure each page and each kind of swap is seen by it.
Before each swap, every element that htmx could swap out is given a style attribute by
script, as Playwright's caret hiding or a browser extension gives one (the policy allows
styles set through the CSSOM): htmx must not copy it onto what it swaps in, since that
is a `setAttribute("style", …)`, an inline style the policy refuses.

The refusals the pages answer with a 4xx status (a question before adopting an
overlapping unit, a key on a finished layer) are swaps too; the browser logs their
status, and the tests declare exactly that.
"""

import re

import pytest
from playwright.sync_api import expect

from annotate.models import Article, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import refused
from tests.e2e.test_accessibility import CLAIM, PAGES, annotate_demo
from tests.e2e.test_journey_curator import ALICE_MAJOR, BOB_MAJOR, annotate_the_op_ed, cut
from tests.e2e.test_workspace import drag_select

CUBA = "Iran is no Cuba"
READ_ONLY = "This layer is marked finished, so it is read-only. Reopen it to change it."

# A style set by script on everything htmx could swap out or settle.
TOUCH = """() => {
  for (const element of document.querySelectorAll("body [id], body [id] *")) {
    element.style.setProperty("--touched", "1");
  }
}"""


def touch(page):
    page.evaluate(TOUCH)


def test_every_main_page_loads_without_a_console_error(page, log_in, transactional_db):
    layer = annotate_demo()
    who = None
    for name, (username, address) in PAGES.items():
        if username != who:
            page.context.clear_cookies()
            if username:
                log_in(username, DEMO_PASSWORD)
                page.wait_for_url(lambda url: "/accounts/login/" not in url)
            who = username
        page.goto(address.format(layer=layer.pk, article=layer.article.pk))
        page.wait_for_load_state("networkidle")
        expect(page.locator("main"), name).to_be_visible()


@pytest.fixture
def workspace(page, log_in, transactional_db):
    """alice's layer of the demo (units, relations and the op-ed stance asked for), open."""
    layer = annotate_demo()
    Project.objects.filter(slug="demo").update(document_stance=True)
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"/p/demo/layers/{layer.pk}/")
    return page, layer.article.text


def test_every_kind_of_workspace_swap_keeps_the_console_clean(workspace, expect_console_errors):
    page, text = workspace
    expect_console_errors(refused(409))  # a key on the finished layer
    units = page.locator("#unit-panel .unit-row")
    cuba = page.locator("#unit-panel .unit-row", has_text=CUBA)
    undo = page.locator("#history-buttons").get_by_role("button", name=re.compile("^Undo"))
    status = page.locator("#layer-bar .status")
    expect(units).to_have_count(4)

    # A key: the lines it redrew and the status line swapped out of band, the panel
    # refreshed (innerHTML) on the change's trigger.
    touch(page)
    start = text.index(CUBA)
    assert drag_select(page, text, start, start + len(CUBA)) == CUBA
    page.keyboard.press("p")
    expect(cuba).to_have_count(1)
    expect(page.locator("#article-text mark[data-tag='Premise']", has_text=CUBA)).to_have_count(1)

    # The panel's buttons: an attribute chip, a unit's Delete, a relation's Delete.
    touch(page)
    claim_row = page.locator("#unit-panel .unit-row", has_text=CLAIM)
    claim_row.get_by_role("button", name="Against").click()
    expect(claim_row.get_by_role("button", name="Against")).to_have_attribute("aria-pressed", "true")
    touch(page)
    cuba.get_by_role("button", name=re.compile("^Delete unit")).click()
    expect(cuba).to_have_count(0)
    touch(page)
    relations = page.locator("#unit-panel .relation-row")
    expect(relations).to_have_count(2)
    relations.first.get_by_role("button", name="Delete relation").click()
    expect(relations).to_have_count(1)

    # Undo by its button; redo, undo and redo by keys in quick succession, each change
    # asking for the panel again while the refresh before is on its way.
    touch(page)
    undo.click()
    expect(relations).to_have_count(2)
    touch(page)
    for key in ("Control+Shift+z", "Control+z", "Control+Shift+z"):
        page.keyboard.press(key)
    expect(undo).to_have_text(re.compile("^Undo: unlink"))
    expect(relations).to_have_count(1)

    # The op-ed stance (a form that swaps the layer bar).
    touch(page)
    page.get_by_label("Op-ed stance").select_option("Against")
    expect(undo).to_have_text("Undo: op-ed stance → Against")

    # Finished (the layer bar, with the checks' findings first); a key then is refused
    # with a message swapped into #workspace-message, whose Reopen button reopens it.
    touch(page)
    page.get_by_role("button", name="Mark finished").click()
    anyway = page.get_by_role("button", name="Mark finished anyway")
    expect(anyway.or_(status.filter(has_text="Finished"))).to_be_visible()
    if anyway.is_visible():
        touch(page)
        anyway.click()
    expect(status).to_have_text("Finished")
    touch(page)
    assert drag_select(page, text, start, start + len(CUBA)) == CUBA
    page.keyboard.press("p")
    message = page.locator("#workspace-message .message")
    expect(message).to_have_text(f"{READ_ONLY} Reopen Dismiss")
    touch(page)
    message.get_by_role("button", name="Reopen").click()
    expect(status).to_have_text("In progress")


@pytest.fixture
def review(page, log_in, transactional_db):
    """The review of the seeded op-ed, which alice and bob have marked, open for the curator."""
    load_seeds()
    project = Project.objects.get(slug="demo")
    article = Article.objects.get(project=project)
    annotate_the_op_ed(project, article)
    log_in("curator", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/demo/articles/{article.pk}/review/")
    return page, article


def adopt_major_claim(page, quote: str, owner: str):
    button = page.get_by_role("button", name=f"Adopt MajorClaim “{cut(quote, 40)}” from {owner}")
    (button if "view=table" in page.url else button.locator(".frag").first).click()


def test_every_kind_of_review_swap_keeps_the_console_clean(review, expect_console_errors):
    page, article = review
    expect_console_errors(refused(422))  # the question before adopting an overlapping unit
    status = page.get_by_role("status")
    replace = page.get_by_role("button", name="Replace it with bob’s")

    # An adoption (the review swapped whole, outerHTML).
    touch(page)
    adopt_major_claim(page, ALICE_MAJOR, "alice")
    expect(status).to_contain_text("adopted.")

    # An overlapping one: the question (a 422 swapped in); kept as it is (an hx-get).
    touch(page)
    adopt_major_claim(page, BOB_MAJOR, "bob")
    expect(replace).to_be_visible()
    touch(page)
    page.get_by_role("link", name="Keep gold as it is").click()
    expect(replace).to_have_count(0)

    # Asked again, and answered: replaced (the question's form).
    touch(page)
    adopt_major_claim(page, BOB_MAJOR, "bob")
    touch(page)
    replace.click()
    expect(status).to_contain_text("in gold.")

    # The keys: `]` chooses, `r` adopts (a request of curation.js's own).
    touch(page)
    page.keyboard.press("]")
    page.keyboard.press("r")
    expect(status).to_contain_text("adopted.")

    # Adopt majority (a form), Curation finished and Reopen curation.
    touch(page)
    page.get_by_role("button", name="Adopt majority").click()
    expect(status).to_contain_text("agreed on.")
    touch(page)
    page.get_by_role("button", name="Curation finished").click()
    expect(status).to_have_text("Curation finished: the gold layer is marked finished.")
    touch(page)
    page.get_by_role("button", name="Reopen curation").click()
    expect(status).to_have_text("Curation reopened: gold can be changed again.")

    # The table of units: an Adopt button in a row.
    page.goto(f"/p/demo/articles/{article.pk}/review/?view=table")
    touch(page)
    page.locator("button.adopt").first.click()
    expect(status).to_contain_text("adopted")
