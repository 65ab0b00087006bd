"""The stored per-article sums: a change recomputes only the articles it touched, the figures
stay those of the whole-project computation, and the agreement page pages its articles."""

import dataclasses

import pytest
from django.urls import reverse

from annotate import agreement_store, lifecycle
from annotate.models import AgreementArticle, Job, Layer
from annotate.project_agreement import ProjectAgreement, project_agreement
from tests.test_project_agreement import annotate, assigned_article

TEXT = "Cars out. Streets in. Shops gain."  # 33 code points


def lab(project, scheme, manager, people, *, articles):
    """`articles` articles, each finished by every one of `people`, who disagree a little."""
    made = []
    for number in range(articles):
        article = assigned_article(project, people, manager, text=f"{TEXT} {number}")
        for index, person in enumerate(people):
            end = 9 + (number + index) % 4
            annotate(article, person, [(scheme["Claim"], (0, end)), (scheme["Premise"], (10, 21 + index))])
        made.append(article)
    return made


def refreshed(project, **options) -> tuple[ProjectAgreement, list[int]]:
    """The stored figures brought up to date, with their articles, and how many articles
    each step of the way said it would recompute."""
    totals = []
    report, _ = agreement_store.refresh(project, **options, progress=lambda phase, done, total: totals.append(total))
    rows = list(agreement_store.stored_rows(project, **options))
    return dataclasses.replace(ProjectAgreement.from_json(report), articles=rows), totals


def test_finishing_one_layer_recomputes_only_its_article(project, scheme, manager, annotator, annotator2):
    articles = lab(project, scheme, manager, [annotator, annotator2], articles=4)
    first, first_totals = refreshed(project)
    before = project_agreement(project)
    layer = Layer.objects.get(article=articles[2], annotator=annotator)
    lifecycle.reopen_layer(layer=layer, user=annotator)
    annotate(articles[2], annotator, [(scheme["MajorClaim"], (22, 33))])

    after, totals = refreshed(project)

    assert (first_totals[-1], totals[-1]) == (4, 1)
    assert first == before != after
    assert after == project_agreement(project)


def test_a_recomputation_with_nothing_changed_reads_no_article(project, scheme, manager, annotator, annotator2):
    lab(project, scheme, manager, [annotator, annotator2], articles=3)
    first, _ = refreshed(project)

    again, totals = refreshed(project)

    assert (again, totals) == (first, [0])


def test_an_article_without_counted_layers_loses_its_sums(project, scheme, manager, annotator, annotator2):
    articles = lab(project, scheme, manager, [annotator, annotator2], articles=2)
    refreshed(project)
    for person in (annotator, annotator2):
        lifecycle.reopen_layer(layer=Layer.objects.get(article=articles[0], annotator=person), user=person)

    after, totals = refreshed(project)

    assert totals == [0]
    assert list(AgreementArticle.objects.values_list("article_id", flat=True)) == [articles[1].pk]
    assert after == project_agreement(project)


def test_renaming_a_label_recomputes_every_article_under_its_new_name(project, scheme, manager, annotator, annotator2):
    lab(project, scheme, manager, [annotator, annotator2], articles=3)
    refreshed(project)
    scheme["Premise"].name = "Reason"
    scheme["Premise"].save()

    after, totals = refreshed(project)

    assert totals[-1] == 3
    assert [row.label for row in after.labels] == ["MajorClaim", "Claim", "Reason"]
    assert after == project_agreement(project)


def test_reordering_the_labels_folds_again_without_recomputing_an_article(
    project, scheme, manager, annotator, annotator2
):
    lab(project, scheme, manager, [annotator, annotator2], articles=3)
    refreshed(project)
    scheme["MajorClaim"].order = 9
    scheme["MajorClaim"].save()

    after, totals = refreshed(project)

    assert totals == [0]
    assert [row.label for row in after.labels] == ["Claim", "Premise", "MajorClaim"]
    assert after == project_agreement(project)


@pytest.mark.parametrize("options", [{"include_in_progress": True}, {"against_gold": True}])
def test_each_combination_of_options_keeps_sums_of_its_own(project, scheme, manager, annotator, annotator2, options):
    articles = lab(project, scheme, manager, [annotator, annotator2], articles=2)
    lifecycle.reopen_layer(layer=Layer.objects.get(article=articles[0], annotator=annotator2), user=annotator2)
    options = {"include_in_progress": False, "against_gold": False} | options

    plain, _ = refreshed(project)
    other, _ = refreshed(project, **options)

    assert plain == project_agreement(project)
    assert other == project_agreement(project, **options)
    # Every article with a counted layer has sums, for each combination of options.
    assert AgreementArticle.objects.count() == 2 + 2


# The page pages its table of articles -----------------------------------------------------


def agreement_url(project) -> str:
    return reverse("annotate:agreement", args=[project.slug])


def article_ids(response) -> list[int]:
    return [row.id for row in response.context["articles"]]


def test_the_next_links_walk_every_compared_article_once_most_contested_first(
    client, curator, project, scheme, manager, annotator, annotator2
):
    lab(project, scheme, manager, [annotator, annotator2], articles=57)
    client.force_login(curator)

    pages, url = [], agreement_url(project)
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(article_ids(response))
        url = response.context["next_url"]

    assert [len(page) for page in pages] == [50, 7]
    assert sum(pages, []) == [row.id for row in project_agreement(project).articles]
    assert 'rel="next"' not in response.content.decode()
    assert "Most contested" in response.content.decode()


@pytest.mark.parametrize("articles", [3, 57])
def test_the_first_and_the_next_page_run_a_fixed_number_of_queries(
    client, curator, project, scheme, manager, annotator, annotator2, django_assert_num_queries, articles
):
    lab(project, scheme, manager, [annotator, annotator2], articles=articles)
    client.force_login(curator)
    first = client.get(agreement_url(project))  # computes in the request (ANNOTATE_AGREEMENT_INLINE)
    following = first.context["next_url"] or agreement_url(project) + "?after=-1.0_-1.0_0"

    with django_assert_num_queries(6):
        client.get(agreement_url(project))
    with django_assert_num_queries(6):
        response = client.get(following)

    assert response.status_code == 200
    assert len(article_ids(response)) == {3: 3, 57: 7}[articles]


@pytest.mark.parametrize(
    "after",
    ["x", "1_2", "0.5_0.5", "0.5_0.5_1_2", "_0_1", "0.5__1", "nan_0_1", "inf_0_1", "0_-inf_1", "1e999_0_1"]
    + ["0.5_0.5_-1", "0.5_0.5_1e3", "0_0_" + "9" * 30],
)
def test_a_page_that_is_not_one_of_the_pages_links_is_refused_and_queues_nothing(
    client, curator, project, scheme, manager, annotator, annotator2, after
):
    lab(project, scheme, manager, [annotator, annotator2], articles=2)
    client.force_login(curator)

    response = client.get(agreement_url(project), {"after": after})

    assert (response.status_code, response.content.decode()) == (
        400,
        "This page of articles does not exist: follow the page's own links.",
    )
    assert Job.objects.count() == 0


def test_a_page_past_the_last_article_shows_the_first(client, curator, project, scheme, manager, annotator, annotator2):
    lab(project, scheme, manager, [annotator, annotator2], articles=2)
    client.force_login(curator)
    first = client.get(agreement_url(project))

    past = client.get(agreement_url(project), {"after": "3.0_3.0_1"})

    assert past.status_code == 200
    assert article_ids(past) == article_ids(first) != []
    assert past.context["first_url"] is None
