"""The export page at a lab's size: it counts units only as far as deciding whether the
export streams needs, and a visit before anything is chosen counts them once per change
to the project."""

import re

import pytest
from django.urls import reverse

from annotate import datasets, export_jobs, projects
from tests.factories import make_article, make_unit, scheme_of

FORM = re.compile(r'<form method="(get|post)" class="card narrow"')
NOTICE = re.compile(r'<p class="message">(.*?)</p>', re.S)
QUEUED = (
    "This project holds more units than are written while you wait (2): a worker writes the file, "
    "and its page follows it and then offers the download."
)


def annotate_articles(project, annotator, manager, n: int) -> None:
    """`n` articles assigned to `annotator`, each with one claim."""
    claim = scheme_of(project)["Claim"]
    for _ in range(n):
        (layer,) = projects.assign(article=make_article(project), annotators=[annotator], by=manager)
        make_unit(layer, claim, "Cities should ban cars")


def notice(page) -> str | None:
    found = NOTICE.search(page.content.decode())
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else None


@pytest.mark.parametrize("n", [1, 20])
def test_the_export_page_runs_a_fixed_number_of_queries_and_counts_units_once_per_change(
    client, curator, project, annotator, manager, settings, django_assert_num_queries, n
):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 2
    annotate_articles(project, annotator, manager, n)
    client.force_login(curator)
    url = reverse("annotate:dataset_export", args=[project.slug])

    # Session, user, membership, the annotators (the form's choice of layers), the
    # project's newest change, the units counted up to three, the stored files.
    with django_assert_num_queries(7):
        first = client.get(url)
    # The same, but the units' count is kept for the newest change.
    with django_assert_num_queries(6):
        second = client.get(url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert FORM.search(first.content.decode()).group(1) == FORM.search(second.content.decode()).group(1)
    assert notice(second) == (QUEUED if n > 2 else None)


def test_the_export_page_counts_again_after_a_change_and_then_queues(
    client, curator, project, annotator, manager, settings
):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 2
    annotate_articles(project, annotator, manager, 2)
    client.force_login(curator)
    url = reverse("annotate:dataset_export", args=[project.slug])
    before = client.get(url)

    annotate_articles(project, annotator, manager, 1)
    after = client.get(url)

    assert (FORM.search(before.content.decode()).group(1), notice(before)) == ("get", None)
    assert (FORM.search(after.content.decode()).group(1), notice(after)) == ("post", QUEUED)


def test_units_are_counted_just_past_the_inline_limit(project, annotator, manager, settings):
    annotate_articles(project, annotator, manager, 6)
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 2

    assert export_jobs.units_to_decide(project, datasets.LayerChoice()) == 3
    assert export_jobs.units_in(project, datasets.LayerChoice()) == 6
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 6
    assert export_jobs.units_to_decide(project, datasets.LayerChoice()) == 6
