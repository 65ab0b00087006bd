"""Deleting a project, as the admin offers it: its confirmation counts what goes, and
the project goes with everything in it (units first: a label in use is protected), its
jobs' files too, while another project stays as it was."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotate import projects, review, units
from annotate.models import (
    AgreementArticle,
    ArgumentUnit,
    Article,
    Change,
    Effort,
    Invite,
    Job,
    Label,
    Layer,
    Membership,
    Project,
    Relation,
    RelationType,
    Span,
    Upload,
)
from tests.factories import make_article, make_project, make_relation, make_unit, scheme_of, span_of
from tests.test_export_tasks import poll, start_export
from tests.test_import_tasks import run_worker, stored_files

# The worker commits as it goes: these tests run on a database they commit to.
pytestmark = pytest.mark.django_db(transaction=True)

BY_PROJECT = {
    Article: "project",
    Layer: "article__project",
    ArgumentUnit: "layer__article__project",
    Span: "unit__layer__article__project",
    Relation: "layer__article__project",
    Change: "project",
    Job: "project",
    Upload: "project",
    Membership: "project",
    Invite: "project",
    Label: "project",
    RelationType: "project",
    AgreementArticle: "project",
    Effort: "project",
}


def rows_of(project_id: int) -> dict[str, int]:
    return {model.__name__: model.objects.filter(**{field: project_id}).count() for model, field in BY_PROJECT.items()}


@pytest.fixture
def stored(settings, tmp_path):
    """Stored files in a directory of the test's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def annotated(project, article, annotator, annotator2, manager):
    """Both annotators' layers with two linked units each, and gold with two units."""
    scheme = scheme_of(project)
    for annotator_ in [annotator, annotator2]:
        layer = Layer.objects.get(article=article, annotator=annotator_)
        claim = make_unit(layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"})
        make_relation(
            layer, scheme["supports"], make_unit(layer, scheme["Premise"], "Traffic kills thousands every year"), claim
        )
    gold = review.start_gold(article=article, user=manager)
    for quote in ["Cities should ban cars", "most trips in town are short"]:
        units.create_unit(layer=gold, label=scheme["Claim"], spans=[span_of(article.text, quote)], user=manager)
    return project


@pytest.fixture
def curator_client(curator):
    """The curator's browser: CSRF checks on, as in a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    return client


@pytest.fixture
def other(manager, annotator):
    """Another project with an article, a layer with two linked units."""
    project = make_project(manager=manager, slug="other")
    projects.set_member(project=project, user=annotator, role="annotator", by=None)
    article = make_article(project)
    projects.assign(article=article, annotators=[annotator], by=manager)
    layer = Layer.objects.get(article=article)
    scheme = scheme_of(project)
    claim = make_unit(layer, scheme["Claim"], "Cities should ban cars", attributes={"stance": "For"})
    make_relation(layer, scheme["supports"], make_unit(layer, scheme["Premise"], "most trips in town are short"), claim)
    return project


def test_the_admin_deletes_a_project_with_its_units_gold_jobs_and_files_and_leaves_others(
    admin_client, curator_client, annotated, other, stored, settings
):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1  # so the export is a job, written to a file
    large = annotated
    # A finished export, its file stored.
    job_url = start_export(curator_client, large, format="jsonl")
    run_worker()
    assert poll(curator_client, job_url)[0] == 200
    [job] = Job.objects.filter(project=large)
    file_name = f"exports/{job.pk}/opeds-jsonl.jsonl"
    assert (job.status, stored_files(stored)) == ("done", [file_name])
    before = rows_of(large.pk)
    assert {name: before[name] > 0 for name in ["ArgumentUnit", "Relation", "Layer", "Job", "Change"]} == dict.fromkeys(
        ["ArgumentUnit", "Relation", "Layer", "Job", "Change"], True
    )
    others = rows_of(other.pk)
    url = reverse("admin:annotate_project_delete", args=[large.pk])

    confirmation = admin_client.get(url)
    asked = re.findall(r"<li>([^<]*: \d+)</li>", confirmation.content.decode())
    deleted = admin_client.post(url, {"post": "yes"})

    assert confirmation.status_code == 200
    counts = [
        "articles: 1",
        "annotators&#x27; layers: 2",
        "gold layers: 1",
        "units: 6",
        "relations: 2",
        "jobs (imports, exports, and their stored files): 1",
        "uploads: 0",
    ]
    assert asked == [line[0].upper() + line[1:] for line in counts] + counts  # the summary, then the project's own
    assert (deleted.status_code, deleted["Location"]) == (302, reverse("admin:annotate_project_changelist"))
    assert Project.objects.filter(pk=large.pk).exists() is False
    assert rows_of(large.pk) == dict.fromkeys(rows_of(large.pk), 0)
    assert stored_files(stored) == []
    assert rows_of(other.pk) == others


def test_the_admin_deletes_several_projects_at_once(admin_client, annotated, other):
    response = admin_client.post(
        reverse("admin:annotate_project_changelist"),
        {"action": "delete_selected", "_selected_action": [annotated.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert (Project.objects.count(), rows_of(annotated.pk), rows_of(other.pk)) == (
        0,
        dict.fromkeys(rows_of(annotated.pk), 0),
        dict.fromkeys(rows_of(other.pk), 0),
    )


def test_a_label_in_use_is_still_protected_on_its_own(annotated):
    label = scheme_of(annotated)["Claim"]

    with pytest.raises(Exception, match="protected foreign keys"):
        label.delete()
    assert Label.objects.filter(pk=label.pk).exists() is True
