"""Gold's suggestions in the review, in a real browser: a lane of dashed bars under gold's,
chosen with ] and [, adopted into gold with Enter, rejected with x, both undone by Ctrl+Z
in gold's workspace; the lane as it looks on a desk and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Layer
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_journey_curator import lane_units
from tests.factories import make_article, make_project, make_unit, make_user, scheme_of

TEXT = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work. "
    "Sweden has taxed carbon since 1991."
)


def suggestion_bars(page):
    return page.locator('#curation [role="group"][aria-label="Suggestions for gold"] .lane-unit[data-first]')


@pytest.fixture
def carbon(page, log_in, transactional_db):
    """An article with discourse markers, one annotator's units on it, in a project with
    suggestions on; its review open for the curator, gold not started."""
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="opeds")
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    curator, ann = make_user("cory_curator"), make_user("ann_annotator")
    projects.set_member(project=project, user=curator, role="curator", by=manager)
    projects.set_member(project=project, user=ann, role="annotator", by=manager)
    article = make_article(project, text=TEXT, title="Carbon tax")
    projects.assign(article=article, annotators=[ann], by=manager)
    scheme = scheme_of(project)
    layer = Layer.objects.select_related("article__project").get(article=article, annotator=ann)
    make_unit(layer, scheme["Claim"], "governments should tax carbon")
    make_unit(layer, scheme["Premise"], "Sweden has taxed carbon since 1991")
    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/review/")
    expect(page.get_by_role("heading", name="Review: Carbon tax")).to_be_visible()
    return article


def start_gold(page, article):
    """Start gold from the review's button, then come back to the review."""
    page.get_by_role("button", name="Start gold in the workspace").click()
    expect(page.get_by_role("heading", name="Carbon tax")).to_be_visible()
    page.goto(f"/p/opeds/articles/{article.pk}/review/")


def test_a_curator_adopts_and_rejects_suggestions_from_the_lane_with_keys_and_undoes_them(page, carbon):
    expect(page.locator(".suggestions-note")).to_have_text(
        "No suggestions yet: they are made for gold, which starts with the first unit adopted or in the workspace."
    )
    start_gold(page, carbon)
    bars = suggestion_bars(page)
    expect(bars).to_have_count(6)
    readout = page.locator("#curation-readout")
    status = page.locator("#review-message")

    page.keyboard.press("]")
    expect(readout).to_have_text("Suggested Claim “We must act now” (from discourse markers); x rejects it")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Suggested Claim “We must act now” adopted into gold.")
    expect(lane_units(page, "gold")).to_have_text(["Claim “We must act now”: 0 of 1 annotators"])
    expect(bars).to_have_count(5)
    expect(readout).to_have_text("Suggested Premise “the climate is changing” (from discourse markers); x rejects it")

    page.keyboard.press("x")
    expect(status).to_have_text("Suggested Premise “the climate is changing” rejected: it is not suggested again.")
    expect(bars).to_have_count(4)
    # The next bar in text order: the suggestion on the words ann marked too.
    expect(readout).to_have_text(
        "Suggested Claim “governments should tax carbon” (from discourse markers); x rejects it"
    )

    # Each was one step of gold's history: Ctrl+Z in gold's workspace takes them back.
    page.get_by_role("link", name="Edit gold in the workspace").click()
    undo = page.locator("#history-buttons [data-action='undo']")
    expect(undo).to_have_text("Undo: reject suggestion Premise “the climate is changing”")
    page.locator("#article-text").focus()
    page.keyboard.press("Control+z")
    expect(undo).to_have_text("Undo: new Claim “We must act now”")
    page.keyboard.press("Control+z")
    expect(page.locator("#article-text mark[data-unit]")).to_have_count(0)
    page.go_back()
    expect(bars).to_have_count(6)
    expect(lane_units(page, "gold")).to_have_count(0)


def test_the_review_with_the_suggestions_lane_reads_calmly_on_a_desk_and_a_phone(page, carbon):
    start_gold(page, carbon)
    page.keyboard.press("]")
    page.keyboard.press("Enter")
    expect(suggestion_bars(page)).to_have_count(5)
    page.keyboard.press("]")
    page.screenshot(path="/tmp/review-suggestions-desk.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
    page.get_by_text("4 suggested relations for gold").click()
    expect(page.get_by_role("list", name="Suggested relations for gold").get_by_role("listitem")).to_have_count(4)
    page.locator(".review-gold").screenshot(path="/tmp/review-suggestions-relations.png", caret="initial")
    assert serious_violations(page) == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(suggestion_bars(page)).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/review-suggestions-phone.png", full_page=True, caret="initial")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Table of units").click()
    expect(page.get_by_role("list", name="Suggestions for gold").get_by_role("listitem")).to_have_count(5)
    page.screenshot(path="/tmp/review-suggestions-table.png", full_page=True, caret="initial")


def test_with_a_model_in_use_the_review_draws_gold_suggestions_right_after_it_opens(
    page, log_in, transactional_db, project, curator, annotator, manager
):
    from annotate import review
    from tests.suggestion_corpus import essay, model_in_use

    model_in_use(project, curator)
    article = make_article(project, text=essay(40)[0], title="Essay 40")
    projects.assign(article=article, annotators=[annotator], by=manager)
    review.start_gold(article=article, user=curator)  # gold started, its suggestions not made
    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/{project.slug}/articles/{article.pk}/review/")
    expect(suggestion_bars(page)).to_have_count(4)
    expect(page.locator(".suggestions-note")).to_have_count(0)
    expect(suggestion_bars(page).first).to_contain_text(re.compile(r"\(from model v1\)"))
