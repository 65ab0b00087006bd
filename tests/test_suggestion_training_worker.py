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
