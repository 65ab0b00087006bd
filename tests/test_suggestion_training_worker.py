"""The suggestion model's training job, run by a worker end to end, and the page that lists it."""

import pytest
from django.urls import reverse

from annotate.models import Job, JobKind, JobStatus
from tests.suggestion_corpus import gold_article
from tests.test_import_tasks import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gold(project, curator):
    return [gold_article(project, curator, number) for number in range(12)]


def test_a_manager_trains_now_and_the_worker_stores_the_version_the_page_lists(client, project, gold, manager, curator):
    client.force_login(manager)
    page = reverse("annotate:suggestion_models", args=[project.slug])
    before = client.get(page).content.decode()
    assert "No version in use: suggestions come from the discourse markers only." in before
    response = client.post(reverse("annotate:suggestion_train", args=[project.slug]))
    assert (response.status_code, response.url) == (302, page)
    assert "A training is waiting for a worker" in client.get(page).content.decode()
    run_worker()
    job = Job.objects.get(project=project, kind=JobKind.TRAINING)
    assert (job.status, job.result) == (JobStatus.DONE, {"version": 1, "status": "ready"})
    client.force_login(curator)
    after = client.get(page).content.decode()
    assert "In use: version 1." in after
    assert "Train now" not in after  # for managers
    assert "12 articles" in after
    assert "gold only" in after


def test_the_training_makes_the_open_layers_suggestions_so_opening_them_reads_them(
    client, project, gold, manager, annotator, annotator2
):
    from annotate import projects
    from annotate.models import Layer, Project, Suggestion, SuggestionRun
    from tests.factories import make_article
    from tests.suggestion_corpus import essay

    Project.objects.filter(pk=project.pk).update(suggestions=True)
    article = make_article(project, text=essay(20)[0], title="Essay 20")
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    client.force_login(manager)
    client.post(reverse("annotate:suggestion_train", args=[project.slug]))
    run_worker()
    job = Job.objects.get(project=project, kind=JobKind.TRAINING)
    assert job.status == JobStatus.DONE
    layers = list(Layer.objects.filter(article=article).order_by("pk"))
    model_pk = str(project.suggestion_models.get(version=1).pk)
    assert [
        dict(SuggestionRun.objects.filter(layer=layer).values_list("source", "key")).get("model") for layer in layers
    ] == [model_pk, model_pk]
    made = [
        sorted(Suggestion.objects.filter(layer=layer, source="model").values_list("kind", "start", "end"))
        for layer in layers
    ]
    assert made[0] == made[1] != []
    # Opening the layer makes nothing more: the page reads what the training made.
    client.force_login(annotator)
    answer = client.get(reverse("annotate:layer_detail", args=[project.slug, layers[0].pk]))
    assert answer.status_code == 200
    assert Suggestion.objects.filter(layer=layers[0]).count() == Suggestion.objects.filter(layer=layers[1]).count()
    assert (
        sorted(Suggestion.objects.filter(layer=layers[0], source="model").values_list("kind", "start", "end"))
        == (made[0])
    )


def test_layers_assigned_after_the_model_trained_get_their_suggestions_from_the_worker(
    client, project, gold, manager, annotator, annotator2
):
    from annotate import projects
    from annotate.models import Layer, Project, Suggestion, SuggestionRun
    from annotate.suggestions import learning
    from tests.factories import make_article
    from tests.suggestion_corpus import essay

    Project.objects.filter(pk=project.pk).update(suggestions=True)
    project.refresh_from_db()
    model = learning.train(project)
    assert model.status == model.Status.READY
    article = make_article(project, text=essay(21)[0], title="Essay 21")
    projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    layers = list(Layer.objects.filter(article=article).order_by("pk"))
    assert SuggestionRun.objects.filter(layer__in=layers).count() == 0
    run_worker()
    assert sorted(SuggestionRun.objects.filter(layer__in=layers).values_list("layer_id", "source", "key")) == [
        (layers[0].pk, "model", str(model.pk)),
        (layers[1].pk, "model", str(model.pk)),
    ]
    made = [sorted(Suggestion.objects.filter(layer=layer).values_list("kind", "start", "end")) for layer in layers]
    assert made[0] == made[1] != []


def test_layers_assigned_without_a_model_wait_for_their_opening(project, gold, manager, annotator):
    from annotate import projects
    from annotate.models import Layer, Project, SuggestionRun
    from tests.factories import make_article
    from tests.suggestion_corpus import essay

    Project.objects.filter(pk=project.pk).update(suggestions=True)
    project.refresh_from_db()
    article = make_article(project, text=essay(22)[0], title="Essay 22")
    projects.assign(article=article, annotators=[annotator], by=manager)
    run_worker()
    assert SuggestionRun.objects.filter(layer__article=article).count() == 0  # markers: made on opening
    assert Layer.objects.filter(article=article).count() == 1
