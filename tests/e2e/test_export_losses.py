"""In a real browser: the export page says what CoNLL will leave out before the download."""

from playwright.sync_api import expect

from annotate import datasets, projects, units
from annotate.models import Layer, Role
from tests.e2e.test_accessibility import serious_violations
from tests.factories import make_article, make_project, make_relation, make_unit, make_user, scheme_of, span_of


def test_the_curator_sees_what_conll_leaves_out_before_downloading(page, log_in, transactional_db):
    manager, curator, annotator = make_user("mia_manager"), make_user("cory_curator"), make_user("ann_annotator")
    project = make_project(manager=manager, slug="opeds")
    projects.set_member(project=project, user=curator, role=Role.CURATOR, by=None)
    projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=None)
    scheme = scheme_of(project)
    article = make_article(project)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article)
    claim = make_unit(layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"})
    nested = make_unit(layer, scheme["Premise"], "ban cars")
    pieces = [span_of(article.text, "Traffic kills thousands"), span_of(article.text, "trips in town are short")]
    units.create_unit(layer=layer, label=scheme["Premise"], spans=pieces, user=annotator)
    make_relation(layer, scheme["supports"], nested, claim)
    key = datasets.article_key(article)
    log_in("cory_curator", "secret-pass-1")
    page.goto("/p/opeds/export/")
    page.get_by_label("Format").select_option(label="CoNLL / BIO tokens")
    page.get_by_label("CoNLL: relation as distance to its target (B-Premise:-1:Support)").check()

    page.get_by_role("button", name="What will be left out?").click()

    expect(page.get_by_role("heading", name="What CoNLL / BIO tokens leaves out")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "CoNLL / BIO tokens: 1 nested unit, 1 unit written in part, 1 relation cannot be written as they are."
    )
    expect(page.locator("#loss-list li")).to_have_text(
        [
            f"article {key}, layer ann_annotator: T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
            f"article {key}, layer ann_annotator: T3 (Premise, discontinuous) is written as its first piece; "
            "1 more piece left out",
            f"article {key}, layer ann_annotator: R1 (T2 supports T1): T2 is not written",
        ]
    )
    # The choice is kept, so Download gives the file the list was made for.
    expect(page.get_by_label("Format")).to_have_value("conll")
    expect(page.get_by_label("CoNLL: relation as distance to its target (B-Premise:-1:Support)")).to_be_checked()
    page.screenshot(path="/tmp/export-losses.png", full_page=True, caret="initial")
    assert serious_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()

    content = open(download.value.path(), encoding="utf-8").read()
    assert [line for line in content.split("\n") if line.startswith("# left out")] == [
        "# left out: T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
        "# left out: T3 (Premise, discontinuous) is written as its first piece; 1 more piece left out",
        "# left out: R1 (T2 supports T1): T2 is not written",
    ]
