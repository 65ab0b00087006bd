"""Every page of a project costs the same number of queries however large the project:
each page, for the role that sees it, at 2 and at 40 articles (each with two annotators'
layers, one of them started with units, one with a note), and as many pending invites and further
members (every other one deactivated), pinned."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate import accounts, lifecycle, projects
from annotate.models import Job, JobKind, Layer, Role
from tests.factories import make_article, make_unit, make_user

# page, role, its query count (after one visit: the agreement page computes its figures
# on the first, as a worker would)
PAGES = [
    ("project_list", "annotator", 6),
    ("project_detail", "annotator", 5),
    ("project_detail", "manager", 6),
    ("article_list", "annotator", 7),
    ("article_list", "manager", 8),
    ("assignment", "manager", 8),
    ("agreement", "curator", 6),
    ("team", "curator", 5),
    ("team", "annotator", 5),
    ("dataset_export", "curator", 7),
    ("suggestion_models", "curator", 9),
    ("dataset_import", "manager", 4),
    ("member_list", "manager", 5),
    ("scheme", "manager", 5),
    ("scheme_css", "annotator", 5),
    ("project_settings", "manager", 3),
    ("project_delete", "manager", 11),
    ("job_detail", "manager", 5),
    ("article_detail", "curator", 5),
    ("layer_detail", "annotator", 9),
    ("review", "curator", 9),
]


def project_of(size, project, manager, annotator, annotator2):
    claim, premise = project.labels.get(name="Claim"), project.labels.get(name="Premise")
    for _ in range(size):
        article = make_article(project)
        projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
        layer = Layer.objects.select_related("article__project").get(article=article, annotator=annotator)
        lifecycle.start_layer(layer=layer, user=annotator)
        make_unit(layer, claim, "Cities should ban cars", note="Unsure of the stance.")  # notes cost no query
        make_unit(layer, premise, "Traffic kills thousands every year")
    Job.objects.create(project=project, kind=JobKind.IMPORT, created_by=manager)
    for number in range(size):
        accounts.create_invite(project=project, role=Role.ANNOTATOR, note=f"Invitee {number}", by=manager)
        member = projects.set_member(project=project, user=make_user(), role=Role.CURATOR, by=manager)
        if number % 2:
            accounts.set_active(membership=member, active=False, by=manager)


def url_of(name, project, annotator):
    layer = Layer.objects.filter(article__project=project, annotator=annotator).order_by("id").first()
    kwargs = {
        "project_list": {},
        "article_detail": {"slug": project.slug, "pk": layer.article_id},
        "review": {"slug": project.slug, "pk": layer.article_id},
        "layer_detail": {"slug": project.slug, "pk": layer.pk},
        "job_detail": {"slug": project.slug, "pk": Job.objects.get(project=project, kind=JobKind.IMPORT).pk},
    }.get(name, {"slug": project.slug})
    return reverse(f"annotate:{name}", kwargs=kwargs)


@pytest.mark.parametrize("size", [2, 40])
def test_every_project_page_runs_the_same_number_of_queries_at_two_sizes(
    client, project, manager, curator, annotator, annotator2, size
):
    project_of(size, project, manager, annotator, annotator2)
    users = {"manager": manager, "curator": curator, "annotator": annotator}
    counted = []
    for name, role, _ in PAGES:
        client.force_login(users[role])
        url = url_of(name, project, annotator)
        assert client.get(url).status_code == 200, name
        cache.clear()  # as a server's first request after a start: nothing cached
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counted.append((name, role, len(queries)))
    assert counted == PAGES


SUGGESTING = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work.\n\n"
)


@pytest.mark.parametrize("paragraphs", [1, 30])
def test_the_workspace_with_suggestions_runs_the_same_number_of_queries_at_two_sizes(
    client, project, manager, annotator, paragraphs
):
    """Its suggestions (made on the first visit, kept) are read at once, not one by one."""
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=SUGGESTING * paragraphs)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    lifecycle.start_layer(layer=layer, user=annotator)
    make_unit(layer, project.labels.get(name="Claim"), "We must act now")
    client.force_login(annotator)
    url = reverse("annotate:layer_detail", kwargs={"slug": project.slug, "pk": layer.pk})
    assert client.get(url).status_code == 200
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.content.decode().count('class="suggestion-row') == 6 * paragraphs - 1
    assert len(queries) == 12


@pytest.mark.parametrize("paragraphs", [1, 30])
def test_the_review_with_gold_suggestions_runs_the_same_number_of_queries_at_two_sizes(
    client, project, manager, curator, annotator, paragraphs
):
    """Gold's suggestions (made on the first visit, kept) are read at once for their lane."""
    project.suggestions = True
    project.save(update_fields=["suggestions"])
    article = make_article(project, text=SUGGESTING * paragraphs)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article, annotator=annotator)
    lifecycle.start_layer(layer=layer, user=annotator)
    make_unit(layer, project.labels.get(name="Claim"), "We must act now")
    client.force_login(curator)
    assert client.post(reverse("annotate:review_gold", args=[project.slug, article.pk])).status_code == 302
    url = reverse("annotate:review", args=[project.slug, article.pk])
    assert client.get(url).status_code == 200
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = response.content.decode()
    assert body.count("data-reject=") == 6 * paragraphs  # a bar per suggestion, whatever the annotator marked
    assert body.count('’s units"') == 1  # the annotator's one unit, on the first line
    assert len(queries) == 14
