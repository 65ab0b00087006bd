"""Relation arcs over the workspace's text: one arc per relation, from the box of its
source unit to the box of its target, following every change."""

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from annotate import relations, units
from annotate.models import Layer
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.test_workspace import drag_select

# Every arc drawn, as [relation, the unit under its start, the unit under its arrowhead],
# read from the drawing itself: the first point of its line and the last, the tip of its
# arrowhead, matched against the units' boxes on the page (an arc starts and ends just
# above the first box of its unit; nested units: the smallest box).
DRAWN_ARCS = """() => {
  const onPage = (path, point) => point.matrixTransform(path.getScreenCTM());
  const unitAt = ({x, y}) => {
    let found = null;
    for (const mark of document.querySelectorAll("#article-text mark[id]")) {
      const box = [...mark.getClientRects()].find((rect) => rect.width > 0);
      if (box && x >= box.left && x <= box.right && y <= box.top && y >= box.top - 4
          && (!found || box.width < found.width)) found = {unit: mark.dataset.unit, width: box.width};
    }
    return found ? found.unit : null;
  };
  return [...document.querySelectorAll("svg.arcs .arc")].map((arc) => {
    const lines = arc.querySelectorAll(".arc-line");
    if (lines.length !== 1) return [arc.dataset.relation, `${lines.length} lines`, null];
    const line = lines[0];
    const start = onPage(line, line.getPointAtLength(0));
    const tip = onPage(line, line.getPointAtLength(line.getTotalLength()));
    return [arc.dataset.relation, unitAt(start), unitAt(tip)];
  }).sort((a, b) => Number(a[0]) - Number(b[0]));
}"""


def drawn_arcs(page):
    return page.evaluate(DRAWN_ARCS)


def arcs_become(page, expected):
    """Wait until the arcs drawn are `expected` (they follow a change within a frame of
    its answer), then compare the whole list."""
    expected = sorted(([str(r), str(s), str(t)] for r, s, t in expected), key=lambda arc: int(arc[0]))
    try:
        page.wait_for_function(
            f"expected => JSON.stringify(({DRAWN_ARCS})()) === JSON.stringify(expected)", arg=expected, timeout=5_000
        )
    except PlaywrightTimeoutError:
        pass  # the assertion below says how they differ
    assert drawn_arcs(page) == expected


def arc_start(page, relation):
    """Where the arc of `relation` starts, relative to the text's top left corner (the
    hint line and messages above the text change height as the work goes on)."""
    return page.evaluate(
        """(relation) => {
          const line = document.querySelector(`svg.arcs .arc[data-relation="${relation}"] .arc-line`);
          const point = line.getPointAtLength(0).matrixTransform(line.getCTM());
          return [Math.round(point.x), Math.round(point.y)];
        }""",
        str(relation),
    )


def annotated(quotes):
    """The seed op-ed in alice's layer with a unit of each (label, quote)."""
    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text, project = layer.article.text, layer.article.project
    made = []
    for label, quote in quotes:
        start = text.index(quote)
        label = project.labels.get(name=label)
        made.append(
            units.create_unit(layer=layer, label=label, spans=[(start, start + len(quote))], user=layer.annotator).unit
        )
    return layer, made


def link(layer, name, source, target):
    relation_type = layer.article.project.relation_types.get(name=name)
    return relations.create_relation(
        layer=layer, type=relation_type, source=source, target=target, user=layer.annotator
    ).relation


MAJOR = "Israel is now the undisputed regional power"
CLAIM = "they were not able to bring Israel to its knees"
PREMISE = "Iran is depleted and banged up"
WEAKER = "revealed to be far more vulnerable than most in the region thought"
BOMBING = "Trump was able to talk Netanyahu into only a light bombing"


def test_each_relation_has_one_arc_from_its_source_unit_to_its_target(page, log_in, transactional_db):
    layer, (major, claim, premise, weaker, bombing) = annotated(
        [("MajorClaim", MAJOR), ("Claim", CLAIM), ("Premise", PREMISE), ("Premise", WEAKER), ("Claim", BOMBING)]
    )
    # Backwards and forwards, on one row and across rows, two arcs at one unit.
    linked = [
        link(layer, "supports", premise, claim),
        link(layer, "supports", weaker, premise),
        link(layer, "supports", claim, major),
        link(layer, "attacks", bombing, claim),
        link(layer, "supports", premise, bombing),
    ]
    log_in("alice", DEMO_PASSWORD)

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/p/demo/layers/{layer.pk}/")
    for width in (1400, 1000):  # and after the window is narrowed, without a reload
        page.set_viewport_size({"width": width, "height": 900})

        arcs_become(page, [(r.pk, r.source_id, r.target_id) for r in linked])
        labels = page.locator("svg.arcs .arc").evaluate_all(
            "arcs => arcs.map((arc) => [arc.dataset.relation, "
            "[...new Set([...arc.querySelectorAll('.arc-label')].map((label) => label.textContent))].join()])"
        )
        assert sorted(labels, key=lambda item: int(item[0])) == [[str(r.pk), r.type.name] for r in linked]


def test_an_arc_follows_a_relabel_a_boundary_change_an_undo_and_a_delete(page, log_in, transactional_db):
    layer, (claim, premise) = annotated([("Claim", CLAIM), ("Premise", PREMISE)])
    relation = link(layer, "supports", premise, claim)
    text = layer.article.text
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    arcs_become(page, [(relation.pk, premise.pk, claim.pk)])
    first = arc_start(page, relation.pk)

    # Relabel: the premise's tag becomes "MajorClaim", wider, and the arc moves with it.
    page.locator(".unit-row .unit-pick").filter(has_text=PREMISE).click()
    page.keyboard.press("m")
    expect(page.locator(f"#u-{premise.pk}")).to_have_attribute("data-tag", "MajorClaim")
    arcs_become(page, [(relation.pk, premise.pk, claim.pk)])
    relabelled = arc_start(page, relation.pk)
    assert relabelled != first

    # Boundaries: the unit (still chosen) moves to other words, far from where it was.
    elsewhere = "Israel is now the undisputed regional power"
    start = text.index(elsewhere)
    assert drag_select(page, text, start, start + len(elsewhere)) == elsewhere
    page.keyboard.press("e")
    expect(page.locator(f"#u-{premise.pk}")).to_have_text(elsewhere)
    arcs_become(page, [(relation.pk, premise.pk, claim.pk)])
    moved = arc_start(page, relation.pk)
    assert moved[1] > relabelled[1] + 100

    # Undo brings the boundaries back, and the arc.
    page.keyboard.press("Control+z")
    expect(page.locator(f"#u-{premise.pk}")).to_have_text(PREMISE)
    arcs_become(page, [(relation.pk, premise.pk, claim.pk)])
    assert arc_start(page, relation.pk) == relabelled

    # Deleting the unit deletes its relation, and its arc; undo brings both back.
    page.locator(".unit-row .unit-pick").filter(has_text=PREMISE).click()
    page.keyboard.press("Delete")
    expect(page.locator(".relation-row")).to_have_count(0)
    arcs_become(page, [])
    page.keyboard.press("Control+z")
    expect(page.locator(".relation-row")).to_have_count(1)
    arcs_become(page, [(relation.pk, premise.pk, claim.pk)])


def test_clicking_an_arc_and_pressing_delete_deletes_its_relation_and_ctrl_z_brings_it_back(
    page, log_in, transactional_db
):
    layer, (major, claim, premise) = annotated([("MajorClaim", MAJOR), ("Claim", CLAIM), ("Premise", PREMISE)])
    kept = link(layer, "supports", claim, major)
    deleted = link(layer, "attacks", premise, claim)
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    arcs_become(page, [(kept.pk, claim.pk, major.pk), (deleted.pk, premise.pk, claim.pk)])

    page.locator(f'svg.arcs .arc[data-relation="{deleted.pk}"] .arc-tag').first.click()
    expect(page.locator("#mode-hint")).to_contain_text("attacks: Premise")
    expect(page.locator(f'svg.arcs .arc[data-relation="{deleted.pk}"]')).to_have_class(re.compile("is-chosen"))
    page.keyboard.press("Delete")

    expect(page.locator(".relation-row")).to_have_count(1)
    arcs_become(page, [(kept.pk, claim.pk, major.pk)])
    expect(page.locator(".unit-row")).to_have_count(3)  # its units stay

    page.keyboard.press("Control+z")
    expect(page.locator(".relation-row")).to_have_count(2)
    arcs_become(page, [(kept.pk, claim.pk, major.pk), (deleted.pk, premise.pk, claim.pk)])


def test_linking_draws_the_pending_arc_from_the_source_to_the_pointer(page, log_in, transactional_db):
    layer, (claim, premise) = annotated([("Claim", CLAIM), ("Premise", PREMISE)])
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    page.locator(".unit-row .unit-pick").filter(has_text=PREMISE).click()
    pending = page.locator("svg.arcs .arc-pending")

    page.keyboard.press("l")
    box = page.locator(f"#u-{claim.pk}").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 5)

    expect(pending).to_have_attribute("d", re.compile(r"^M.+C.+"))
    page.keyboard.press("Escape")
    expect(pending).to_have_attribute("d", "")


def test_hovering_an_arc_highlights_its_relation_and_both_its_units(page, log_in, transactional_db):
    layer, (major, claim, premise) = annotated([("MajorClaim", MAJOR), ("Claim", CLAIM), ("Premise", PREMISE)])
    hovered = link(layer, "supports", premise, claim)
    link(layer, "supports", claim, major)
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")

    page.locator(f'svg.arcs .arc[data-relation="{hovered.pk}"] .arc-tag').first.hover()

    expect(page.locator("svg.arcs .arc.is-hovered")).to_have_attribute("data-relation", str(hovered.pk))
    expect(page.locator(".relation-row.is-hovered")).to_have_attribute("data-relation", str(hovered.pk))
    ends = page.locator("#article-text mark.is-arc-end").evaluate_all("marks => marks.map((mark) => mark.dataset.unit)")
    assert sorted(set(ends)) == sorted([str(premise.pk), str(claim.pk)])


# The arcs' layout: what each arc and each row of the text takes, read from the page.
LABEL_BOXES = """() => [...document.querySelectorAll("svg.arcs .arc .arc-tag")].map((tag) => {
  const box = tag.getBoundingClientRect();
  return [tag.closest(".arc").dataset.relation, box.left, box.top, box.right, box.bottom];
})"""
ARC_PARTS = """(relation) => {
  const arc = document.querySelector(`svg.arcs .arc[data-relation="${relation}"]`);
  return [arc.querySelectorAll(".arc-line").length, [...arc.querySelectorAll(".arc-label")].map((l) => l.textContent)];
}"""
TIP_X = """(relation) => {
  const line = document.querySelector(`svg.arcs .arc[data-relation="${relation}"] .arc-line`);
  return Math.round(line.getPointAtLength(line.getTotalLength()).matrixTransform(line.getScreenCTM()).x);
}"""
FIRST_ROW_TOP = "(unit) => Math.round(document.getElementById(`u-${unit}`).getClientRects()[0].top)"
TEXT_HEIGHT = "() => document.getElementById('article-text').getBoundingClientRect().height"


def forty_relations():
    """bob's layer of the seed op-ed: a unit on each of 30 sentences and 40 relations
    between them (claims into the major claim, the rest mostly between neighbours)."""
    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="bob")
    text, project = layer.article.text, layer.article.project
    sentences = list(re.finditer(r"[A-Z][^.!?\n]{40,220}[.!?]", text))[:30]
    assert len(sentences) == 30
    names = ["MajorClaim"] + ["Claim"] * 9 + ["Premise"] * 20
    made = [
        units.create_unit(
            layer=layer, label=project.labels.get(name=name), spans=[(m.start(), m.end())], user=layer.annotator
        ).unit
        for name, m in zip(names[3:4] + names[:3] + names[4:], sentences, strict=True)
    ]
    major = made[1]
    pairs = [(made[i], major) for i in (0, 2, 3, 5, 9, 14, 20, 25, 29)]
    for offset in (1, -2, 3, -1, 2, -3, 4):
        for i, j in ((i, i + offset) for i in range(30)):
            candidate = (made[i], made[j % 30])
            if len(pairs) < 40 and made[i] is not major and j != i and candidate[::-1] not in pairs:
                if candidate not in pairs and 0 <= j < 30:
                    pairs.append(candidate)
    assert len(pairs) == 40
    linked = [link(layer, "attacks" if n % 5 == 4 else "supports", s, t) for n, (s, t) in enumerate(pairs)]
    return layer, linked


def test_no_two_arc_labels_overlap_on_an_article_with_40_relations(page, log_in, transactional_db):
    layer, linked = forty_relations()
    log_in("bob", DEMO_PASSWORD)
    for width in (1400, 1000):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/p/demo/layers/{layer.pk}/")
        arcs_become(page, [(r.pk, r.source_id, r.target_id) for r in linked])
        boxes = page.evaluate(LABEL_BOXES)
        assert len(boxes) == 40  # one label per arc
        overlapping = [
            (a[0], b[0])
            for n, a in enumerate(boxes)
            for b in boxes[n + 1 :]
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
        ]
        assert overlapping == []


def test_an_arc_across_rows_is_one_line_with_one_label(page, log_in, transactional_db):
    layer, (major, premise) = annotated([("MajorClaim", MAJOR), ("Premise", PREMISE)])
    relation = link(layer, "supports", premise, major)
    log_in("alice", DEMO_PASSWORD)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/p/demo/layers/{layer.pk}/")
    arcs_become(page, [(relation.pk, premise.pk, major.pk)])
    assert page.evaluate(FIRST_ROW_TOP, premise.pk) < page.evaluate(FIRST_ROW_TOP, major.pk) - 100
    assert page.evaluate(ARC_PARTS, str(relation.pk)) == [1, ["supports"]]


def test_arcs_into_one_unit_end_at_different_places_along_its_box(page, log_in, transactional_db):
    layer, (major, claim, premise, weaker) = annotated(
        [("MajorClaim", MAJOR), ("Claim", CLAIM), ("Premise", PREMISE), ("Premise", WEAKER)]
    )
    linked = [link(layer, "supports", unit, major) for unit in (claim, premise, weaker)]
    log_in("alice", DEMO_PASSWORD)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/p/demo/layers/{layer.pk}/")
    arcs_become(page, [(r.pk, r.source_id, major.pk) for r in linked])
    tips = sorted(page.evaluate(TIP_X, str(r.pk)) for r in linked)
    box = page.locator(f"#u-{major.pk}").evaluate("mark => mark.getClientRects()[0].width")
    # Spread evenly along the box: a third of its width apart, not bunched in its middle.
    assert [round((b - a) / (box / 3)) for a, b in zip(tips, tips[1:], strict=False)] == [1, 1]


FIRST_ROW = [
    ("Premise", "sudden"),
    ("Claim", "announcement"),
    ("Premise", "between Israel"),
    ("Claim", "surprised many"),
]


def test_a_row_is_spaced_by_the_lanes_it_carries_and_arcs_apart_share_a_lane(page, log_in, transactional_db):
    layer, (a, b, c, d) = annotated(FIRST_ROW)
    first = link(layer, "supports", a, b)
    log_in("alice", DEMO_PASSWORD)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/p/demo/layers/{layer.pk}/?arcs=off")
    bare = page.evaluate(TEXT_HEIGHT)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    arcs_become(page, [(first.pk, a.pk, b.pk)])
    one_arc = page.evaluate(TEXT_HEIGHT) - bare
    assert 0 < one_arc < 30  # one lane's room over one row

    # A second arc beside the first, on the same row, takes the same lane: no more room.
    second = link(layer, "supports", c, d)
    page.reload()
    arcs_become(page, [(first.pk, a.pk, b.pk), (second.pk, c.pk, d.pk)])
    assert len({page.evaluate(FIRST_ROW_TOP, unit.pk) for unit in (a, b, c, d)}) == 1  # one row
    labels = page.evaluate(LABEL_BOXES)
    assert labels[0][2] == labels[1][2]
    assert page.evaluate(TEXT_HEIGHT) - bare == one_arc

    # An arc over both needs a second lane, and the row gets one lane's room more.
    third = link(layer, "attacks", d, a)
    page.reload()
    arcs_become(page, [(first.pk, a.pk, b.pk), (second.pk, c.pk, d.pk), (third.pk, d.pk, a.pk)])
    assert page.evaluate(TEXT_HEIGHT) - bare == one_arc + 15
