"""Deleting a project, as its manager's page and the admin offer it: the confirmation
counts what goes and names what is kept, and the project goes with everything in it
(units first: a label in use is protected), its imports' files too, while the files of
its finished exports stay and another project stays as it was."""

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
        "jobs (imports, exports, figures) and the files of its imports: 1",
        "uploads: 0",
    ]
    assert asked == [line[0].upper() + line[1:] for line in counts] + counts  # the summary, then the project's own
    assert (deleted.status_code, deleted["Location"]) == (302, reverse("admin:annotate_project_changelist"))
    assert Project.objects.filter(pk=large.pk).exists() is False
    assert rows_of(large.pk) == dict.fromkeys(rows_of(large.pk), 0)
    assert stored_files(stored) == [file_name]  # what was exported is kept
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


def manager_browser(manager) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    return client


def csrf_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_manager_deletes_the_project_from_its_settings_page_after_typing_its_address(
    manager, curator_client, annotated, other, stored, settings
):
    settings.ANNOTATE_EXPORT_INLINE_UNITS = 1
    job_url = start_export(curator_client, annotated, format="jsonl")
    run_worker()
    assert poll(curator_client, job_url)[0] == 200
    [job] = Job.objects.filter(project=annotated)
    export_file = f"exports/{job.pk}/opeds-jsonl.jsonl"
    others = rows_of(other.pk)
    browser = manager_browser(manager)

    settings_page = browser.get(reverse("annotate:project_settings", args=[annotated.slug])).content.decode()
    delete_url = re.search(r'<a class="danger" href="([^"]+)">Delete this project…</a>', settings_page).group(1)
    asked = browser.get(delete_url)
    page = asked.content.decode()
    goes = re.findall(r"<li>([^<]*: [\d,]+)</li>", page)
    kept = re.findall(r"<li><code>([^<]+)</code></li>", page)
    slug = re.search(r"type the project's address, <code>([^<]+)</code>", page).group(1)
    name = re.search(r"<h1>Delete ([^<]+)</h1>", page).group(1)
    wrong = browser.post(delete_url, {"confirm": slug.upper(), "csrfmiddlewaretoken": csrf_of(page)})
    empty = browser.post(delete_url, {"confirm": "  ", "csrfmiddlewaretoken": csrf_of(page)})
    still = rows_of(annotated.pk)
    done = browser.post(delete_url, {"confirm": slug, "csrfmiddlewaretoken": csrf_of(page)})
    listed = browser.get(done["Location"]).content.decode()

    assert asked.status_code == 200
    assert goes == [
        "Articles: 1",
        "Annotators&#x27; layers: 2",
        "Gold layers: 1",
        "Units: 6",
        "Relations: 2",
        "Jobs (imports, exports, figures) and the files of its imports: 1",
        "Uploads: 0",
    ]
    assert kept == [export_file]
    assert (wrong.status_code, empty.status_code) == (422, 422)
    assert re.search(r'role="alert" id="confirm-error">([^<]+)<', wrong.content.decode()).group(1) == (
        f"Type the project&#x27;s address, {slug}, to delete it. Nothing was deleted."
    )
    assert re.search(r'role="alert" id="confirm-error">([^<]+)<', empty.content.decode()).group(1) == (
        f"Type {slug} in the box to delete the project. Nothing was deleted."
    )
    assert still["ArgumentUnit"] == 6
    assert (done.status_code, done["Location"]) == (302, reverse("annotate:project_list"))
    assert re.findall(r'<li class="message success">([^<]+)</li>', listed) == [
        f"Project {name} deleted. The files of its 1 finished export are kept."
    ]
    assert Project.objects.filter(pk=annotated.pk).exists() is False
    assert rows_of(annotated.pk) == dict.fromkeys(rows_of(annotated.pk), 0)
    assert stored_files(stored) == [export_file]
    assert rows_of(other.pk) == others


def test_a_curator_cannot_delete_the_project(curator_client, annotated):
    url = reverse("annotate:project_delete", args=[annotated.slug])
    page = curator_client.get(reverse("annotate:project_detail", args=[annotated.slug])).content.decode()

    response = curator_client.post(url, {"confirm": annotated.slug, "csrfmiddlewaretoken": csrf_of(page)})

    assert response.status_code == 403
    assert rows_of(annotated.pk)["ArgumentUnit"] == 6
