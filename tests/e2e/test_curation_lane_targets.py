"""The review's lanes as a person uses them, in a real browser: every unit a target of at
least 24 × 24 px (WCAG 2.5.8, met by size, not by the spacing exception: a unit of one
letter gets a hit area 24 px wide around its short bar), each lane named beside it on
every row it has bars on, and a layer's nested units drawn inside its own lane, so that
the lanes under it stay where they are."""

import pytest
from playwright.sync_api import expect

from annotate import projects, review
from annotate.models import Layer
from annotate.seeding import DEMO_PASSWORD
from tests.e2e.test_curation_lanes import op_ed  # noqa: F401 (a fixture)
from tests.e2e.test_journey_curator import lane_units
from tests.factories import make_article, make_project, make_unit, make_user, scheme_of

SHORT = "I know. Cars go, but shops stay: a win for all of us.\nX marks it."
NESTED = "Cities should ban cars from their centres, as traffic kills thousands every year.\nShops stay."
OUTER = "Cities should ban cars from their centres, as traffic kills thousands every year."
INNER = "traffic kills thousands every year"

# For every unit drawn in the lanes (its bars on each line): the least width and height
# of its hit areas, and whether one of them holds a 24 × 24 px square that no other
# target covers (elementFromPoint at its corners and centre finds the unit itself; the
# corners 1 px inside, as the browser snaps a box's edges to whole pixels to hit-test).
TARGETS = """units => units.map(unit => {
  const hits = [...unit.querySelectorAll('.hit')];
  const free = hits.some(hit => {
    hit.scrollIntoView({ block: 'center' });
    const box = hit.getBoundingClientRect();
    const mine = (x, y) => document.elementFromPoint(x, y)?.closest('.lane-unit') === unit;
    for (let left = box.left; left + 24 <= box.right + 0.01; left += 2) {
      const [x0, x1, y0, y1] = [left + 1, left + 23, box.top + 1, box.top + 23];
      if ([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [left + 12, box.top + 12]].every(([x, y]) => mine(x, y))) {
        return true;
      }
    }
    return false;
  });
  const boxes = hits.map(hit => hit.getBoundingClientRect());
  return [Math.min(...boxes.map(b => b.width)) >= 24, Math.min(...boxes.map(b => b.height)) >= 24, free];
})"""

# For every lane: its name as shown beside it, the tops of its rows that have bars and
# the tops of the names shown, each name fully visible in the margin left of the words.
NAMES = """lanes => lanes.map(lane => {
  const words = lane.closest('.c-line').querySelector('.c-text').getBoundingClientRect();
  const tags = [...lane.querySelectorAll('.lane-tag')].filter(tag => tag.checkVisibility());
  const tops = [...new Set([...lane.querySelectorAll('.hit')].map(hit => hit.getBoundingClientRect().top))];
  return [
    lane.getAttribute('aria-label'),
    [...new Set(tags.map(tag => tag.textContent))],
    tops.sort((a, b) => a - b),
    tags.map(tag => tag.getBoundingClientRect().top).sort((a, b) => a - b),
    tags.every(tag => {
      const box = tag.getBoundingClientRect();
      return tag.scrollWidth <= tag.clientWidth && box.right <= words.left && box.left >= 0 && box.height >= 12;
    }),
  ];
})"""

# Where each unit's bars and hit areas are, from the top of the review's text.
PLACES = """units => units.map(unit => {
  const origin = unit.closest('.curation-text').getBoundingClientRect().top;
  return [...unit.querySelectorAll('.hit')].map(hit => {
    const bar = hit.querySelector('.frag').getBoundingClientRect();
    return [hit.getBoundingClientRect().top - origin, bar.top - origin, bar.bottom - origin];
  });
})"""


@pytest.fixture
def streets(transactional_db):
    """A project with a curator and two annotators; `streets(text)` adds an article with
    that text assigned to both and returns it with ann's and ben's layers."""
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="opeds")
    projects.set_member(project=project, user=make_user("cory_curator"), role="curator", by=manager)
    ann, ben = make_user("ann_annotator"), make_user("ben_annotator")
    for annotator in (ann, ben):
        projects.set_member(project=project, user=annotator, role="annotator", by=manager)

    def add(text: str):
        article = make_article(project, text=text)
        projects.assign(article=article, annotators=[ann, ben], by=manager)
        layers = Layer.objects.select_related("article__project", "annotator").filter(article=article)
        return article, *sorted(layers, key=lambda layer: layer.annotator.username)

    add.scheme = scheme_of(project)
    add.curator = project.memberships.get(role="curator").user
    return add


def test_every_unit_of_the_demo_review_is_a_target_of_at_least_24_px_and_each_lane_is_named(page, log_in, op_ed):  # noqa: F811
    log_in("curator", DEMO_PASSWORD)
    page.goto(f"/p/demo/articles/{op_ed.pk}/review/")
    # Gold's lane too: alice's first unit adopted.
    page.keyboard.press("]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("adopted.")
    expect(lane_units(page, "gold")).to_have_count(1)
    page.screenshot(path="/tmp/lane-targets-demo.png", full_page=True, caret="initial")

    units = page.locator("#curation .lane-unit")
    expect(units).to_have_count(10)  # alice's 5, bob's 4 and gold's 1
    assert units.evaluate_all(TARGETS) == [[True, True, True]] * 10
    names = page.locator('#curation [role="group"]').evaluate_all(NAMES)
    # The three lines with units: gold's, alice's and bob's lanes, then alice's and bob's twice.
    assert [(label, shown, fits) for label, shown, _, _, fits in names] == [
        ("Gold units", ["Gold"], True),
        ("alice’s units", ["alice"], True),
        ("bob’s units", ["bob"], True),
        ("alice’s units", ["alice"], True),
        ("bob’s units", ["bob"], True),
        ("alice’s units", ["alice"], True),
        ("bob’s units", ["bob"], True),
    ]
    # A name on every row of the lane that has bars, level with them.
    assert [tags for _, _, _, tags, _ in names] == [rows for _, _, rows, _, _ in names]


def test_a_unit_of_one_letter_has_a_hit_area_24_px_wide_around_its_bar(page, log_in, streets):
    article, ann, ben = streets(SHORT)
    scheme = streets.scheme
    make_unit(ann, scheme["Claim"], "I")
    make_unit(ann, scheme["Premise"], "a win", inner="a")
    make_unit(ann, scheme["Premise"], "of us.", inner="s")  # the line's last letter
    make_unit(ben, scheme["Claim"], "I")
    make_unit(ben, scheme["Claim"], "X")

    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/review/")
    units = page.locator("#curation .lane-unit")
    expect(units).to_have_count(5)
    page.screenshot(path="/tmp/lane-targets-short.png", full_page=True, caret="initial")

    assert units.evaluate_all(TARGETS) == [[True, True, True]] * 5
    widths = units.evaluate_all(
        """units => units.map(unit => {
          const hit = unit.querySelector('.hit').getBoundingClientRect();
          const bar = unit.querySelector('.frag').getBoundingClientRect();
          return [Math.round(hit.width), Math.round(hit.height), bar.width < 12];
        })"""
    )
    assert widths == [[24, 24, True]] * 5
    # The keys choose them as before, and Enter adopts.
    page.keyboard.press("]")
    expect(page.locator("#curation button.lane-unit:focus")).to_have_text(
        "Adopt Claim “I” from ann_annotator: agreed by all"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Claim “I” adopted.")


def test_a_nested_unit_is_drawn_inside_its_layers_lane_and_moves_no_other_lane(page, log_in, streets):
    scheme, curator = streets.scheme, streets.curator
    places = {}
    for nested in (False, True):
        article, ann, ben = streets(f"{NESTED}\n{'Two' if nested else 'One'}.")  # one article per text
        make_unit(ann, scheme["Claim"], OUTER)
        if nested:
            make_unit(ann, scheme["Premise"], INNER)
        review.adopt_unit(unit=make_unit(ben, scheme["Claim"], OUTER), user=curator)
        make_unit(ben, scheme["Premise"], "Shops stay.")
        if not nested:
            log_in("cory_curator", "secret-pass-1")
        page.goto(f"/p/opeds/articles/{article.pk}/review/")
        expect(lane_units(page, "ann_annotator")).to_have_count(2 if nested else 1)
        page.screenshot(path=f"/tmp/lane-targets-nested-{nested}.png", full_page=True, caret="initial")
        places[nested] = {
            owner: lane_units(page, owner).evaluate_all(PLACES) for owner in ("gold", "ann_annotator", "ben_annotator")
        }
        text_below = page.get_by_text("Shops stay.", exact=True).evaluate("words => words.getBoundingClientRect().top")
        places[nested]["text below"] = text_below - page.locator(".curation-text").evaluate(
            "text => text.getBoundingClientRect().top"
        )

    # Gold's and ben's bars, and the line under them, are where they were without the nested unit.
    assert [places[True][key] for key in ("gold", "ben_annotator", "text below")] == [
        places[False][key] for key in ("gold", "ben_annotator", "text below")
    ]
    # ann's outer unit keeps her lane's hit area; the nested one shares it, its bar under the outer one's.
    (outer_hit, outer_top, outer_bottom), (inner_hit, inner_top, inner_bottom) = [
        rows[0] for rows in places[True]["ann_annotator"]
    ]
    assert (outer_hit, inner_hit) == (places[False]["ann_annotator"][0][0][0],) * 2
    assert outer_hit < outer_top < outer_bottom < inner_top < inner_bottom < outer_hit + 24

    # Each is still a whole target, and the keys walk to the nested one: `]` chooses ann's
    # claim, ben's (in gold), then ann's nested premise, which Enter adopts.
    units = page.locator("#curation .lane-unit")
    assert units.evaluate_all(TARGETS) == [[True, True, True]] * 5
    for _ in range(3):
        page.keyboard.press("]")
    expect(page.locator("#curation button.lane-unit:focus")).to_have_text(
        f"Adopt Premise “{INNER}” from ann_annotator: only here"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Premise “{INNER}” adopted.")
    expect(page.locator("#curation button.lane-unit:focus")).to_have_text(
        "Adopt Premise “Shops stay.” from ben_annotator: only here"
    )
