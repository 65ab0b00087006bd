"""Agreement over a project, through the database: hand-computed cases, the command and the page."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate import lifecycle, projects, relations, units
from annotate.models import Layer, Role
from annotate.project_agreement import project_agreement
from tests.factories import ARTICLE_TEXT, make_article, make_user

TEXT = "Cars out. Streets in."  # 21 code points


def assigned_article(project, annotators, manager, text=TEXT):
    article = make_article(project, text=text)
    projects.assign(article=article, annotators=annotators, by=manager)
    return article


def annotate(article, annotator, units_wanted, *, relations_wanted=(), status=Layer.Status.FINISHED):
    """Give `annotator`'s layer of `article` these units `(label, (start, end))` and relations
    `(source index, target index, type)`, and set its status."""
    layer = Layer.objects.get(article=article, annotator=annotator)
    made = [
        units.create_unit(layer=layer, label=label, spans=[span], user=annotator).unit for label, span in units_wanted
    ]
    for source, target, kind in relations_wanted:
        relations.create_relation(layer=layer, type=kind, source=made[source], target=made[target], user=annotator)
    lifecycle.set_status(layer=layer, status=status, user=annotator)
    return layer


def argument(scheme):
    """A claim and a premise that supports it."""
    return {
        "units_wanted": [(scheme["Claim"], (0, 9)), (scheme["Premise"], (10, 21))],
        "relations_wanted": [(1, 0, scheme["supports"])],
    }


def test_identical_layers_agree_perfectly(project, scheme, annotator, annotator2, manager):
    articles = [assigned_article(project, [annotator, annotator2], manager, text=f"{TEXT} {n}") for n in range(2)]
    for article in articles:
        for person in (annotator, annotator2):
            annotate(article, person, **argument(scheme))

    report = project_agreement(project).as_json()

    assert report["alpha_u"]["overall"] == 1.0
    assert report["alpha_u"]["by_label"] == {"MajorClaim": None, "Claim": 1.0, "Premise": 1.0}
    assert report["span_f1"] == {"exact": 1.0, "overlap": 1.0}
    assert report["relation_f1"] == {"exact": 1.0, "overlap": 1.0}
    assert report["pairs"] == [
        {
            "annotators": ["ann_annotator", "ben_annotator"],
            "articles": 2,
            "span_f1_exact": 1.0,
            "span_f1_overlap": 1.0,
            "relation_f1_exact": 1.0,
            "relation_f1_overlap": 1.0,
            "alpha_u": 1.0,
            "attributes": {},  # no unit has a stance
        }
    ]
    assert [(row["id"], row["alpha_u"], row["span_f1_overlap"]) for row in report["articles"]] == [
        (articles[0].pk, 1.0, 1.0),
        (articles[1].pk, 1.0, 1.0),
    ]


def test_disjoint_claims_give_the_hand_computed_alpha_u_and_zero_f1(project, scheme, annotator, annotator2, manager):
    article = assigned_article(project, [annotator, annotator2], manager, text="0123456789abcdefghij")  # L = 20
    annotate(article, annotator, [(scheme["Claim"], (0, 10))])
    annotate(article, annotator2, [(scheme["Claim"], (10, 20))])

    report = project_agreement(project)

    # D_o: each claim lies in the other annotator's gap: 2 * (10² + 10²) / (m(m-1) L²) = 0.5.
    # D_e: (2/L) * Σ_units [(N-1)(2l³-3l²+l)/3 + l² Σ_gaps≥l (g-l+1)] / (mL(mL-1) - Σ l(l-1))
    #    = (2/20) * 2 * (1710/3 + 100 * 2) / (40 * 39 - 2 * 90) = 154 / 1380.
    claim = report.labels[1]
    assert claim.label == "Claim"
    assert claim.alpha_u.observed == pytest.approx(0.5)
    assert claim.alpha_u.expected == pytest.approx(154 / 1380)
    assert claim.alpha_u.alpha == pytest.approx(1 - 0.5 * 1380 / 154)
    assert report.alpha_u.alpha == pytest.approx(1 - 0.5 * 1380 / 154)
    assert (report.span_f1_exact, report.span_f1_overlap) == (0.0, 0.0)
    assert (report.relation_f1_exact, report.relation_f1_overlap) == (None, None)


def test_boundaries_that_differ_match_by_overlap_but_not_exactly(project, scheme, annotator, annotator2, manager):
    article = assigned_article(project, [annotator, annotator2], manager)
    annotate(article, annotator, **argument(scheme))
    # The premise shares 9 of its 11 characters with ann's: an overlap match, not an exact one.
    annotate(
        article,
        annotator2,
        [(scheme["Claim"], (0, 9)), (scheme["Premise"], (12, 21))],
        relations_wanted=[(1, 0, scheme["supports"])],
    )

    report = project_agreement(project)

    assert (report.span_f1_exact, report.span_f1_overlap) == (0.5, 1.0)
    assert (report.relation_f1_exact, report.relation_f1_overlap) == (0.0, 1.0)
    assert [(row.label, row.span_f1_overlap) for row in report.labels] == [
        ("MajorClaim", None),
        ("Claim", 1.0),
        ("Premise", 1.0),
    ]


def test_a_project_without_finished_layers_has_undefined_agreement(project, scheme, article, annotator, annotator2):
    annotate(article, annotator, **argument(scheme), status=Layer.Status.IN_PROGRESS)

    report = project_agreement(project).as_json()

    assert report["alpha_u"]["overall"] is None
    assert report["span_f1"] == {"exact": None, "overlap": None}
    assert report["relation_f1"] == {"exact": None, "overlap": None}
    assert (report["pairs"], report["articles"]) == ([], [])


def test_only_finished_layers_count_unless_in_progress_ones_are_included(
    project, scheme, article, annotator, annotator2
):
    annotate(article, annotator, **argument(scheme))
    annotate(article, annotator2, **argument(scheme), status=Layer.Status.IN_PROGRESS)

    finished = project_agreement(project)
    with_in_progress = project_agreement(project, include_in_progress=True)

    assert (finished.annotators, finished.pairs, finished.span_f1_exact) == (["ann_annotator"], [], None)
    assert with_in_progress.annotators == ["ann_annotator", "ben_annotator"]
    assert with_in_progress.span_f1_exact == 1.0


def test_gold_is_measured_against_each_annotator_but_not_in_the_project_figures(
    project, scheme, article, annotator, annotator2, curator
):
    annotate(article, annotator, **argument(scheme))
    annotate(article, annotator2, [(scheme["Claim"], (0, 9))])
    gold = Layer.objects.create(article=article, annotator=None)
    units.create_unit(layer=gold, label=scheme["Claim"], spans=[(0, 9)], user=curator)
    Layer.objects.filter(pk=gold.pk).update(status=Layer.Status.FINISHED)

    report = project_agreement(project, against_gold=True)

    assert report.annotators == ["ann_annotator", "ben_annotator", "gold"]
    assert [(pair.annotators, pair.span_f1_exact) for pair in report.pairs] == [
        (("ann_annotator", "ben_annotator"), 2 / 3),
        (("ann_annotator", "gold"), 2 / 3),
        (("ben_annotator", "gold"), 1.0),
    ]
    assert report.span_f1_exact == pytest.approx(2 / 3)


def test_articles_are_ranked_most_contested_first(project, scheme, annotator, annotator2, manager):
    agreed = assigned_article(project, [annotator, annotator2], manager, text=f"{TEXT} agreed")
    contested = assigned_article(project, [annotator, annotator2], manager, text=f"{TEXT} contested")
    empty = assigned_article(project, [annotator, annotator2], manager, text=f"{TEXT} empty")
    for person in (annotator, annotator2):
        annotate(agreed, person, **argument(scheme))
        annotate(empty, person, [])
    annotate(contested, annotator, **argument(scheme))
    annotate(contested, annotator2, [(scheme["Claim"], (0, 5)), (scheme["Premise"], (10, 21))])

    report = project_agreement(project)

    assert [row.id for row in report.articles] == [contested.pk, agreed.pk, empty.pk]
    assert report.articles[2].alpha_u is None


# --- The command ---------------------------------------------------------------------------


@pytest.fixture
def agreed(project, scheme, annotator, annotator2, manager):
    """One article on which both annotators made the same claim and premise."""
    article = make_article(project, text=ARTICLE_TEXT, title="Ban cars")
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    for person in (annotator, annotator2):
        annotate(article, person, [(scheme["Claim"], (0, 6)), (scheme["Premise"], (7, 41))])
    return article


def run(*args) -> str:
    out = io.StringIO()
    call_command("agreement", *args, stdout=out)
    return out.getvalue()


def test_command_prints_an_aligned_table(agreed):
    output = run("--project", "opeds")

    assert output == (
        "Agreement in opeds (finished layers; annotators: ann_annotator, ben_annotator)\n"
        "\n"
        "measure                           value\n"
        "--------------------------------  -----\n"
        "alpha_U (articles: 1, coders: 2)  1.000\n"
        "span F1 exact                     1.000\n"
        "span F1 overlap                   1.000\n"
        "relation F1 exact                     —\n"
        "relation F1 overlap                   —\n"
        "\n"
        "label       units  alpha_U     D_o     D_e  span F1 overlap\n"
        "----------  -----  -------  ------  ------  ---------------\n"
        "MajorClaim      0        —       —       —                —\n"
        "Claim           2    1.000  0.0000  0.0020            1.000\n"
        "Premise         2    1.000  0.0000  0.0446            1.000\n"
        "\n"
        "pair                           articles  span F1 exact  span F1 overlap  relation F1 exact  "
        "relation F1 overlap  alpha_U\n"
        "-----------------------------  --------  -------------  ---------------  -----------------  "
        "-------------------  -------\n"
        "ann_annotator / ben_annotator         1          1.000            1.000                  —  "
        "                  —    1.000\n"
        "\n"
        "Articles, most contested first:\n"
        "article   layers  alpha_U  span F1 overlap\n"
        "--------  ------  -------  ---------------\n"
        "Ban cars       2    1.000            1.000\n"
    )


def test_command_json_gives_the_documented_shape(agreed):
    report = json.loads(run("--project", "opeds", "--json"))

    assert {key: report[key] for key in ("span_f1", "relation_f1", "articles")} == {
        "span_f1": {"exact": 1.0, "overlap": 1.0},
        "relation_f1": {"exact": None, "overlap": None},
        "articles": [{"id": agreed.pk, "title": agreed.title, "layers": 2, "alpha_u": 1.0, "span_f1_overlap": 1.0}],
    }
    assert report["alpha_u"]["overall"] == 1.0
    assert report["alpha_u"]["by_label"] == {"MajorClaim": None, "Claim": 1.0, "Premise": 1.0}
    assert [pair["annotators"] for pair in report["pairs"]] == [["ann_annotator", "ben_annotator"]]


def test_command_refuses_an_unknown_project(db):
    with pytest.raises(CommandError, match="No project with the slug “nope”."):
        run("--project", "nope")


# --- The page ------------------------------------------------------------------------------


def agreement_url(project, **query):
    url = reverse("annotate:agreement", args=[project.slug])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def test_curator_sees_the_figures_the_pairs_and_the_contested_articles(client, curator, agreed, project):
    client.force_login(curator)

    response = client.get(agreement_url(project))

    assert response.status_code == 200
    assert response.context["report"].span_f1_exact == 1.0
    assert [row["annotator"] for row in response.context["matrix"]] == ["ann_annotator", "ben_annotator"]
    page = response.content.decode()
    assert reverse("annotate:review", args=[project.slug, agreed.pk]) in page
    assert '<svg viewBox="0 0' in page
    assert "<script" not in page.split("</head>")[1]
    assert " style=" not in page


def test_the_page_can_include_layers_in_progress(client, curator, project, scheme, article, annotator, annotator2):
    annotate(article, annotator, **argument(scheme))
    annotate(article, annotator2, **argument(scheme), status=Layer.Status.IN_PROGRESS)
    client.force_login(curator)

    finished = client.get(agreement_url(project))
    in_progress = client.get(agreement_url(project, include_in_progress="on"))

    assert finished.context["report"].pairs == []
    assert in_progress.context["report"].span_f1_exact == 1.0


@pytest.mark.parametrize(("persona", "status"), [("annotator", 403), ("outsider", 404)])
def test_annotators_and_outsiders_cannot_see_agreement(client, project, annotator, outsider, persona, status, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(agreement_url(project))

    assert response.status_code == status


def test_the_page_refuses_post(client, curator, project):
    client.force_login(curator)

    response = client.post(agreement_url(project))

    assert response.status_code == 405


@pytest.mark.parametrize("annotator_count", [1, 3])
@pytest.mark.parametrize("n", [1, 20])
def test_the_page_runs_a_fixed_number_of_queries(
    client, curator, project, scheme, manager, django_assert_num_queries, n, annotator_count
):
    people = [make_user(f"annotator{i}") for i in range(annotator_count)]
    for person in people:
        projects.set_member(project=project, user=person, role=Role.ANNOTATOR, by=None)
    for number in range(n):
        article = assigned_article(project, people, manager, text=f"{TEXT} {number}")
        for person in people:
            annotate(article, person, **argument(scheme))
    client.force_login(curator)
    client.get(agreement_url(project))  # computes and stores the result (ANNOTATE_AGREEMENT_INLINE)

    with django_assert_num_queries(6):
        response = client.get(agreement_url(project))

    assert len(response.context["report"].pairs) == annotator_count * (annotator_count - 1) // 2
