"""A unit's note in a real browser: written from the keyboard in the side panel, marked on
the unit in the text, undone and redone, and carried into gold by the curator."""

import re

import pytest
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Layer
from tests.e2e.test_keyboard import FOCUSED_ID, tab_to_text
from tests.factories import make_article, make_project, make_unit, make_user, scheme_of

CLAIM = "Critics say shops will suffer"
NOTE = "Unsure: a claim, or a premise of the major claim?"


@pytest.fixture
def calm_streets(transactional_db):
    """A project with a curator and an annotator, ann, whose layer of "Calm streets"
    holds a Claim."""
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="opeds")
    curator = make_user("cory_curator")
    projects.set_member(project=project, user=curator, role="curator", by=manager)
    ann = make_user("ann_annotator")
    projects.set_member(project=project, user=ann, role="annotator", by=manager)
    article = make_article(project, title="Calm streets")
    projects.assign(article=article, annotators=[ann], by=manager)
    layer = Layer.objects.select_related("article__project", "annotator").get(article=article)
    make_unit(layer, scheme_of(project)["Claim"], CLAIM)
    return article, layer


def test_a_note_is_written_from_the_keyboard_undone_redone_and_adopted_into_gold(page, log_in, calm_streets, tmp_path):
    article, layer = calm_streets
    log_in("ann_annotator", "secret-pass-1")
    page.goto(f"/p/opeds/layers/{layer.pk}/")
    expect(page.locator(".unit-row")).to_have_count(1)
    box = page.get_by_label("Note on the chosen unit")
    marked = page.locator("#article-text mark.has-note")
    panel_note = page.locator("#unit-panel .unit-note .note-text")
    expect(box).to_be_disabled()  # no unit chosen yet

    tab_to_text(page)
    page.keyboard.press("]")
    expect(page.locator("#note-unit")).to_have_text(f"On Claim “{CLAIM}”")
    page.keyboard.press("Shift+N")
    expect(box).to_be_focused()
    page.keyboard.type(NOTE)
    page.keyboard.press("Control+Enter")

    expect(marked).to_have_attribute("title", f"Note: {NOTE}")
    expect(marked).to_have_text(CLAIM)
    expect(panel_note).to_have_text(NOTE)
    expect(page.get_by_role("button", name=re.compile("^Undo: "))).to_have_text(
        f"Undo: Claim “{CLAIM}” → note “{NOTE[:29]}…”"
    )
    page.keyboard.press("Escape")
    assert page.evaluate(FOCUSED_ID) == "article-text"
    page.screenshot(path=tmp_path / "note.png", caret="initial")

    page.keyboard.press("Control+z")
    expect(marked).to_have_count(0)
    expect(panel_note).to_have_count(0)
    expect(box).to_have_value("")
    page.keyboard.press("Control+Shift+z")
    expect(marked).to_have_attribute("title", f"Note: {NOTE}")
    expect(panel_note).to_have_text(NOTE)
    expect(box).to_have_value(NOTE)

    # The curator adopts the unit: gold has it with its note, in the table and the lanes.
    page.context.clear_cookies()
    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/review/?view=table")
    page.get_by_role("button", name=f"Adopt Claim “{CLAIM}” from ann_annotator").click()
    gold = page.get_by_role("list", name="Gold units")
    expect(gold.locator(".unit-note")).to_have_text(f"Note: {NOTE}")
    page.get_by_role("link", name="Text with lanes").click()
    expect(page.locator(".lane-gold .lane-unit.has-note")).to_have_attribute("title", f"Note: {NOTE}")
    page.screenshot(path=tmp_path / "review.png", caret="initial")
    page.goto(f"/p/opeds/articles/{article.pk}/review/?view=table")
    page.screenshot(path=tmp_path / "table.png", caret="initial", full_page=True)
