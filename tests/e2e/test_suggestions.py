"""Suggestions in a real browser: ghosts reached with Tab, accepted with Enter, rejected
with x, accepted a paragraph at a time with Shift+A, undone with Ctrl+Z; the panel's
buttons; a suggested relation drawn as a dashed arc; axe finds nothing serious."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Layer, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_article

TEXT = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work. "
    "Sweden has taxed carbon since 1991."
)


@pytest.fixture
def suggesting(page, log_in, transactional_db):
    """alice's layer of an article with discourse markers, in a project with suggestions on."""
    load_seeds()
    project = Project.objects.get(slug="demo")
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=TEXT, title="Carbon tax")
    alice, manager = (User.objects.get(username=name) for name in ("alice", "manager"))
    projects.assign(article=article, annotators=[alice], by=manager)
    layer = Layer.objects.get(article=article, annotator__username="alice")
    log_in("alice", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    expect(page.get_by_role("heading", name="Carbon tax")).to_be_visible()
    return layer


def ghost(page, quote):
    return page.locator("#article-text mark.ghost", has_text=quote)


def unit(page, quote):
    return page.locator("#article-text mark[data-unit]", has_text=quote)


def test_keyboard_alone_goes_through_the_suggestions_and_undoes(page, suggesting):
    expect(page.locator("#article-text mark.ghost")).to_have_count(6)
    expect(page.locator("svg.arcs .arc.ghost")).to_have_count(4)
    page.locator("#article-text").focus()
    page.keyboard.press("Tab")
    expect(ghost(page, "We must act now")).to_be_focused()
    expect(page.locator("#mode-hint")).to_have_text(
        "Enter or a accepts, a label key accepts with that label, x rejects, Shift+A accepts its paragraph, "
        "Tab goes on — Suggested Claim (from discourse markers): “We must act now”"
    )

    page.keyboard.press("Enter")
    expect(unit(page, "We must act now")).to_have_count(1)
    expect(ghost(page, "the climate is changing")).to_be_focused()
    expect(page.locator("#unit-panel .unit-row")).to_have_count(1)

    page.keyboard.press("x")
    expect(ghost(page, "the climate is changing")).to_have_count(0)
    expect(ghost(page, "governments should tax carbon")).to_be_focused()

    page.keyboard.press("Shift+Tab")
    expect(page.locator("#article-text")).to_be_focused()  # no ghost before: back to the text
    page.keyboard.press("Tab")
    expect(ghost(page, "governments should tax carbon")).to_be_focused()
    page.keyboard.press("Tab")
    expect(ghost(page, "taxes hurt the poor")).to_be_focused()
    page.keyboard.press("Shift+A")  # the second paragraph, all at once
    expect(unit(page, "they work")).to_have_count(1)
    expect(page.locator("#unit-panel .unit-row")).to_have_count(4)
    expect(page.locator("#unit-panel .relation-row")).to_have_count(1)
    expect(page.locator("svg.arcs .arc:not(.ghost)")).to_have_count(1)
    expect(ghost(page, "governments should tax carbon")).to_be_focused()  # the one left, before it

    page.keyboard.press("Control+z")  # the paragraph's units and relation go in one step
    expect(ghost(page, "they work")).to_have_count(1)
    expect(page.locator("#unit-panel .unit-row")).to_have_count(1)
    page.keyboard.press("Control+z")  # the rejection
    expect(ghost(page, "the climate is changing")).to_have_count(1)
    page.keyboard.press("Control+z")  # the first acceptance
    expect(unit(page, "We must act now")).to_have_count(0)
    expect(page.locator("#article-text mark.ghost")).to_have_count(6)
    expect(page.get_by_role("button", name="Redo: new Claim “We must act now”")).to_be_visible()


def test_the_panels_buttons_accept_and_reject(page, suggesting):
    panel = page.locator("#unit-panel")
    expect(panel.get_by_role("heading", name="Suggestions 10")).to_be_visible()
    panel.get_by_role("button", name="Accept suggested Premise “the climate is changing”").click()
    expect(unit(page, "the climate is changing")).to_have_count(1)
    expect(panel.get_by_role("heading", name="Suggestions 9")).to_be_visible()
    panel.get_by_role("button", name="Reject suggested Claim “they work”").click()
    expect(ghost(page, "they work")).to_have_count(0)
    expect(panel.get_by_role("heading", name="Units 1")).to_be_visible()
    # a suggested relation accepted makes its suggested end a unit too, in one step
    panel.locator(".ghost-link-row").first.get_by_role("button", name="Accept suggested relation supports").click()
    expect(unit(page, "We must act now")).to_have_count(1)
    expect(page.locator("svg.arcs .arc:not(.ghost)")).to_have_count(1)


def test_the_workspace_with_ghosts_has_no_serious_accessibility_violations(page, suggesting):
    expect(page.locator("svg.arcs .arc.ghost")).to_have_count(4)
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []


def test_finish_hides_the_ghosts_and_reopen_brings_them_back_without_a_reload(page, suggesting):
    ghosts = page.locator("#article-text mark.ghost")
    expect(ghosts).to_have_count(6)
    page.locator("#unit-panel").get_by_role("button", name="Reject suggested Claim “they work”").click()
    expect(ghosts).to_have_count(5)
    expect(page.locator("svg.arcs .arc.ghost")).to_have_count(3)  # one suggested relation ended there
    page.evaluate("window.sameDocument = true")  # gone after a reload

    page.get_by_role("button", name="Mark finished").click()
    page.get_by_role("button", name="Mark finished anyway").click()

    expect(page.locator("#layer-bar")).to_contain_text("Finished")
    expect(ghosts).to_have_count(0)
    expect(page.locator("svg.arcs .arc.ghost")).to_have_count(0)
    page.locator("#layer-bar").get_by_role("button", name="Reopen").click()
    expect(ghosts).to_have_count(5)
    expect(ghost(page, "they work")).to_have_count(0)
    expect(page.locator("svg.arcs .arc.ghost")).to_have_count(3)
    assert page.evaluate("window.sameDocument") is True


def test_a_click_on_a_dashed_arc_chooses_its_suggested_relation_for_the_keys(page, suggesting):
    dashed = page.locator("svg.arcs .arc.ghost")
    expect(dashed).to_have_count(4)
    rows = page.locator("#unit-panel .ghost-link-row")
    first = rows.first.get_attribute("data-suggestion")

    page.locator(f'svg.arcs .arc.ghost[data-relation="s{first}"] path').first.click(force=True)

    expect(rows.first).to_have_class(re.compile(r"\bis-selected\b"))
    expect(page.locator("#mode-hint")).to_contain_text("Suggested relation: ")
    expect(page.locator("#mode-hint")).to_contain_text("— Enter or a accepts, x rejects")
    page.keyboard.press("x")
    expect(dashed).to_have_count(3)
    expect(page.locator(f'svg.arcs .arc.ghost[data-relation="s{first}"]')).to_have_count(0)
    second = rows.first.get_attribute("data-suggestion")
    page.locator(f'svg.arcs .arc.ghost[data-relation="s{second}"] path').first.click(force=True)
    page.keyboard.press("Enter")  # accepted, with its suggested ends, in one step
    expect(page.locator("svg.arcs .arc:not(.ghost)")).to_have_count(1)
    expect(page.locator("#unit-panel .relation-row")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.locator("svg.arcs .arc:not(.ghost)")).to_have_count(0)
    expect(dashed).to_have_count(3)


def test_a_label_key_takes_a_suggested_units_words_with_that_label_and_a_click_finds_the_text_still(page, suggesting):
    page.locator("#article-text").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(ghost(page, "the climate is changing")).to_be_focused()
    hint = page.locator("#mode-hint")
    size = hint.evaluate("(hint) => parseFloat(getComputedStyle(hint).fontSize)")
    assert hint.bounding_box()["height"] < 2 * size  # one line (two would be 2.4 sizes), however long the words
    page.keyboard.press("c")  # Claim, where Premise was suggested
    taken = unit(page, "the climate is changing")
    expect(taken).to_have_attribute("data-tag", "Claim")
    expect(ghost(page, "governments should tax carbon")).to_be_focused()
    # Letting go of the chosen suggestion by clicking a unit moves nothing under the pointer.
    # A point of the unit that nothing drawn over it (an arc, its label) covers.
    # The panel's refresh after the change brings its relations, and the arcs and the room
    # they take follow within a frame: the point is read once both are done.
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    point = taken.evaluate(
        """(mark) => new Promise((resolve) => {
            const find = () => {
                for (const box of mark.getClientRects()) {
                    for (let x = box.left + 2; x < box.right - 2; x += 4) {
                        const y = box.top + box.height / 2;
                        if (mark.contains(document.elementFromPoint(x, y))) return {x, y};
                    }
                }
                return null;
            };
            let last = null, still = 0, frames = 0;
            const look = () => {
                const now = find();
                still = now && last && now.x === last.x && now.y === last.y ? still + 1 : 0;
                last = now;
                frames += 1;
                if (still >= 2 || frames > 300) resolve(still >= 2 ? now : null);
                else requestAnimationFrame(look);
            };
            requestAnimationFrame(look);
        })"""
    )
    assert point is not None
    text_top = page.locator("#article-text").bounding_box()["y"]
    page.mouse.move(point["x"], point["y"])
    page.mouse.down()  # the suggestion lets go here, and the hint says something shorter
    assert page.locator("#article-text").bounding_box()["y"] == text_top
    page.mouse.up()
    expect(page.locator("#mode-hint")).to_contain_text("Claim “the climate is changing”")
    page.keyboard.press("Control+z")
    expect(taken).to_have_count(0)
    expect(ghost(page, "the climate is changing")).to_have_count(1)


def test_with_a_model_in_use_the_page_opens_first_and_its_ghosts_come_right_after(
    page, log_in, transactional_db, project, curator, annotator, manager
):
    from tests.suggestion_corpus import essay, model_in_use

    model_in_use(project, curator)
    article = make_article(project, text=essay(40)[0], title="Essay 40")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    log_in("ann_annotator", "secret-pass-1")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/{project.slug}/layers/{layer.pk}/")
    ghosts = page.locator("#article-text mark.ghost")
    expect(ghosts.first).to_be_visible()
    count = ghosts.count()
    expect(page.locator("#unit-panel .suggestion-row")).to_have_count(count)
    assert re.fullmatch(r"Suggested \w+ \(from model v1\): “.+”", ghosts.first.get_attribute("aria-label"))
    page.locator("#article-text").focus()
    page.keyboard.press("Tab")
    expect(ghosts.first).to_be_focused()
    page.keyboard.press("Enter")  # accepted as any suggestion is
    expect(page.locator("#article-text mark[data-unit]")).to_have_count(1)
    expect(ghosts).to_have_count(count - 1)


def test_on_a_phone_the_model_ghosts_come_after_the_page_and_nothing_scrolls_sideways(
    page, log_in, transactional_db, project, curator, annotator, manager
):
    from tests.suggestion_corpus import essay, model_in_use

    model_in_use(project, curator)
    article = make_article(project, text=essay(41)[0], title="Essay 41")
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("ann_annotator", "secret-pass-1")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/p/{project.slug}/layers/{layer.pk}/")
    ghosts = page.locator("#article-text mark.ghost")
    expect(ghosts.first).to_be_visible()
    expect(page.locator("#unit-panel .suggestion-row")).to_have_count(ghosts.count())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
    page.screenshot(path="/tmp/lead/phone_ghosts.png", full_page=True, caret="initial")
    assert serious_violations(page) == []
