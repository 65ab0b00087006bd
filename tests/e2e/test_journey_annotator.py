"""The annotator's journey: what alice does in a sitting on the demo op-ed, by mouse and keys.

Three sittings: every key and the undo (and redo) of every kind of change; finishing,
reopening and the op-ed stance; Back and a second tab. After every undo the page must
show exactly the state before: the highlighted units with their labels, the unit count
in the panel, and no error.
"""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from annotate.models import Label, Layer, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import refused
from tests.e2e.test_workspace import drag_select

# Each unit the text shows, in text order: its tag (label and stance, as drawn before
# it) and its text, the pieces of a discontinuous unit joined by " … ".
SHOWN_UNITS = """() => {
  const text = document.getElementById("article-text");
  const offset = (node) => {
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEndBefore(node);
    return range.toString().length;
  };
  const units = new Map();
  for (const mark of text.querySelectorAll("mark[data-unit]")) {
    const start = offset(mark);
    const unit = units.get(mark.dataset.unit) ?? { tag: null, pieces: [], end: null };
    units.set(mark.dataset.unit, unit);
    if (mark.dataset.tag) unit.tag = mark.dataset.tag;
    if (unit.end === start) unit.pieces[unit.pieces.length - 1] += mark.textContent;
    else unit.pieces.push(mark.textContent);
    unit.end = start + mark.textContent.length;
  }
  return [...units.values()].map((unit) => [unit.tag, unit.pieces.join(" … ")]);
}"""

MAJOR = "Israel is now the undisputed regional power"
CUBA = "Iran is no Cuba"
DEPLETED = "Iran is depleted and banged up"
DEPLETED_MORE = "Iran is depleted and banged up and most important revealed to be far more vulnerable"
KNEES = "they were not able to bring Israel to its knees"
READ_ONLY = "This layer is marked finished, so it is read-only. Reopen it to change it."
STALE = (
    "This layer has changed since this page was loaded (perhaps in another tab). "
    "Reload the page to see it as it is now; nothing was changed."
)


@pytest.fixture
def demo(transactional_db):
    """The seeded demo, with the op-ed stance asked for; alice's layer and its text."""
    load_seeds()
    Project.objects.filter(slug="demo").update(document_stance=True)
    layer = Layer.objects.select_related("article").get(annotator__username="alice")
    return layer, layer.article.text


@pytest.fixture
def alice(page, log_in, demo):
    # Units chosen by key scroll into view at once, not smoothly, so a drag that
    # follows starts where the text is.
    page.emulate_media(reduced_motion="reduce")
    log_in("alice", DEMO_PASSWORD)
    page.goto("/p/demo/next/")
    expect(page.get_by_role("heading", name="Did Trump Flinch?")).to_be_visible()
    return page


def select(page, text, quote, *, after=0):
    """Drag the mouse over `quote` (its first occurrence from `after`)."""
    start = text.index(quote, after)
    assert drag_select(page, text, start, start + len(quote)) == quote


def shown_units(page):
    return [tuple(unit) for unit in page.evaluate(SHOWN_UNITS)]


def expect_layer(page, units, relations=()):
    """The page shows exactly `units` ((tag, text) in text order) in the text and the
    panel, relations of the types `relations` in the panel, and no error message."""
    wanted = [list(unit) for unit in units]
    try:
        page.wait_for_function(f"wanted => JSON.stringify(({SHOWN_UNITS})()) === JSON.stringify(wanted)", arg=wanted)
    except PlaywrightTimeoutError:
        pass  # the assertion says what the page shows instead
    assert shown_units(page) == units
    for tag, _ in units:  # each mark is coloured as its label
        label = Label.objects.get(project__slug="demo", name=tag.split(" · ")[0])
        expect(page.locator(f'#article-text mark[data-tag="{tag}"]:not(.label-{label.pk})')).to_have_count(0)
    panel = page.locator("#unit-panel")
    expect(panel.locator("h2 .count").first).to_have_text(str(len(units)))
    expect(panel.locator(".unit-row .unit-label")).to_have_text([tag.split(" · ")[0] for tag, _ in units])
    expect(panel.locator(".relation-row .relation-name")).to_have_text(list(relations))
    expect(page.locator("#workspace-message .message.error")).to_have_count(0)


def undo_button(page):
    return page.locator("#history-buttons").get_by_role("button", name=re.compile("^Undo"))


def redo_button(page):
    return page.locator("#history-buttons").get_by_role("button", name=re.compile("^Redo"))


def chosen(page, quote):
    """The unit whose text starts with `quote` is the chosen one."""
    return page.locator("#article-text mark.is-selected[data-tag]", has_text=quote)


def message(page):
    return page.locator("#workspace-message")


def test_annotator_makes_every_change_by_key_and_undoes_and_redoes_each(alice, demo, expect_console_errors):
    page, (layer, text) = alice, demo
    expect_console_errors(refused(422))  # Ctrl+Z with nothing left to undo

    # A major claim (m); undo takes it away, redo brings it back.
    select(page, text, MAJOR)
    page.keyboard.press("m")
    expect_layer(page, [("MajorClaim", MAJOR)])
    expect(undo_button(page)).to_have_text(f"Undo: new MajorClaim “{MAJOR[:39]}…”")
    page.keyboard.press("Control+z")
    expect_layer(page, [])
    page.keyboard.press("Control+Shift+z")
    expect_layer(page, [("MajorClaim", MAJOR)])

    # A claim (c) with its stance (1 For, then 2 Against); undo of a stance.
    select(page, text, CUBA)
    page.keyboard.press("c")
    expect_layer(page, [("MajorClaim", MAJOR), ("Claim", CUBA)])
    page.keyboard.press("1")
    expect_layer(page, [("MajorClaim", MAJOR), ("Claim · For", CUBA)])
    expect(undo_button(page)).to_have_text("Undo: Claim “Iran is no Cuba” → stance For")
    assert undo_button(page).inner_text() == "Undo: Claim “Iran is no Cuba” → stance For"
    page.keyboard.press("Control+z")
    expect_layer(page, [("MajorClaim", MAJOR), ("Claim", CUBA)])
    assert redo_button(page).inner_text() == "Redo: Claim “Iran is no Cuba” → stance For"
    page.keyboard.press("Control+Shift+z")
    expect_layer(page, [("MajorClaim", MAJOR), ("Claim · For", CUBA)])
    page.keyboard.press("2")
    expect_layer(page, [("MajorClaim", MAJOR), ("Claim · Against", CUBA)])
    page.keyboard.press("Control+z")
    expect_layer(page, [("MajorClaim", MAJOR), ("Claim · For", CUBA)])
    page.screenshot(path="/tmp/journey-1.png", caret="initial")

    # A premise (p), relabelled to a claim with the key alone (it is chosen); undo.
    select(page, text, DEPLETED)
    page.keyboard.press("p")
    with_premise = [("Premise", DEPLETED), ("MajorClaim", MAJOR), ("Claim · For", CUBA)]
    expect_layer(page, with_premise)
    expect(chosen(page, DEPLETED)).to_have_count(1)
    page.keyboard.press("c")
    expect_layer(page, [("Claim", DEPLETED), ("MajorClaim", MAJOR), ("Claim · For", CUBA)])
    expect(undo_button(page)).to_have_text("Undo: Premise “Iran is depleted and banged up” → Claim")
    page.keyboard.press("Control+z")
    expect_layer(page, with_premise)

    # ] and [ step through the units in text order.
    page.keyboard.press("Escape")
    expect(page.locator("#article-text mark.is-selected")).to_have_count(0)
    page.keyboard.press("]")
    expect(chosen(page, DEPLETED)).to_have_count(1)
    page.keyboard.press("]")
    expect(chosen(page, MAJOR)).to_have_count(1)
    page.keyboard.press("]")
    expect(chosen(page, CUBA)).to_have_count(1)
    page.keyboard.press("[")
    page.keyboard.press("[")
    expect(chosen(page, DEPLETED)).to_have_count(1)
    expect(page.locator("#mode-hint")).to_have_text(
        "Premise “Iran is depleted and banged up” — label key relabels, l links, "
        "e / + set or add a span, Shift+N writes a note, Delete deletes, Esc lets go."
    )

    # e sets the chosen premise's boundaries to a new selection; undo, redo.
    select(page, text, DEPLETED_MORE)
    page.keyboard.press("e")
    extended = [("Premise", DEPLETED_MORE), ("MajorClaim", MAJOR), ("Claim · For", CUBA)]
    expect_layer(page, extended)
    page.keyboard.press("Control+z")
    expect_layer(page, with_premise)
    page.keyboard.press("Control+Shift+z")
    expect_layer(page, extended)

    # + adds a span: the premise becomes discontinuous; undo.
    select(page, text, KNEES)
    page.keyboard.press("+")
    two_spans = [("Premise", f"{DEPLETED_MORE} … {KNEES}"), ("MajorClaim", MAJOR), ("Claim · For", CUBA)]
    expect_layer(page, two_spans)
    expect(page.locator(".unit-row", has_text="Premise").locator(".pill")).to_have_text("2 spans")
    page.screenshot(path="/tmp/journey-2.png", caret="initial")
    page.keyboard.press("Control+z")
    expect_layer(page, extended)
    page.keyboard.press("Control+Shift+z")
    expect_layer(page, two_spans)

    # l links the chosen premise: ] picks the target (the major claim, next in text
    # order), Enter, s supports. Undo, redo.
    expect(chosen(page, DEPLETED)).to_have_count(1)
    page.keyboard.press("l")
    expect(page.locator("#mode-hint")).to_contain_text("Linking from Premise")
    page.keyboard.press("]")
    expect(page.locator("#article-text mark.is-candidate[data-tag]")).to_have_text(MAJOR)
    page.keyboard.press("Enter")
    page.keyboard.press("s")
    expect_layer(page, two_spans, ["supports"])
    page.keyboard.press("Control+z")
    expect_layer(page, two_spans)
    page.keyboard.press("Control+Shift+z")
    expect_layer(page, two_spans, ["supports"])

    # The claim attacks the major claim: chosen from the panel, target clicked, a.
    page.locator("#unit-panel .unit-list").get_by_role("button", name=re.compile("^Claim")).click()
    expect(chosen(page, CUBA)).to_have_count(1)
    page.keyboard.press("l")
    page.locator("#article-text mark[data-tag='MajorClaim']").click()
    expect(page.locator("#mode-hint")).to_contain_text("press s supports, a attacks")
    page.keyboard.press("a")
    expect_layer(page, two_spans, ["supports", "attacks"])
    page.screenshot(path="/tmp/journey-3.png", caret="initial")

    # Delete a relation (its button in the panel), then undo.
    page.locator(".relation-row", has_text="attacks").get_by_role("button", name="Delete relation").click()
    expect_layer(page, two_spans, ["supports"])
    page.keyboard.press("Control+z")
    expect_layer(page, two_spans, ["supports", "attacks"])

    # Delete the chosen claim: its relation goes with it; undo brings both back.
    page.keyboard.press("Delete")
    expect_layer(page, two_spans[:2], ["supports"])
    page.keyboard.press("Control+z")
    expect_layer(page, two_spans, ["supports", "attacks"])

    # Shift+→ selects by word after the chosen unit; p makes it a premise; Esc lets go.
    page.locator("#unit-panel .unit-list").get_by_role("button", name=re.compile("^MajorClaim")).click()
    expect(chosen(page, MAJOR)).to_have_count(1)
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("() => getSelection().toString()") == " and has flipped"
    page.keyboard.press("p")
    with_flipped = [two_spans[0], ("MajorClaim", MAJOR), ("Premise", "and has flipped"), two_spans[2]]
    expect_layer(page, with_flipped, ["supports", "attacks"])
    page.keyboard.press("Escape")
    expect(page.locator("#article-text mark.is-selected")).to_have_count(0)
    expect(page.locator("#mode-hint")).to_have_text("Select text and press a label’s key (or click the label).")

    # Snapping: part of a word becomes the whole word, and the page says so; Esc clears it.
    start = text.index("Ayatollahs believe that it is their mission") + 1
    drag_select(page, text, start, start + len("yatollahs believe that it is their missi"))
    page.keyboard.press("p")
    expect(message(page)).to_have_text(
        "Snapped to whole words: the unit covers “Ayatollahs believe that it is their mission”. Dismiss"
    )
    page.screenshot(path="/tmp/journey-4.png", caret="initial")
    page.keyboard.press("Escape")
    expect(message(page)).to_have_text("")

    # Undo everything, one change at a time, back to the empty layer; then there is
    # nothing left to undo, and the message says so until the next key.
    while undo_button(page).is_enabled():
        before = undo_button(page).inner_text()
        page.keyboard.press("Control+z")
        expect(undo_button(page)).not_to_have_text(before)
    expect_layer(page, [])
    page.keyboard.press("Control+z")
    expect(message(page).locator(".message")).to_have_text("Nothing to undo. Dismiss")
    page.screenshot(path="/tmp/journey-5.png", caret="initial")
    page.keyboard.press("]")
    expect(message(page)).to_have_text("")
    assert layer.units.count() == 0
    assert layer.relations.count() == 0


def test_annotator_sets_the_op_ed_stance_finishes_reopens_and_goes_on(alice, demo, expect_console_errors):
    page, (layer, text) = alice, demo
    expect_console_errors(refused(409))  # a key on the finished layer
    select(page, text, DEPLETED)
    page.keyboard.press("p")
    expect_layer(page, [("Premise", DEPLETED)])

    # The op-ed stance, then a label key on a selection: the key works.
    stance = page.get_by_label("Op-ed stance")
    stance.select_option("Against")
    expect(undo_button(page)).to_have_text("Undo: op-ed stance → Against")
    select(page, text, MAJOR)
    page.keyboard.press("m")
    expect_layer(page, [("Premise", DEPLETED), ("MajorClaim", MAJOR)])

    # Undo the major claim, then the stance; redo the stance.
    page.keyboard.press("Control+z")
    expect_layer(page, [("Premise", DEPLETED)])
    expect(undo_button(page)).to_have_text("Undo: op-ed stance → Against")
    page.keyboard.press("Control+z")
    expect(stance).to_have_value("")
    expect_layer(page, [("Premise", DEPLETED)])
    page.keyboard.press("Control+Shift+z")
    expect(stance).to_have_value("Against")
    expect_layer(page, [("Premise", DEPLETED)])
    page.screenshot(path="/tmp/journey-6.png", caret="initial")

    # Mark finished: the checks find an unlinked premise and no major claim; finish anyway.
    page.get_by_role("button", name="Mark finished").click()
    findings = page.get_by_role("status")
    expect(findings.locator("li")).to_have_count(2)
    page.screenshot(path="/tmp/journey-7.png", caret="initial")
    findings.get_by_role("button", name="Mark finished anyway").click()
    expect(findings).to_have_text("Marked finished with 2 structure findings overridden.")
    expect(page.locator("#layer-bar .status")).to_have_text("Finished")
    expect(page.locator("#mode-hint")).to_have_text("Finished: read-only until reopened.")
    expect(undo_button(page)).to_be_disabled()
    expect(redo_button(page)).to_be_disabled()
    page.screenshot(path="/tmp/journey-8.png", caret="initial")

    # A finished layer refuses a key, with a Reopen button; reopened, the key works.
    select(page, text, MAJOR)
    page.keyboard.press("m")
    expect(message(page).locator(".message")).to_have_text(f"{READ_ONLY} Reopen Dismiss")
    page.screenshot(path="/tmp/journey-9.png", caret="initial")
    message(page).get_by_role("button", name="Reopen").click()
    expect(page.locator("#layer-bar .status")).to_have_text("In progress")
    expect(message(page)).to_have_text("")
    expect(undo_button(page)).to_have_text("Undo: op-ed stance → Against")
    select(page, text, MAJOR)
    page.keyboard.press("p")
    expect_layer(page, [("Premise", DEPLETED), ("Premise", MAJOR)])
    layer.refresh_from_db()
    assert (layer.status, layer.document_stance) == ("in_progress", "Against")


def test_annotator_goes_back_and_works_in_a_second_tab(alice, demo, expect_console_errors):
    page, (layer, text) = alice, demo
    expect_console_errors(refused(409))  # a key in the stale second tab
    select(page, text, DEPLETED)
    page.keyboard.press("p")
    expect_layer(page, [("Premise", DEPLETED)])

    # To the project page and Back: the workspace is as it was, and keys still work.
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Demo: op-ed arguments").click()
    expect(page).to_have_url(re.compile(r"/p/demo/$"))
    page.go_back()
    expect_layer(page, [("Premise", DEPLETED)])
    select(page, text, MAJOR)
    page.keyboard.press("m")
    expect_layer(page, [("Premise", DEPLETED), ("MajorClaim", MAJOR)])

    # A second tab on the same layer; a change in the first makes the second stale.
    second = page.context.new_page()
    second.emulate_media(reduced_motion="reduce")
    second.goto(page.url)
    expect_layer(second, [("Premise", DEPLETED), ("MajorClaim", MAJOR)])
    page.bring_to_front()
    select(page, text, CUBA)
    page.keyboard.press("c")
    expect_layer(page, [("Premise", DEPLETED), ("MajorClaim", MAJOR), ("Claim", CUBA)])
    second.bring_to_front()
    select(second, text, KNEES)
    second.keyboard.press("p")
    expect(message(second).locator(".message")).to_have_text(f"{STALE} Reload Dismiss")
    second.screenshot(path="/tmp/journey-10.png", caret="initial")
    second.get_by_role("link", name="Reload").click()
    expect_layer(second, [("Premise", DEPLETED), ("MajorClaim", MAJOR), ("Claim", CUBA)])
    select(second, text, KNEES)
    second.keyboard.press("p")
    both = [("Premise", DEPLETED), ("Premise", KNEES), ("MajorClaim", MAJOR), ("Claim", CUBA)]
    expect_layer(second, both)
    # The new premise supports the claim: l, click the claim, s.
    second.keyboard.press("l")
    second.locator("#article-text mark[data-tag='Claim']").click()
    second.keyboard.press("s")
    expect_layer(second, both, ["supports"])

    # The database holds what the page shows.
    units = [
        (unit.label.name, unit.attributes, [text[span.start : span.end] for span in unit.spans.order_by("start")])
        for unit in layer.units.select_related("label").order_by("spans__start")
    ]
    assert units == [
        ("Premise", {}, [DEPLETED]),
        ("Premise", {}, [KNEES]),
        ("MajorClaim", {}, [MAJOR]),
        ("Claim", {}, [CUBA]),
    ]
    quote = lambda unit: text[unit.spans.get().start : unit.spans.get().end]  # noqa: E731
    assert [(quote(r.source), r.type.name, quote(r.target)) for r in layer.relations.all()] == [
        (KNEES, "supports", CUBA)
    ]
