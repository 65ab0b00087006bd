"""The workspace from the keyboard alone: a caret in the article text moved and extended
with the arrow keys, a selection made a unit by its label key, linking with the target
named, and focus put back in a sensible place after every answer."""

import re

from playwright.sync_api import expect

from annotate import projects, units
from annotate.models import Layer, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.factories import make_article, make_project, make_user, scheme_of

# Where the selection's focus (the caret) is, in UTF-16 code units from the start of
# the article text, and where its other end is.
CARET = """() => {
  const text = document.getElementById("article-text");
  const selection = getSelection();
  const offset = (node, at) => {
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, at);
    return range.toString().length;
  };
  return {focus: offset(selection.focusNode, selection.focusOffset),
          anchor: offset(selection.anchorNode, selection.anchorOffset)};
}"""

FOCUSED_ID = "() => document.activeElement.id"


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def caret(page) -> int:
    return page.evaluate(CARET)["focus"]


def tab_to_text(page):
    """Tab from the top of the page until the article text has focus."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_ID) == "article-text":
            return
    raise AssertionError("Tab never reached the article text")


def press_until(page, key, done, limit=400):
    for _ in range(limit):
        if done():
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} pressed {limit} times and the caret is still short")


def unit_quote(page, unit_id: str) -> str:
    """The unit's text as the page shows it: its pieces in the text, in order."""
    return page.evaluate(
        """(id) => [...document.querySelectorAll(`#article-text mark[data-unit="${id}"]`)]
                   .filter((mark) => !mark.parentElement.closest(`mark[data-unit="${id}"]`))
                   .map((mark) => mark.textContent).join("")""",
        unit_id,
    )


FOCUSED = "(selector) => document.activeElement === document.querySelector(selector)"


def is_focused(page, selector: str) -> bool:
    return page.evaluate(FOCUSED, selector)


def focus_settles_on(page, selector: str):
    """Wait until focus is on the element `selector` finds (focus moves to a button
    once the answer that drew it has settled)."""
    page.wait_for_function(FOCUSED, arg=selector)


def seeded_layer(*quotes_and_labels) -> Layer:
    """The seed article, assigned to alice, with her units made beforehand."""
    load_seeds()
    layer = Layer.objects.select_related("article__project", "annotator").get(annotator__username="alice")
    text, scheme = layer.article.text, scheme_of(layer.article.project)
    for quote, label in quotes_and_labels:
        start = text.index(quote)
        units.create_unit(layer=layer, label=scheme[label], spans=[(start, start + len(quote))], user=layer.annotator)
    return layer


def test_a_sentence_in_the_middle_of_the_text_is_annotated_with_the_keyboard_alone(page, log_in, transactional_db):
    # Units before the sentence, one just before it in its paragraph, so that the caret
    # crosses their marks; without snapping the unit is exactly what was selected.
    layer = seeded_layer(
        ("Israel is now the undisputed regional power", "MajorClaim"),
        ("From the beginning of the war President Trump urged Israel not to take out the Ayatollah", "Claim"),
    )
    Project.objects.filter(pk=layer.article.project_id).update(snapping=False)
    text = layer.article.text
    sentence = "Under no circumstance did the President want a regime change."
    start, end = utf16(text, text.index(sentence)), utf16(text, text.index(sentence) + len(sentence))
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    expect(page.locator(".unit-row")).to_have_count(2)

    tab_to_text(page)
    expect(page.locator("#article-text")).to_have_accessible_name(
        "Article text: arrows move a caret, Shift+arrows select"
    )
    assert caret(page) == 0
    expect(page.locator(".text-caret")).to_be_visible()
    # Down by lines past the sentence's start, back up a line, then on by words to it.
    press_until(page, "ArrowDown", lambda: caret(page) > start)
    page.keyboard.press("ArrowUp")
    assert caret(page) < start
    press_until(page, "Control+ArrowRight", lambda: caret(page) >= start)  # word starts, one by one
    assert caret(page) == start
    expect(page.locator("#caret-speech")).to_have_text("Under")
    # Select it by words, and its full stop by a character.
    press_until(page, "Control+Shift+ArrowRight", lambda: caret(page) >= end - 1)
    page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("() => getSelection().toString()") == sentence
    expect(page.locator("#caret-speech")).to_have_text(f"Selected: {sentence}")  # read out to a screen reader

    page.keyboard.press("p")

    premise = page.locator("#article-text mark[data-tag='Premise']")
    expect(premise).to_have_count(1)
    assert unit_quote(page, premise.get_attribute("data-unit")) == sentence
    expect(page.locator(".unit-row", has_text="Premise").locator(".quote")).to_have_text(sentence)
    # Focus is back in the text, the caret just after the new unit.
    assert page.evaluate(FOCUSED_ID) == "article-text"
    assert page.evaluate(CARET) == {"focus": end, "anchor": end}


def test_the_caret_steps_over_emoji_and_combining_marks_whole(page, log_in, transactional_db):
    annotator = make_user("emma", password="secret-pass-1")
    project = make_project(slug="emoji", snapping=False)
    text = "Smile 🙂 and thumbs 👍🏽 up, then: n\u0304ew cities should ban cars 🚗 today."
    article = make_article(project, text=text)
    projects.set_member(project=project, user=annotator, role="annotator", by=None)
    projects.assign(article=article, annotators=[annotator], by=None)
    layer = Layer.objects.get(article=article)
    log_in("emma", "secret-pass-1")
    page.goto(f"/p/emoji/layers/{layer.pk}/")

    tab_to_text(page)
    for _ in range(len("Smile 🙂 and ")):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Control+ArrowRight")  # over "thumbs", to the next word's start
    assert caret(page) == utf16(text, text.index("👍🏽"))
    # The thumb and its skin tone are two code points (four UTF-16 units), one character.
    for _ in range(4):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("() => getSelection().toString()") == "👍🏽 up"
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#caret-speech")).to_have_text("Selected: 👍🏽 up")
    page.keyboard.press("p")

    premise = page.locator("#article-text mark[data-tag='Premise']")
    expect(premise).to_have_count(1)
    assert unit_quote(page, premise.get_attribute("data-unit")) == "👍🏽 up"
    end = utf16(text, text.index("👍🏽 up") + len("👍🏽 up"))
    assert page.evaluate(CARET) == {"focus": end, "anchor": end}

    # On, over the combining macron: n\u0304 is one character.
    for _ in range(len(", then: ")):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    assert page.evaluate("() => getSelection().toString()") == "n\u0304ew"
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    assert page.evaluate("() => getSelection().toString()") == "n\u0304"


CLAIM = "So will the ceasefire hold"
PREMISE = "Iran is depleted and banged up"


def test_linking_from_the_text_names_each_target_stepped_to(page, log_in, transactional_db):
    layer = seeded_layer((CLAIM, "Claim"), (PREMISE, "Premise"))
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    hint = page.locator("#mode-hint")
    tab_to_text(page)

    page.keyboard.press("]")
    page.keyboard.press("]")  # the premise, second in text order
    expect(hint).to_have_text(re.compile(f"^Premise “{PREMISE}” — "))
    page.keyboard.press("l")
    expect(hint).to_have_text(
        f"Linking from Premise “{PREMISE}”: click the target unit, or step with ] and [ and press Enter. Esc cancels."
    )
    page.keyboard.press("]")  # past the source, round to the claim

    expect(hint).to_have_text(
        f"Target: Claim “{CLAIM}” — press Enter, then s for supports, a for attacks. ] and [ step, Esc cancels."
    )
    page.keyboard.press("Enter")
    expect(hint).to_have_text(f"Premise “{PREMISE}” → Claim “{CLAIM}”: press s supports, a attacks. Esc cancels.")
    page.keyboard.press("s")
    expect(page.locator(".relation-row")).to_have_text([re.compile(f"^Premise “{PREMISE}”\\s*supports\\s*Claim")])
    assert page.evaluate(FOCUSED_ID) == "article-text"

    # The relation's Delete button: with no relation left in its place, focus goes back to the text.
    page.get_by_role("button", name="Delete relation").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".relation-row")).to_have_count(0)
    focus_settles_on(page, "#article-text")


def test_focus_after_a_delete_an_undo_and_finishing_is_where_the_work_goes_on(page, log_in, transactional_db):
    layer = seeded_layer((CLAIM, "Claim"), (PREMISE, "Premise"))
    text = layer.article.text
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    rows = page.locator("#unit-panel .unit-row")
    expect(rows).to_have_count(2)

    # The claim's Delete button in the panel: focus goes to the row now in its place.
    page.get_by_role("button", name="Delete unit 1").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    focus_settles_on(page, "#unit-panel .unit-row .unit-pick")

    # Undo from the keyboard there, then with the Undo button: focus stays on what
    # replaced the element that had it.
    page.keyboard.press("Control+z")
    expect(rows).to_have_count(2)
    premise_pick = page.locator("#unit-panel .unit-row", has_text=PREMISE).locator(".unit-pick")
    expect(premise_pick).to_be_focused()
    page.keyboard.press("Enter")  # chooses the premise
    page.keyboard.press("Delete")
    expect(rows).to_have_count(1)
    expect(page.locator("#unit-panel .unit-row", has_text=CLAIM).locator(".unit-pick")).to_be_focused()
    undo = page.locator("#history-buttons [data-action='undo']")
    undo.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    focus_settles_on(page, "#history-buttons [data-action='undo']")

    # In the text: Delete and Ctrl+Z leave focus there, and the caret where it was.
    page.keyboard.press("]")  # the claim
    expect(page.locator("#article-text mark.is-selected")).to_have_text(CLAIM)
    page.locator("#article-text").focus()
    caret_before = caret(page)
    assert caret_before == utf16(text, text.index(CLAIM) + len(CLAIM))  # after the chosen unit
    page.keyboard.press("Delete")
    expect(rows).to_have_count(1)
    assert page.evaluate(FOCUSED_ID) == "article-text"
    assert caret(page) == caret_before
    page.keyboard.press("Control+z")
    expect(rows).to_have_count(2)
    assert page.evaluate(FOCUSED_ID) == "article-text"
    assert caret(page) == caret_before

    # Mark finished: the structure checks find something; focus stays on Mark finished,
    # then Mark finished anyway gives way to Reopen, and Reopen to Mark finished.
    page.get_by_role("button", name="Mark finished").focus()
    page.keyboard.press("Enter")
    anyway = page.get_by_role("button", name="Mark finished anyway")
    expect(anyway).to_be_visible()
    expect(page.get_by_role("button", name="Mark finished", exact=True)).to_be_focused()
    anyway.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Reopen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Mark finished", exact=True)).to_be_focused()


# Right after the next answer swaps in, another answer settles (as the panel's, asked
# for by an earlier change, may): an htmx:afterSettle that is not that answer's.
EARLIER_ANSWER_SETTLES = """() => document.body.addEventListener("htmx:afterSwap", () => {
  document.body.dispatchEvent(new CustomEvent("htmx:afterSettle", {bubbles: true, detail: {xhr: {}}}));
}, {once: true})"""


def test_a_button_that_gets_focus_after_an_answer_works_at_once_even_when_another_answer_settles_first(
    page, log_in, transactional_db
):
    layer = seeded_layer((CLAIM, "Claim"), (PREMISE, "Premise"))
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    page.get_by_role("button", name="Mark finished").focus()
    page.keyboard.press("Enter")  # the structure checks find something
    anyway = page.get_by_role("button", name="Mark finished anyway")
    # Pressed once htmx has taken the new button up, as a person's first look at it
    # would take longer than that (what is tested is the focus after the next answer).
    anyway.wait_for()
    page.wait_for_function("button => 'htmx-internal-data' in button", arg=anyway.element_handle())
    anyway.focus()
    page.evaluate(EARLIER_ANSWER_SETTLES)
    page.keyboard.press("Enter")
    reopen = page.get_by_role("button", name="Reopen")
    expect(reopen).to_be_focused()
    page.keyboard.press("Enter")  # the first key on it: Reopen works
    expect(page.get_by_role("button", name="Mark finished", exact=True)).to_be_focused()
    layer.refresh_from_db()
    assert layer.status == Layer.Status.IN_PROGRESS


def test_a_label_button_pressed_from_the_keyboard_then_relabel_undo_and_redo_keep_the_caret(
    page, log_in, transactional_db
):
    layer = seeded_layer()
    text = layer.article.text
    start, end = utf16(text, text.index(CLAIM)), utf16(text, text.index(CLAIM) + len(CLAIM))
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    tab_to_text(page)
    press_until(page, "Control+ArrowRight", lambda: caret(page) >= start)
    assert caret(page) == start
    press_until(page, "Control+Shift+ArrowRight", lambda: caret(page) >= end)
    assert page.evaluate("() => getSelection().toString()") == CLAIM

    # Tab on to the Claim button (the selection stays) and press it.
    claim_button = ".legend [data-key='c']"
    press_until(page, "Tab", lambda: is_focused(page, claim_button), limit=10)
    page.keyboard.press("Enter")

    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(CLAIM)
    assert page.evaluate(FOCUSED_ID) == "article-text"
    assert page.evaluate(CARET) == {"focus": end, "anchor": end}

    # The new unit is chosen: p relabels it; undo and redo; the caret stays after it.
    for key, tag in [("p", "Premise"), ("Control+z", "Claim"), ("Control+Shift+z", "Premise")]:
        page.keyboard.press(key)
        expect(page.locator(f"#article-text mark[data-tag='{tag}']")).to_have_text(CLAIM)
        assert page.evaluate(FOCUSED_ID) == "article-text"
        assert page.evaluate(CARET) == {"focus": end, "anchor": end}


def test_up_down_home_and_end_cross_a_line_that_starts_with_a_unit_tag(page, log_in, transactional_db):
    major = "Israel is now the undisputed regional power"
    layer = seeded_layer((major, "MajorClaim"))
    text = layer.article.text
    start = utf16(text, text.index(major))
    paragraph = text[text.index(major) :].split("\n", 1)[0]
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    tab_to_text(page)

    # Down line by line, never more than a line's worth at a time, onto the unit's
    # first character (its tag, drawn before it, cannot be selected).
    offsets = [caret(page)]
    while offsets[-1] < start:
        page.keyboard.press("ArrowDown")
        offsets.append(caret(page))
    assert offsets[-1] == start
    assert all(0 < later - earlier < 150 for earlier, later in zip(offsets, offsets[1:], strict=False))

    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    line = page.evaluate("() => getSelection().toString()")
    # The line as laid out: the paragraph's start, up to where it wraps.
    assert line.startswith(f"{major} and has")
    assert paragraph.startswith(line)
    assert len(line) < len(paragraph)
    page.keyboard.press("Home")
    assert caret(page) == start
    page.keyboard.press("Shift+End")
    assert page.evaluate("() => getSelection().toString()") == line
    page.keyboard.press("Home")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert caret(page) == offsets[-3]
