"""Agreement on attributes (a claim's stance) over the units annotators matched: the
measures on plain data, the project's figures, the command, the stored result and the page,
each held to values computed by hand."""

import io
import json

import lxml.html
import pytest
from django.core.management import call_command
from django.urls import reverse

from annotate import lifecycle, projects, units
from annotate.agreement.attributes import items_kappa, pair_kappa, paired_values
from annotate.models import Layer, Role
from annotate.project_agreement import ArticleData, LayerData, ProjectAgreement, compute_agreement, project_agreement
from tests.factories import make_article, make_user

FOR, AGAINST = {"stance": "For"}, {"stance": "Against"}


# --- The measures on plain data ------------------------------------------------------------


def test_paired_values_take_each_matched_pair_and_count_an_unset_value_as_one():
    counterpart = {"a1": "b1", "a2": "b2", "a3": "b3"}  # a's unit → the unit of b it matches
    attributes_a = {"a1": FOR, "a2": FOR}
    attributes_b = {"b1": AGAINST}  # b left b2's stance unset; nobody gave a3/b3 one

    assert paired_values(counterpart, attributes_a, attributes_b, "stance") == [("For", "Against"), ("For", "")]


def test_cohen_kappa_over_matched_pairs_is_the_hand_computed_value():
    # p_o = 3/4; a gave For 3 times, b twice: p_e = 3/4·2/4 + 1/4·2/4 = 1/2; κ = (3/4 - 1/2) / (1/2).
    pairs = [("For", "For"), ("For", "For"), ("Against", "Against"), ("For", "Against")]

    assert pair_kappa(pairs) == 0.5


def test_fleiss_kappa_over_units_matched_by_three_annotators_is_the_hand_computed_value():
    # P_i = 1, 1/3, 1, 1/3, so P = 2/3; For and Against are 6 of 12 values each: P_e = 1/2;
    # κ = (2/3 - 1/2) / (1/2) = 1/3.
    items = [["For", "For", "For"], ["For", "For", "Against"], ["Against"] * 3, ["For", "Against", "Against"]]

    assert items_kappa(items) == pytest.approx(1 / 3, abs=1e-12)


def test_kappa_is_undefined_without_pairs_or_when_one_value_is_used_throughout():
    assert (pair_kappa([]), pair_kappa([("For", "For")] * 3), items_kappa([])) == (None, None, None)


# --- A project's figures from plain data -----------------------------------------------------


def claim_layer(annotator: str, stances: dict[int, dict], ids: int) -> LayerData:
    """`annotator`'s claims at (10k, 10k + 10) with these attributes (by k), and a premise nobody gives a stance."""
    units = {ids + k: ("Claim", ((10 * k, 10 * k + 10),)) for k in stances}
    units[ids + 9] = ("Premise", ((91, 99),))
    return LayerData(1, annotator, units, attributes={ids + k: given for k, given in stances.items() if given})


def test_three_annotators_stance_agreement_is_the_hand_computed_worked_example():
    # Claims at 0, 20, 40, 60 marked by all three, at 80 by a and b only:
    #          k=0  k=2  k=4  k=6  k=8
    #   a      For  For  Ag   For  For
    #   b      For  For  Ag   Ag   Ag
    #   c      For  Ag   Ag   Ag   —
    # Fleiss over k = 0, 2, 4, 6 (matched by all): κ = 1/3 (the case above).
    # a/b over 5 pairs: p_o = 3/5, p_e = 4/5·2/5 + 1/5·3/5 = 11/25, κ = (15 - 11) / (25 - 11) = 2/7.
    # a/c over 4 pairs: p_o = 1/2, p_e = 3/4·1/4 + 1/4·3/4 = 3/8, κ = (1/8) / (5/8) = 1/5.
    # b/c over 4 pairs: p_o = 3/4, p_e = 2/4·1/4 + 2/4·3/4 = 1/2, κ = 1/2.
    # Mean over the pairs: (2/7 + 1/5 + 1/2) / 3 = 23/70, over 5 + 4 + 4 = 13 matched pairs.
    layers = [
        claim_layer("a", {0: FOR, 2: FOR, 4: AGAINST, 6: FOR, 8: FOR}, 100),
        claim_layer("b", {0: FOR, 2: FOR, 4: AGAINST, 6: AGAINST, 8: AGAINST}, 200),
        claim_layer("c", {0: FOR, 2: AGAINST, 4: AGAINST, 6: AGAINST}, 300),
    ]

    report = compute_agreement([ArticleData(1, "One", 100)], layers, labels=["Claim", "Premise"])

    assert [(row.name, row.units, row.pairs) for row in report.attributes] == [("stance", 4, 13)]
    (stance,) = report.attributes
    assert stance.fleiss_kappa == pytest.approx(1 / 3, abs=1e-12)
    assert stance.cohen_kappa == pytest.approx(23 / 70, abs=1e-12)
    assert [(pair.annotators, pair.attributes["stance"]["pairs"]) for pair in report.pairs] == [
        (("a", "b"), 5),
        (("a", "c"), 4),
        (("b", "c"), 4),
    ]
    kappas = [pair.attributes["stance"]["kappa"] for pair in report.pairs]
    assert kappas == pytest.approx([2 / 7, 1 / 5, 1 / 2], abs=1e-12)


def test_a_project_whose_units_have_no_attributes_reports_none():
    layers = [LayerData(1, name, {1 if name == "a" else 2: ("Claim", ((0, 5),))}) for name in ("a", "b")]

    report = compute_agreement([ArticleData(1, "One", 10)], layers, labels=["Claim"])

    assert (report.attributes, report.pairs[0].attributes) == ([], {})


# --- Through the database: against gold, the command, the stored result and the page --------

TEXT = "Cars out. Streets in."  # two claims: [0, 9) and [10, 21)


def mark(layer, scheme, stances, user):
    for span, given in zip([(0, 9), (10, 21)], stances, strict=True):
        units.create_unit(layer=layer, label=scheme["Claim"], spans=[span], user=user, attributes=given)
    lifecycle.set_status(layer=layer, status=Layer.Status.FINISHED, user=user)


@pytest.fixture
def stances(project, scheme, annotator, annotator2, manager, curator):
    """ann: For, For; ben: For, Against; gold: For, Against (on the same two claims).

    ann/ben and ann/gold: p_o = 1/2, p_e = 1·1/2 = 1/2, κ = 0. ben/gold: p_o = 1, p_e = 1/2, κ = 1.
    Fleiss over the two claims both annotators marked: P_i = 1, 0, P = 1/2; For is 3 of 4
    values: P_e = 9/16 + 1/16 = 5/8; κ = (1/2 - 5/8) / (3/8) = -1/3."""
    article = make_article(project, text=TEXT, title="Cars out")
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    for person, given in [(annotator, [FOR, FOR]), (annotator2, [FOR, AGAINST])]:
        mark(Layer.objects.get(article=article, annotator=person), scheme, given, person)
    gold = Layer.objects.create(article=article, annotator=None)
    mark(Layer.objects.select_related("article").get(pk=gold.pk), scheme, [FOR, AGAINST], curator)
    return article


def test_stance_is_measured_per_pair_and_against_gold(stances, project):
    report = project_agreement(project, against_gold=True)

    assert [(pair.annotators, pair.attributes) for pair in report.pairs] == [
        (("ann_annotator", "ben_annotator"), {"stance": {"kappa": 0.0, "pairs": 2}}),
        (("ann_annotator", "gold"), {"stance": {"kappa": 0.0, "pairs": 2}}),
        (("ben_annotator", "gold"), {"stance": {"kappa": 1.0, "pairs": 2}}),
    ]
    (stance,) = report.attributes
    assert (stance.name, stance.units, stance.cohen_kappa, stance.pairs) == ("stance", 2, 0.0, 2)
    assert stance.fleiss_kappa == pytest.approx(-1 / 3, abs=1e-12)
    assert ProjectAgreement.from_json(json.loads(json.dumps(report.as_json()))) == report


def test_a_result_stored_before_attributes_were_measured_reads_back_without_them(stances, project):
    stored = project_agreement(project).as_json()
    del stored["attributes"]
    for pair in stored["pairs"]:
        del pair["attributes"]

    report = ProjectAgreement.from_json(stored)

    assert (report.attributes, [pair.attributes for pair in report.pairs]) == ([], [{}])


def run(*args) -> str:
    out = io.StringIO()
    call_command("agreement", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_stance_agreement_with_its_matched_pairs(stances):
    output = run("--project", "opeds", "--against-gold")

    attributes = output.split("\n\n")[4:7]
    assert attributes == [
        "attribute  units  Fleiss kappa  pairs  Cohen kappa (mean)\n"
        "---------  -----  ------------  -----  ------------------\n"
        "stance         2        -0.333      2               0.000",
        "pair                           stance pairs  stance Cohen kappa\n"
        "-----------------------------  ------------  ------------------\n"
        "ann_annotator / ben_annotator             2               0.000\n"
        "ann_annotator / gold                      2               0.000\n"
        "ben_annotator / gold                      2               1.000",
        "Articles, most contested first:\n"
        "article   layers  alpha_U  span F1 overlap\n"
        "--------  ------  -------  ---------------\n"
        "Cars out       2    1.000            1.000\n",
    ]
    assert json.loads(run("--project", "opeds", "--json"))["attributes"] == [
        {"name": "stance", "fleiss_kappa": pytest.approx(-1 / 3, abs=1e-12), "units": 2, "cohen_kappa": 0.0, "pairs": 2}
    ]


def agreement_url(project, query=""):
    return reverse("annotate:agreement", args=[project.slug]) + query


def cells(page: str, heading: str) -> list[list[str]]:
    """The rows of the table under `heading` (not the pair grid), as their cells' text."""
    tree = lxml.html.fromstring(page)
    (table,) = tree.xpath(f'//section[h2="{heading}"]//table[not(contains(@class, "pair-matrix"))]')
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("th|td")] for row in table.xpath(".//tr")]


def test_the_page_shows_stance_agreement_and_each_pair_against_gold(client, curator, stances, project):
    client.force_login(curator)

    page = client.get(agreement_url(project, "?against_gold=on")).content.decode()

    assert cells(page, "Attributes") == [
        ["Attribute", "Units marked alike by all", "Fleiss’ κ", "Matched pairs", "Cohen’s κ (mean over pairs)"],
        ["stance", "2", "-0.333", "2", "0.000"],
    ]
    assert [row[0:1] + row[-1:] for row in cells(page, "Annotator pairs")] == [
        ["Pair", "stance κ (pairs)"],
        ["ann_annotator / ben_annotator", "0.000 (2)"],
        ["ann_annotator / gold", "0.000 (2)"],
        ["ben_annotator / gold", "1.000 (2)"],
    ]


@pytest.mark.parametrize("n", [1, 20])
def test_the_page_with_stances_runs_a_fixed_number_of_queries(
    client, curator, project, scheme, manager, django_assert_num_queries, n
):
    people = [make_user(f"annotator{i}") for i in range(3)]
    for person in people:
        projects.set_member(project=project, user=person, role=Role.ANNOTATOR, by=None)
    for number in range(n):
        article = make_article(project, text=f"{TEXT} {number}")
        projects.assign(article=article, annotators=people, by=manager)
        for person, given in zip(people, [[FOR, FOR], [FOR, AGAINST], [AGAINST, AGAINST]], strict=True):
            mark(Layer.objects.select_related("article").get(article=article, annotator=person), scheme, given, person)
    client.force_login(curator)
    client.get(agreement_url(project))  # computes and stores the result (ANNOTATE_AGREEMENT_INLINE)

    with django_assert_num_queries(6):
        response = client.get(agreement_url(project))

    assert [row.pairs for row in response.context["report"].attributes] == [6 * n]
