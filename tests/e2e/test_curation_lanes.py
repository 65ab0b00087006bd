"""Curation on one text, in a real browser: the seeded op-ed once, with gold's, alice's and
bob's units in lanes under the words they cover, their verdicts drawn so that they read
without colour, adoption by a click and by keys, and a page not much taller than the
text itself.

alice and bob mark the op-ed as the curator's journey has them do
(`tests/e2e/test_journey_curator.py`).
"""

import pytest
from playwright.sync_api import expect

from annotate.models import Article, Project
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import refused
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_journey_curator import (
    ALICE_MAJOR,
    BOB_MAJOR,
    CLAIM,
    DISPUTED,
    PREMISE,
    SECOND_CLAIM,
    annotate_the_op_ed,
    cut,
    lane_units,
)


def adopt_name(label: str, quote: str, owner: str, verdict: str) -> str:
    """A lane unit's name: a claim's stance comes last."""
    stance = f", stance {STANCE[quote]}" if label == "Claim" else ""
    return f"Adopt {label} “{cut(quote, 40)}” from {owner}: {verdict}{stance}"


# The stance each claim has (alice's and bob's claims on the same words agree on it).
STANCE = {CLAIM: "For", SECOND_CLAIM: "Against", DISPUTED: "For"}


# What each annotator marked, with its verdict (see the journey's table).
ALICE = [
    ("MajorClaim", ALICE_MAJOR, "boundaries differ"),
    ("Claim", CLAIM, "agreed by all"),
    ("Claim", SECOND_CLAIM, "agreed by all"),
    ("Premise", PREMISE, "only here"),
    ("Premise", DISPUTED, "label differs"),
]
BOB = [
    ("MajorClaim", BOB_MAJOR, "boundaries differ"),
    ("Claim", CLAIM, "agreed by all"),
    ("Claim", SECOND_CLAIM, "agreed by all"),
    ("Claim", DISPUTED, "label differs"),
]
VERDICT_CLASS = {
    "agreed by all": "verdict-agreed",
    "boundaries differ": "verdict-boundaries",
    "label differs": "verdict-label",
    "only here": "verdict-only",
}

# For each lane unit: the words of its line above its bars, found where the browser drew
# them (the caret at each bar's two ends, on the row of words just above its lanes).
WORDS_ABOVE_BARS = """units => units.map(unit => {
  const line = unit.closest('.c-line');
  const node = line.querySelector('.c-words').firstChild;
  const pitch = parseFloat(getComputedStyle(line.closest('.curation-text')).getPropertyValue('--pitch'));
  const row = Number(unit.dataset.row);
  const ends = [...unit.querySelectorAll('.frag')].map(frag => {
    frag.scrollIntoView({ block: 'center' });
    const box = frag.getBoundingClientRect();
    const y = frag.parentElement.getBoundingClientRect().top - row * pitch - 10;
    const at = x => {
      const caret = document.caretRangeFromPoint(x, y);
      return caret.startContainer === node ? caret.startOffset : -1;
    };
    return [at(box.left + 1), at(box.right + 1)];
  });
  // A bar that ends where its row wraps runs on to where the next row's bar begins
  // (the space the row wraps at is drawn on neither).
  return ends.map(([start, end], index) => {
    const until = index + 1 < ends.length ? ends[index + 1][0] : end;
    return node.data.slice(start, until);
  }).join('');
})"""


@pytest.fixture
def op_ed(transactional_db) -> Article:
    load_seeds()
    project = Project.objects.get(slug="demo")
    article = Article.objects.get(project=project)
    annotate_the_op_ed(project, article)
    return article


def in_text_order(article: Article, units: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return sorted(units, key=lambda unit: article.text.index(unit[1]))


def test_lanes_show_each_annotators_units_under_the_words_they_cover_with_their_verdicts(page, log_in, op_ed):
    alice, bob = in_text_order(op_ed, ALICE), in_text_order(op_ed, BOB)

    log_in("curator", DEMO_PASSWORD)
    page.goto(f"/p/demo/articles/{op_ed.pk}/review/")

    expect(lane_units(page, "alice")).to_have_text([adopt_name(*unit[:2], "alice", unit[2]) for unit in alice])
    expect(lane_units(page, "bob")).to_have_text([adopt_name(*unit[:2], "bob", unit[2]) for unit in bob])
    expect(lane_units(page, "gold")).to_have_count(0)
    page.screenshot(path="/tmp/curation-lanes.png", full_page=True, caret="initial")
    # Every unit's bars lie under exactly its words (each of these units is on one line).
    assert lane_units(page, "alice").evaluate_all(WORDS_ABOVE_BARS) == [quote for _, quote, _ in alice]
    assert lane_units(page, "bob").evaluate_all(WORDS_ABOVE_BARS) == [quote for _, quote, _ in bob]
    # The verdict is drawn as a pattern of its own (the key's), not by colour alone.
    classes = lane_units(page, "alice").evaluate_all(
        "units => units.map(u => [...u.classList].find(c => c.startsWith('verdict-')))"
    )
    assert classes == [VERDICT_CLASS[verdict] for _, _, verdict in alice]
    # The bar's pattern with its colours left out.
    pattern = """element => {
      const style = getComputedStyle(element);
      const drawn = [style.backgroundImage, style.borderTopStyle, style.borderTopWidth].join(' ');
      return drawn.replace(/rgba?\\([^)]*\\)/g, 'C');
    }"""
    drawn = {
        verdict: lane_units(page, "alice").nth(index).locator(".frag").first.evaluate(pattern)
        for index, (_, _, verdict) in enumerate(alice)
    }
    key = {
        verdict: page.locator(f".verdict-key .sample.{VERDICT_CLASS[verdict]}:not(.in-gold)").evaluate(pattern)
        for verdict in drawn
    }
    assert (drawn, len(set(drawn.values()))) == (key, 4)


def test_a_click_and_the_keys_adopt_units_and_the_next_unit_is_chosen(page, log_in, op_ed, expect_console_errors):
    expect_console_errors(refused(422))  # bob's major claim overlaps gold's: the page asks first
    status = page.get_by_role("status")
    chosen = page.locator("#curation button.lane-unit:focus")
    gold = lane_units(page, "gold")

    log_in("curator", DEMO_PASSWORD)
    page.goto(f"/p/demo/articles/{op_ed.pk}/review/")
    expect(lane_units(page, "alice")).to_have_count(5)

    # `]` / `[` walk the annotators' units in text order, alice's before bob's where both begin alike.
    page.keyboard.press("]")
    expect(chosen).to_have_text(adopt_name("Claim", CLAIM, "alice", "agreed by all"))
    assert chosen.locator(".frag").first.evaluate("frag => getComputedStyle(frag).outlineStyle") == "solid"
    for key in "]][":
        page.keyboard.press(key)
    expect(chosen).to_have_text(adopt_name("Claim", CLAIM, "bob", "agreed by all"))
    page.keyboard.press("[")
    expect(chosen).to_have_text(adopt_name("Claim", CLAIM, "alice", "agreed by all"))

    # Enter adopts the chosen unit, and the next one is chosen.
    page.keyboard.press("Enter")
    expect(status).to_have_text(f"Claim “{CLAIM}” adopted.")
    expect(gold).to_have_text([f"Claim · For “{cut(CLAIM, 40)}”: 2 of 2 annotators"])
    expect(chosen).to_have_text(adopt_name("Claim", CLAIM, "bob", "agreed by all, in gold"))

    # A click on a unit's bar adopts it, with its relation to the claim gold has.
    page.get_by_role("button", name=adopt_name("Premise", PREMISE, "alice", "only here")).locator(".frag").first.click()
    expect(status).to_have_text(f"Premise “{PREMISE}” adopted, with 1 relation.")
    expect(gold).to_have_count(2)
    expect(chosen).to_have_text(adopt_name("MajorClaim", ALICE_MAJOR, "alice", "boundaries differ"))
    page.keyboard.press("Enter")
    expect(status).to_have_text(f"MajorClaim “{cut(ALICE_MAJOR, 60)}” adopted.")
    expect(gold).to_have_count(3)

    # bob's major claim overlaps the adopted one: Enter asks, and his stays chosen.
    expect(chosen).to_have_text(adopt_name("MajorClaim", BOB_MAJOR, "bob", "boundaries differ, gold differs"))
    page.keyboard.press("Enter")
    expect(status).to_contain_text(f"Gold already has a MajorClaim that overlaps this one: “{ALICE_MAJOR}”.")
    expect(chosen).to_have_text(adopt_name("MajorClaim", BOB_MAJOR, "bob", "boundaries differ, gold differs"))

    # `r` replaces the gold unit it overlaps with the chosen one.
    page.keyboard.press("r")
    expect(status).to_have_text(f"MajorClaim “{BOB_MAJOR}” replaced “{cut(ALICE_MAJOR, 60)}” in gold.")
    expect(gold).to_have_text(
        [
            f"Claim · For “{cut(CLAIM, 40)}”: 2 of 2 annotators",
            f"Premise “{PREMISE}”: 1 of 2 annotators",
            f"MajorClaim “{cut(BOB_MAJOR, 40)}”: 1 of 2 annotators",
        ]
    )
    expect(chosen).to_have_text(adopt_name("Claim", SECOND_CLAIM, "alice", "agreed by all"))
    page.screenshot(path="/tmp/curation-keys.png", full_page=True, caret="initial")

    # `r` on a unit that overlaps nothing in gold adopts it.
    page.keyboard.press("r")
    expect(status).to_have_text(f"Claim “{SECOND_CLAIM}” adopted.")
    expect(gold).to_have_count(4)
    expect(chosen).to_have_text(adopt_name("Claim", SECOND_CLAIM, "bob", "agreed by all, in gold"))


@pytest.mark.parametrize("width", [1400, 1000])
def test_for_two_annotators_the_review_is_at_most_1_7_times_as_tall_as_the_text(page, log_in, op_ed, width):
    # Every lane is 24 px high under each row of a line that has lanes, so that each
    # unit is a 24 × 24 px target (WCAG 2.5.8): 1.64 and 1.65 times the text at these
    # widths, where bars of 4 px on a 5 px pitch took 1.25 and 1.23.
    page.set_viewport_size({"width": width, "height": 1000})
    log_in("curator", DEMO_PASSWORD)
    page.goto(f"/p/demo/articles/{op_ed.pk}/review/")
    # With gold's lane too: alice's first unit adopted.
    page.keyboard.press("]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("adopted.")
    expect(lane_units(page, "gold")).to_have_count(1)

    curation = page.locator("#curation").evaluate("element => element.getBoundingClientRect().height")
    # The same text without lanes: every line as an article's text is drawn.
    text_alone = page.locator("#curation .curation-text").evaluate(
        """text => {
          text.querySelectorAll('.c-line').forEach(line => line.classList.remove('has-lanes'));
          text.querySelectorAll('.lane').forEach(lane => { lane.style.display = 'none'; });
          return text.getBoundingClientRect().height;
        }"""
    )

    assert curation / text_alone <= 1.7, (curation, text_alone)


@pytest.mark.parametrize("view", ["", "?view=table"])
def test_both_views_with_gold_and_a_question_have_no_serious_accessibility_violations(
    page, log_in, op_ed, view, expect_console_errors
):
    expect_console_errors(refused(422))  # the question: bob's major claim overlaps gold's
    log_in("curator", DEMO_PASSWORD)
    page.goto(f"/p/demo/articles/{op_ed.pk}/review/{view}")
    # bob's major claim overlaps alice's, adopted first: the page asks what to do.
    steps = [(ALICE_MAJOR, "alice", "adopted."), (BOB_MAJOR, "bob", "overlaps this one")]
    for quote, owner, answer in steps:
        adopt = page.get_by_role("button", name=f"Adopt MajorClaim “{cut(quote, 40)}” from {owner}")
        (adopt if view else adopt.locator(".frag").first).click()
        expect(page.get_by_role("status")).to_contain_text(answer)
    expect(page.get_by_role("button", name="Replace it with bob’s")).to_be_visible()

    assert serious_violations(page) == []


def test_in_the_table_of_units_an_adoption_leaves_the_focus_on_the_next_adopt_button(page, log_in, op_ed):
    log_in("curator", DEMO_PASSWORD)
    page.goto(f"/p/demo/articles/{op_ed.pk}/review/?view=table")
    page.get_by_role("button", name=f"Adopt Premise “{PREMISE}” from alice").focus()

    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(f"Premise “{PREMISE}” adopted.")
    expect(page.get_by_role("button", name=f"Adopt MajorClaim “{cut(ALICE_MAJOR, 40)}” from alice")).to_be_focused()
