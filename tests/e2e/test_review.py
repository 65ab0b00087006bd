"""Review and adopt in a real browser: a curator builds gold unit by unit in the lanes and
exports it, and settles an overlap in the table of units."""

import json

import pytest
from playwright.sync_api import expect

from annotate import projects
from annotate.models import Layer
from tests.e2e.console import refused
from tests.e2e.test_journey_curator import lane_units
from tests.factories import make_article, make_project, make_relation, make_unit, make_user, scheme_of

CLAIM = "Critics say shops will suffer"
PREMISE = "footfall rises where streets are calm"


@pytest.fixture
def calm_streets(transactional_db):
    """A project with a curator and two annotators, each with a layer on the article
    "Calm streets": the project, the article, its scheme and the two layers."""
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="opeds")
    curator = make_user("cory_curator")
    projects.set_member(project=project, user=curator, role="curator", by=manager)
    ann, ben = make_user("ann_annotator"), make_user("ben_annotator")
    for annotator in (ann, ben):
        projects.set_member(project=project, user=annotator, role="annotator", by=manager)
    article = make_article(project, title="Calm streets")
    projects.assign(article=article, annotators=[ann, ben], by=manager)
    ann_layer, ben_layer = Layer.objects.select_related("article__project", "annotator").filter(article=article)
    return project, article, scheme_of(project), ann_layer, ben_layer


def test_curator_adopts_a_claim_and_its_premise_and_exports_gold_with_their_relation(
    page, log_in, calm_streets, tmp_path
):
    project, article, scheme, ann_layer, ben_layer = calm_streets
    claim, premise = make_unit(ann_layer, scheme["Claim"], CLAIM), make_unit(ann_layer, scheme["Premise"], PREMISE)
    make_relation(ann_layer, scheme["attacks"], premise, claim)
    make_unit(ben_layer, scheme["Claim"], CLAIM)

    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/")
    page.get_by_role("link", name="Review and adjudicate").click()
    expect(page.get_by_role("heading", name="Review: Calm streets")).to_be_visible()
    status = page.get_by_role("status")
    gold = lane_units(page, "gold")
    expect(lane_units(page, "ann_annotator")).to_have_text(
        [
            f"Adopt Claim “{CLAIM}” from ann_annotator: agreed by all",
            f"Adopt Premise “{PREMISE}” from ann_annotator: only here",
        ]
    )
    expect(lane_units(page, "ben_annotator")).to_have_text([f"Adopt Claim “{CLAIM}” from ben_annotator: agreed by all"])
    page.get_by_text("1 relation of ann_annotator").click()
    expect(page.get_by_role("list", name="Relations of ann_annotator")).to_contain_text("units differ")

    page.get_by_role("button", name=f"Adopt Claim “{CLAIM}” from ann_annotator").locator(".frag").first.click()
    expect(status).to_have_text(f"Claim “{CLAIM}” adopted.")
    expect(gold).to_have_text([f"Claim “{CLAIM}”: 2 of 2 annotators"])
    expect(page.get_by_role("list", name="Gold relations")).to_have_count(0)
    # ben marked the same claim: his unit now says it is in gold too.
    expect(lane_units(page, "ben_annotator")).to_have_text(
        [f"Adopt Claim “{CLAIM}” from ben_annotator: agreed by all, in gold"]
    )

    page.get_by_role("button", name=f"Adopt Premise “{PREMISE}” from ann_annotator").locator(".frag").first.click()
    expect(status).to_have_text(f"Premise “{PREMISE}” adopted, with 1 relation.")
    expect(gold).to_have_text([f"Claim “{CLAIM}”: 2 of 2 annotators", f"Premise “{PREMISE}”: 1 of 2 annotators"])
    gold_relations = page.get_by_role("list", name="Gold relations").get_by_role("listitem")
    expect(gold_relations).to_have_count(1)
    expect(gold_relations).to_contain_text("attacks")

    page.get_by_role("link", name="Export").click()
    page.get_by_label("Format:", exact=True).select_option("jsonl")
    page.get_by_label("Layers:", exact=True).select_option("gold")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()

    path = tmp_path / "gold.jsonl"
    download.value.save_as(path)
    (line,) = path.read_text(encoding="utf-8").splitlines()
    (gold,) = json.loads(line)["layers"]
    assert gold["owner"] == "gold"
    assert [(unit["id"], unit["label"], unit["text"]) for unit in gold["units"]] == [
        ("T1", "Claim", [CLAIM]),
        ("T2", "Premise", [PREMISE]),
    ]
    assert gold["relations"] == [{"id": "R1", "type": "attacks", "source": "T2", "target": "T1"}]


MAJOR = "Cities should ban cars from their centres."
MAJOR_PART = "ban cars from their centres"


def test_curator_replaces_an_overlapping_major_claim_then_finishes_and_reopens_curation(
    page, log_in, calm_streets, expect_console_errors
):
    expect_console_errors(refused(422))  # the overlapping major claim: the page asks first
    project, article, scheme, ann_layer, ben_layer = calm_streets
    major, premise = make_unit(ann_layer, scheme["MajorClaim"], MAJOR), make_unit(ann_layer, scheme["Premise"], PREMISE)
    make_relation(ann_layer, scheme["supports"], premise, major)
    make_unit(ben_layer, scheme["MajorClaim"], MAJOR_PART)

    # The table of units: the review for keyboard and screen-reader users.
    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/review/")
    page.get_by_role("link", name="Table of units").click()
    expect(page.get_by_role("link", name="Table of units")).to_have_attribute("aria-current", "page")
    ben_head = page.get_by_role("heading", name="ben_annotator").locator("..")
    expect(ben_head).to_contain_text("1 to settle")
    page.get_by_role("button", name=f"Adopt MajorClaim “{MAJOR[:39]}…” from ann_annotator").click()
    expect(page.get_by_role("status")).to_have_text(f"MajorClaim “{MAJOR}” adopted.")
    expect(ben_head).to_contain_text("0 to settle")
    page.get_by_role("button", name=f"Adopt Premise “{PREMISE}” from ann_annotator").click()
    expect(page.get_by_role("status")).to_have_text(f"Premise “{PREMISE}” adopted, with 1 relation.")

    # ben's shorter MajorClaim overlaps the one gold has: the curator is asked.
    page.get_by_role("button", name=f"Adopt MajorClaim “{MAJOR_PART}” from ben_annotator").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Gold already has a MajorClaim that overlaps this one: “{MAJOR}”."
    )
    page.screenshot(path="/tmp/review-question.png", full_page=True, caret="initial")
    gold_units = page.get_by_role("list", name="Gold units").get_by_role("listitem")
    expect(gold_units).to_have_count(2)
    page.get_by_role("button", name="Replace it with ben_annotator’s").click()
    expect(page.get_by_role("status")).to_have_text(
        f"MajorClaim “{MAJOR_PART}” replaced “{MAJOR}” in gold, with 1 relation carried over."
    )
    expect(gold_units.filter(has_text=MAJOR_PART)).to_have_count(1)
    expect(gold_units.filter(has_text=MAJOR)).to_have_count(0)
    expect(page.get_by_role("list", name="Gold relations")).to_contain_text(MAJOR_PART)

    page.get_by_role("button", name="Curation finished").click()
    expect(page.locator("button.adopt")).to_have_count(0)
    expect(page.get_by_role("button", name="Adopt majority")).to_have_count(0)
    page.screenshot(path="/tmp/review-finished.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Reopen curation").click()
    expect(page.get_by_role("status")).to_have_text("Curation reopened: gold can be changed again.")
    expect(page.get_by_role("button", name=f"Adopt MajorClaim “{MAJOR[:39]}…” from ann_annotator")).to_be_visible()


def test_curator_sees_a_stance_the_annotators_split_on_and_adopts_the_one_she_chooses(page, log_in, calm_streets):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    project, article, scheme, ann_layer, ben_layer = calm_streets
    make_unit(ann_layer, scheme["Claim"], CLAIM, attributes={"stance": "For"})
    make_unit(ben_layer, scheme["Claim"], CLAIM, attributes={"stance": "Against"})
    differs = "stance differs: ann_annotator For, ben_annotator Against"

    log_in("cory_curator", "secret-pass-1")
    page.goto(f"/p/opeds/articles/{article.pk}/review/")
    status = page.get_by_role("status")
    ann_units, ben_units = lane_units(page, "ann_annotator"), lane_units(page, "ben_annotator")
    expect(ann_units).to_have_text([f"Adopt Claim “{CLAIM}” from ann_annotator: {differs}"])
    expect(ben_units).to_have_text([f"Adopt Claim “{CLAIM}” from ben_annotator: {differs}"])
    # Drawn with the key's pattern for a stance that differs, which no other verdict has.
    pattern = "element => getComputedStyle(element).backgroundImage.replace(/rgba?\\([^)]*\\)/g, 'C')"
    # Read through the unit, whose bars are drawn again when fonts load or the window
    # changes: a bar found a moment earlier may be one taken away since.
    drawn = ann_units.first.evaluate(f"unit => ({pattern})(unit.querySelector('.frag'))")
    assert drawn == page.locator(".verdict-key .sample.verdict-attribute").evaluate(pattern)
    assert drawn != page.locator(".verdict-key .sample.verdict-boundaries").evaluate(pattern)

    page.get_by_role("button", name="Adopt majority").click()
    expect(status).to_have_text(
        "Adopted 0 units and 0 relations that at least 2 annotators agreed on. Left out: 1 unit whose stance "
        "or other attributes no majority agreed on (adopt the one you choose on its own)."
    )
    # A click on ann's bar adopts hers (its two lines of words, shown on pointing, move nothing), then ben's.
    ann_units.locator(".frag").first.click()
    expect(status).to_have_text(f"Claim “{CLAIM}” adopted.")
    expect(page.locator("#curation button.lane-unit:focus")).to_contain_text("from ben_annotator")
    ben_units.locator(".frag").first.click()
    expect(status).to_have_text(f"Claim “{CLAIM}” was already in gold and now has stance Against.")
    expect(lane_units(page, "gold")).to_have_text([f"Claim · Against “{CLAIM}”: 1 of 2 annotators"])
    expect(ben_units).to_have_text([f"Adopt Claim “{CLAIM}” from ben_annotator: {differs}, in gold"])
    expect(ann_units).to_have_text([f"Adopt Claim “{CLAIM}” from ann_annotator: {differs}, gold differs"])
    page.screenshot(path="/tmp/review-stance-differs.png", full_page=True, caret="initial")

    page.get_by_role("link", name="Table of units").click()
    rows = page.get_by_role("list", name="Units of ann_annotator").get_by_role("listitem")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".chip")).to_have_text("For")
    expect(page.get_by_role("list", name="Units of ben_annotator").locator(".chip")).to_have_text("Against")
    page.screenshot(path="/tmp/review-stance-table.png", full_page=True, caret="initial")
    assert errors == []
