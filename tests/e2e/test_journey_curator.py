"""The curator's sitting, in a real browser: from the agreement figures to the review of
the seeded op-ed, adoption in the lanes under the text (by keys and by a click, with a
replaced major claim, and by majority), gold edited in the workspace with keys,
curation finished and reopened, and gold exported.

alice and bob annotated "Did Trump Flinch?" through the domain functions beforehand:

| unit                       | alice              | bob                  |
|----------------------------|--------------------|----------------------|
| CLAIM                      | Claim              | Claim                |
| SECOND_CLAIM               | Claim              | Claim                |
| the major claim            | ALICE_MAJOR        | BOB_MAJOR (inside it)|
| PREMISE (supports CLAIM)   | Premise            | —                    |
| DISPUTED                   | Premise            | Claim                |

So alice has 4 things to settle (her major claim, the premise, the disputed unit and
the relation) and bob 2 (his major claim, the disputed unit).
"""

import json
import re

from django.template.defaultfilters import floatformat
from playwright.sync_api import expect

from annotate.lifecycle import finish_layer
from annotate.models import Article, Layer, Project
from annotate.project_agreement import project_agreement
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import refused
from tests.e2e.test_workspace import drag_select
from tests.factories import make_relation, make_unit, scheme_of

CLAIM = "Trump was able to talk Netanyahu into only a light bombing"
SECOND_CLAIM = "Under no circumstance did the President want a regime change"
ALICE_MAJOR = "Israel is now the undisputed regional power and has flipped what was the Shia Crescent"
BOB_MAJOR = "Israel is now the undisputed regional power"
PREMISE = "Iran is depleted and banged up"
DISPUTED = "This was the real reason why President Trump ordered the attacks on Iran’s nuclear installations"
EDITED = "Israel hoped to weaken the regime"  # marked in gold in the workspace


def annotate_the_op_ed(project: Project, article: Article) -> None:
    """alice and bob mark the op-ed as in the module docstring and finish their layers."""
    scheme = scheme_of(project)

    def mark(layer, name, quote, **attributes):
        return make_unit(layer, scheme[name], quote, attributes=attributes)

    layers = Layer.objects.select_related("article__project", "annotator").filter(article=article)
    alice, bob = layers.get(annotator__username="alice"), layers.get(annotator__username="bob")
    mark(alice, "MajorClaim", ALICE_MAJOR)
    claim = mark(alice, "Claim", CLAIM, stance="For")
    mark(alice, "Claim", SECOND_CLAIM, stance="Against")
    premise = mark(alice, "Premise", PREMISE)
    make_relation(alice, scheme["supports"], premise, claim)
    mark(alice, "Premise", DISPUTED)
    mark(bob, "MajorClaim", BOB_MAJOR)
    mark(bob, "Claim", CLAIM, stance="For")
    mark(bob, "Claim", SECOND_CLAIM, stance="Against")
    mark(bob, "Claim", DISPUTED, stance="For")
    for layer in (alice, bob):
        finish_layer(layer=layer, user=layer.annotator, confirmed=True)  # the checks only warn here
    assert set(layers.values_list("status", flat=True)) == {Layer.Status.FINISHED}


def lane_units(page, owner: str):
    """The units of `owner`'s lanes in the review ("gold" for gold's), in text order."""
    name = "Gold units" if owner == "gold" else f"{owner}’s units"
    return page.locator(f'#curation [role="group"][aria-label="{name}"] .lane-unit[data-first]')


def shown(value: float | None) -> str:
    """A figure as the agreement page shows it."""
    return floatformat(value, 3) if value is not None else "—"


def cut(quote: str, length: int) -> str:
    """A quote cut as the page cuts it (Django's truncatechars): in Adopt buttons and notices."""
    return quote if len(quote) <= length else quote[: length - 1] + "…"


def test_curator_measures_agreement_settles_gold_edits_it_finishes_reopens_and_exports(
    page, log_in, transactional_db, tmp_path, expect_console_errors
):
    # Adopting bob's major claim over the one gold has (the page asks first), and a key
    # on the gold layer once curation is finished.
    expect_console_errors(refused(422), refused(409))
    load_seeds()
    project = Project.objects.get(slug="demo")
    article = Article.objects.get(project=project)
    annotate_the_op_ed(project, article)
    report = project_agreement(project)
    (ranked,) = report.articles

    log_in("curator", DEMO_PASSWORD)

    # --- The agreement page shows what the project's agreement computes ---------------
    page.goto("/p/demo/")
    page.get_by_role("link", name="Agreement").click()
    expect(page.get_by_role("heading", name="Agreement", exact=True)).to_be_visible()

    def figure(name):
        return page.locator(".figure").filter(has=page.get_by_role("term").filter(has_text=re.compile(f"^{name}$")))

    expect(figure("αU").get_by_role("definition").first).to_have_text(shown(report.alpha_u.alpha))
    expect(figure("αU")).to_contain_text(f"{report.continuum_articles} article × {report.coders} annotators")
    expect(figure("Span F1 exact").get_by_role("definition")).to_have_text(shown(report.span_f1_exact))
    expect(figure("Span F1 overlap").get_by_role("definition")).to_have_text(shown(report.span_f1_overlap))
    expect(figure("Relation F1 exact").get_by_role("definition")).to_have_text(shown(report.relation_f1_exact))
    assert report.continuum_articles == 1
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=article.title))
    expect(row.get_by_role("cell")).to_have_text(
        [article.title, str(ranked.layers), shown(ranked.alpha_u), shown(ranked.span_f1_overlap)]
    )
    assert ranked.layers == 2
    # Stance over the claims both marked alike: CLAIM (For, For) and SECOND_CLAIM (Against, Against).
    stance = page.get_by_role("row").filter(has=page.get_by_role("cell", name="stance", exact=True))
    expect(stance.get_by_role("cell")).to_have_text(["stance", "2", "1.000", "2", "1.000"])
    page.screenshot(path="/tmp/curator-1.png", full_page=True, caret="initial")

    # --- The review, from the ranked list ------------------------------------------------
    row.get_by_role("link", name=article.title).click()
    expect(page.get_by_role("heading", name=f"Review: {article.title}")).to_be_visible()
    alice_head = page.get_by_role("heading", name="alice", exact=True).locator("..")
    bob_head = page.get_by_role("heading", name="bob", exact=True).locator("..")

    def to_settle(head) -> int:
        expect(head).to_contain_text(re.compile(r"\d+ to settle"))
        return int(re.search(r"(\d+) to settle", head.inner_text()).group(1))

    alice_left, bob_left = to_settle(alice_head), to_settle(bob_head)
    assert (alice_left, bob_left) == (4, 2)
    status = page.get_by_role("status")
    gold_units = lane_units(page, "gold")

    def adopt(name, quote, owner):
        """A click on the unit in `owner`'s lane."""
        page.get_by_role("button", name=f"Adopt {name} “{cut(quote, 40)}” from {owner}").locator(".frag").first.click()

    # Both marked the claim alike: adopting it (the first unit: `]`, then Enter) puts it
    # in gold, and there was nothing to settle about it, so the counts stay (its
    # relation waits for the premise).
    # The page's script has started (it makes the first unit reachable by Tab) before a
    # key is pressed: on a busy machine it may run after the text is shown.
    expect(page.locator('#curation button.lane-unit[tabindex="0"]')).to_have_count(1)
    page.keyboard.press("]")
    expect(page.locator("#curation button.lane-unit:focus")).to_contain_text(f"Claim “{cut(CLAIM, 40)}” from alice")
    page.keyboard.press("Enter")
    expect(status).to_have_text(f"Claim “{CLAIM}” adopted.")
    expect(page.get_by_role("button", name=f"Adopt Claim “{cut(CLAIM, 40)}” from bob")).to_contain_text("in gold")
    assert (to_settle(alice_head), to_settle(bob_head)) == (alice_left, bob_left)

    # alice's major claim settles both major claims (bob's overlaps it): one each.
    adopt("MajorClaim", ALICE_MAJOR, "alice")
    expect(alice_head).to_contain_text(f"{alice_left - 1} to settle")
    expect(bob_head).to_contain_text(f"{bob_left - 1} to settle")
    expect(status).to_have_text(f"MajorClaim “{cut(ALICE_MAJOR, 60)}” adopted.")
    alice_left, bob_left = alice_left - 1, bob_left - 1

    # bob's major claim overlaps the one gold has: the curator is asked, and replaces it.
    adopt("MajorClaim", BOB_MAJOR, "bob")
    expect(status).to_contain_text(f"Gold already has a MajorClaim that overlaps this one: “{ALICE_MAJOR}”.")
    expect(gold_units.filter(has_text="MajorClaim")).to_have_count(1)
    page.screenshot(path="/tmp/curator-2.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Replace it with bob’s").click()
    expect(status).to_have_text(f"MajorClaim “{BOB_MAJOR}” replaced “{cut(ALICE_MAJOR, 60)}” in gold.")
    majors = gold_units.filter(has_text="MajorClaim")
    expect(majors).to_have_count(1)
    expect(majors).to_have_text(re.compile(f"^MajorClaim “{re.escape(cut(BOB_MAJOR, 40))}”"))
    expect(alice_head).to_contain_text(f"{alice_left} to settle")
    expect(bob_head).to_contain_text(f"{bob_left} to settle")

    # Adopt majority: the second claim is the only agreed unit gold lacks.
    page.get_by_label("Agreed by at least").fill("2")
    page.get_by_role("button", name="Adopt majority").click()
    expect(status).to_have_text("Adopted 1 unit and 0 relations that at least 2 annotators agreed on.")
    expect(gold_units).to_have_count(3)

    # alice's premise comes with its relation to the claim: her premise and relation settled.
    adopt("Premise", PREMISE, "alice")
    expect(status).to_have_text(f"Premise “{PREMISE}” adopted, with 1 relation.")
    expect(alice_head).to_contain_text(f"{alice_left - 2} to settle")
    alice_left -= 2
    gold_relations = page.get_by_role("list", name="Gold relations").get_by_role("listitem")
    expect(gold_relations).to_have_text([re.compile(f"Premise “{PREMISE}”\\s*supports\\s*Claim “{cut(CLAIM, 40)}”")])

    # --- Gold in the workspace, with keys --------------------------------------------
    page.get_by_role("link", name="Edit gold in the workspace").click()
    expect(page.locator("#layer-bar")).to_contain_text("Gold layer")
    text = article.text
    start = text.index(EDITED)
    assert drag_select(page, text, start, start + len(EDITED)) == EDITED
    page.keyboard.press("p")
    edited_row = page.locator("#unit-panel .unit-row").filter(has_text=EDITED)
    expect(edited_row.locator(".unit-label")).to_have_text("Premise")
    undo = page.locator("#history-buttons").get_by_role("button", name=re.compile("^Undo"))
    redo = page.locator("#history-buttons").get_by_role("button", name=re.compile("^Redo"))
    expect(undo).to_have_text(f"Undo: new Premise “{EDITED}”")
    page.keyboard.press("c")  # the new unit is chosen: its label key relabels it
    expect(edited_row.locator(".unit-label")).to_have_text("Claim")
    expect(undo).to_have_text(f"Undo: Premise “{EDITED}” → Claim")
    page.keyboard.press("Control+z")
    expect(edited_row.locator(".unit-label")).to_have_text("Premise")
    expect(redo).to_have_text(f"Redo: Premise “{EDITED}” → Claim")
    page.keyboard.press("Control+Shift+Z")
    expect(edited_row.locator(".unit-label")).to_have_text("Claim")
    expect(undo).to_have_text(f"Undo: Premise “{EDITED}” → Claim")
    page.screenshot(path="/tmp/curator-3.png", full_page=True, caret="initial")
    page.get_by_role("link", name="Review", exact=True).click()
    expect(gold_units).to_have_count(5)
    expect(gold_units.filter(has_text=EDITED)).to_have_text(re.compile(f"^Claim “{EDITED}”"))

    # --- Curation finished: gold is read-only, here and in the workspace ------------
    page.get_by_role("button", name="Curation finished").click()
    expect(status).to_have_text("Curation finished: the gold layer is marked finished.")
    expect(page.get_by_role("button", name=re.compile("^Adopt"))).to_have_count(0)
    expect(page.locator("#review")).to_contain_text("Curation is finished, so gold is read-only.")
    expect(alice_head).to_contain_text(f"{alice_left} left unsettled")
    page.screenshot(path="/tmp/curator-4.png", full_page=True, caret="initial")

    page.get_by_role("link", name="Edit gold in the workspace").click()
    expect(page.locator("#layer-bar")).to_contain_text("Gold layer · read-only")
    other = "something Trump would not tolerate"
    start = text.index(other)
    assert drag_select(page, text, start, start + len(other)) == other
    page.keyboard.press("p")
    message = page.locator("#workspace-message")
    expect(message).to_contain_text(
        "Curation of this article is finished, so the gold layer is read-only. Reopen it to change it."
    )
    expect(message.get_by_role("button", name="Reopen")).to_be_visible()
    expect(page.locator("#unit-panel .unit-row")).to_have_count(5)
    page.screenshot(path="/tmp/curator-5.png", full_page=True, caret="initial")

    # --- Back to the review (finished, as it is now), reopened, adoption works again ----
    page.go_back()
    expect(page.locator("#review")).to_contain_text("Curation is finished, so gold is read-only.")
    expect(gold_units).to_have_count(5)
    page.get_by_role("button", name="Reopen curation").click()
    expect(status).to_have_text("Curation reopened: gold can be changed again.")
    adopt("Claim", DISPUTED, "bob")
    expect(status).to_have_text(f"Claim “{cut(DISPUTED, 60)}” adopted.")
    expect(alice_head).to_contain_text("0 to settle")
    expect(bob_head).to_contain_text("0 to settle")
    expect(gold_units).to_have_count(6)
    page.screenshot(path="/tmp/curator-6.png", full_page=True, caret="initial")

    # --- Gold exported holds exactly gold's units ---------------------------------------
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
    exported = sorted((unit["label"], unit["text"]) for unit in gold["units"])
    assert exported == sorted(
        [
            ("MajorClaim", [BOB_MAJOR]),
            ("Claim", [CLAIM]),
            ("Claim", [SECOND_CLAIM]),
            ("Premise", [PREMISE]),
            ("Claim", [EDITED]),
            ("Claim", [DISPUTED]),
        ]
    )
    by_id = {unit["id"]: unit["text"] for unit in gold["units"]}
    assert [(by_id[r["source"]], r["type"], by_id[r["target"]]) for r in gold["relations"]] == [
        ([PREMISE], "supports", [CLAIM])
    ]
