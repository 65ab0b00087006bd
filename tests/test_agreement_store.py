"""Agreement computed once per state of the layers, by a worker, and shown from the stored result.

The page is driven as a browser drives it (the test client, the HTMX poll with its header),
and the queued work is run by the real worker command (`run_worker --batch`), so these tests
run with real transactions (the worker would end the test's own).
"""

import dataclasses
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from annotate import agreement_jobs, jobs, kept_results, lifecycle, projects, units
from annotate.models import Job, JobStatus, Layer, Role
from annotate.project_agreement import ProjectAgreement, project_agreement
from tests.factories import make_article, make_user
from tests.test_import_tasks import run_worker

TEXT = "Cars out. Streets in. Shops gain."  # 33 code points
SPANS = [(0, 9), (10, 21), (22, 33)]


@pytest.fixture
def worker_mode(settings):
    """The page as on a site with a worker: nothing is computed in the request."""
    settings.ANNOTATE_AGREEMENT_INLINE = False


def agreement_url(project, **options):
    query = "&".join(f"{name}=on" for name, on in options.items() if on)
    return reverse("annotate:agreement", args=[project.slug]) + (f"?{query}" if query else "")


def annotated_project(project, scheme, manager, *, articles=3, annotators=3):
    """`articles` articles, each annotated by `annotators` people who agree on some units
    and not on others, every layer finished but the last annotator's of the last article."""
    people = [make_user(f"annotator{i}") for i in range(annotators)]
    for person in people:
        projects.set_member(project=project, user=person, role=Role.ANNOTATOR, by=None)
    labels = [scheme["Claim"], scheme["Premise"], scheme["MajorClaim"]]
    for number in range(articles):
        article = make_article(project, text=f"{TEXT} {number}")
        projects.assign(article=article, annotators=people, by=manager)
        for index, person in enumerate(people):
            layer = Layer.objects.get(article=article, annotator=person)
            for at, span in enumerate(SPANS[: 1 + (index + number) % 3]):
                label = labels[(at + index * number) % 2]
                units.create_unit(layer=layer, label=label, spans=[span], user=person)
            last = (number, index) == (articles - 1, annotators - 1)
            status = Layer.Status.IN_PROGRESS if last else Layer.Status.FINISHED
            lifecycle.set_status(layer=layer, status=status, user=person)
    return people


def unfinished_layer(project):
    return Layer.objects.get(article__project=project, status=Layer.Status.IN_PROGRESS)


def state_line(response) -> str:
    html = response.content.decode()
    start = html.index('class="agreement-state muted" role="status">') + len(
        'class="agreement-state muted" role="status">'
    )
    return html[start : html.index("</p>", start)].replace("\xa0", " ")


def shown(response) -> ProjectAgreement:
    """The report as the page shows it: the stored figures and the page's articles."""
    return dataclasses.replace(response.context["report"], articles=response.context["articles"])


# Serialising the report ----------------------------------------------------------------


def test_a_computed_report_comes_back_from_its_json_unchanged(project, scheme, manager):
    annotated_project(project, scheme, manager)
    report = project_agreement(project, include_in_progress=True, against_gold=True)

    again = ProjectAgreement.from_json(json.loads(json.dumps(report.as_json())))

    assert again == report
    assert (len(report.annotators), len(report.articles)) == (3, 3)
    assert [row.alpha_u.alpha for row in report.labels if row.label == "MajorClaim"] == [None]


def test_a_report_stored_in_a_job_comes_back_unchanged(project, scheme, manager):
    annotated_project(project, scheme, manager)
    report = project_agreement(project)
    job = Job.objects.create(project=project, kind="agreement", result=report.as_json())

    job.refresh_from_db()

    assert ProjectAgreement.from_json(job.result) == report


# The state key ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 6])
def test_the_state_takes_one_query(project, scheme, manager, django_assert_num_queries, n):
    annotated_project(project, scheme, manager, articles=n)

    with django_assert_num_queries(1):
        agreement_jobs.agreement_state(project, include_in_progress=True, against_gold=True)


def test_the_state_moves_with_every_change_to_a_layer_and_counts_the_layers_changed(project, scheme, manager):
    people = annotated_project(project, scheme, manager)
    before = agreement_jobs.agreement_state(project)
    open_layer = unfinished_layer(project)

    units.create_unit(layer=open_layer, label=scheme["Claim"], spans=[(0, 3)], user=people[-1])
    after_open_change = agreement_jobs.agreement_state(project)
    lifecycle.finish_layer(layer=open_layer, user=people[-1], confirmed=True)
    after_finish = agreement_jobs.agreement_state(project)

    assert len({before.key, after_open_change.key, after_finish.key}) == 3
    assert after_finish.changed_since(project, before.key) == 1
    assert after_finish.changed_since(project, after_finish.key) == 0


def test_each_combination_of_options_has_its_own_key(project, scheme, manager):
    annotated_project(project, scheme, manager)

    keys = {
        agreement_jobs.agreement_state(project, include_in_progress=a, against_gold=b).key
        for a in (False, True)
        for b in (False, True)
    }

    assert len(keys) == 4


def test_renaming_a_label_changes_the_state_but_no_layer(project, scheme, manager):
    annotated_project(project, scheme, manager)
    before = agreement_jobs.agreement_state(project)
    scheme["Premise"].name = "Reason"
    scheme["Premise"].save()

    after = agreement_jobs.agreement_state(project)

    assert (after.key != before.key, after.changed_since(project, before.key)) == (True, 0)


def test_reopening_a_layer_counts_as_one_changed_layer(project, scheme, manager):
    people = annotated_project(project, scheme, manager)
    before = agreement_jobs.agreement_state(project)
    first = Layer.objects.filter(article__project=project, annotator=people[0]).first()

    lifecycle.reopen_layer(layer=first, user=people[0])

    assert agreement_jobs.agreement_state(project).changed_since(project, before.key) == 1


# The page and the worker -----------------------------------------------------------------

pytestmark_worker = pytest.mark.django_db(transaction=True)


@pytestmark_worker
def test_first_visit_says_computing_and_queues_exactly_one_task(worker_mode, client, curator, project, scheme, manager):
    annotated_project(project, scheme, manager)
    client.force_login(curator)

    first = client.get(agreement_url(project))
    second = client.get(agreement_url(project))

    assert (first.status_code, state_line(first), "report" in first.context) == (200, "Computing agreement…", False)
    assert 'hx-trigger="every 2s"' in first.content.decode()
    assert state_line(second) == "Computing agreement…"
    assert DBTaskResult.objects.count() == 1
    assert list(Job.objects.values_list("kind", "status")) == [("agreement", "queued")]


@pytestmark_worker
def test_after_the_worker_the_page_shows_the_figures_computed_directly(
    worker_mode, client, curator, project, scheme, manager
):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))

    run_worker()
    response = client.get(agreement_url(project))

    assert shown(response) == project_agreement(project)
    assert state_line(response) == "Computed just now."
    assert 'hx-trigger="every 2s"' not in response.content.decode()
    assert DBTaskResult.objects.count() == 1
    assert list(Job.objects.values_list("status", flat=True)) == ["done"]


@pytestmark_worker
def test_the_poll_swaps_in_the_fresh_figures_once_the_worker_ran(
    worker_mode, client, curator, project, scheme, manager
):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))

    waiting = client.get(agreement_url(project), headers={"HX-Request": "true"})
    run_worker()
    ready = client.get(agreement_url(project), headers={"HX-Request": "true"})

    assert waiting.content.decode().startswith('<div id="agreement-result" hx-get=')
    assert state_line(waiting) == "Computing agreement…"
    assert ready.content.decode().startswith('<div id="agreement-result">')
    assert shown(ready) == project_agreement(project)
    assert "<h1>" not in ready.content.decode()


@pytestmark_worker
def test_after_a_layer_is_finished_the_page_shows_the_old_figures_and_recomputes(
    worker_mode, client, curator, project, scheme, manager
):
    people = annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))
    run_worker()
    old = project_agreement(project)
    Job.objects.update(finished_at=timezone.now() - timedelta(minutes=2, seconds=5))

    lifecycle.finish_layer(layer=unfinished_layer(project), user=people[-1], confirmed=True)
    stale = client.get(agreement_url(project))
    again = client.get(agreement_url(project))

    assert shown(stale) == old
    assert state_line(stale) == "Computed 2 minutes ago; 1 layer changed since — recomputing…"
    assert state_line(again) == state_line(stale)
    assert DBTaskResult.objects.count() == 2

    run_worker()
    fresh = client.get(agreement_url(project))

    assert shown(fresh) == project_agreement(project) != old
    assert state_line(fresh) == "Computed just now."
    assert Job.objects.filter(status=JobStatus.DONE).count() == 1  # the older result is gone


@pytestmark_worker
def test_each_option_is_computed_and_stored_apart(worker_mode, client, curator, project, scheme, manager):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))
    client.get(agreement_url(project, include_in_progress=True))

    run_worker()
    plain = client.get(agreement_url(project))
    with_open = client.get(agreement_url(project, include_in_progress=True))

    assert shown(plain) == project_agreement(project)
    assert shown(with_open) == project_agreement(project, include_in_progress=True)
    assert shown(plain) != shown(with_open)
    assert DBTaskResult.objects.count() == 2


@pytestmark_worker
def test_a_failed_computation_is_shown_and_not_queued_again_at_once(
    worker_mode, client, curator, project, scheme, manager
):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))
    Job.objects.update(status=JobStatus.FAILED, finished_at=timezone.now(), message=jobs.UNEXPECTED_ERROR)

    response = client.get(agreement_url(project))

    assert state_line(response) == "Computing agreement failed: an unexpected error stopped the job"
    assert 'hx-trigger="every 2s"' not in response.content.decode()
    assert DBTaskResult.objects.count() == 1


@pytestmark_worker
def test_a_failed_computation_is_tried_again_after_a_while(worker_mode, client, curator, project, scheme, manager):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))
    long_ago = timezone.now() - kept_results.RETRY_AFTER - timedelta(seconds=1)
    Job.objects.update(status=JobStatus.FAILED, finished_at=long_ago, message=jobs.UNEXPECTED_ERROR)

    response = client.get(agreement_url(project))

    assert state_line(response) == "Computing agreement…"
    assert DBTaskResult.objects.count() == 2


@pytestmark_worker
def test_a_running_computation_whose_worker_stopped_reporting_is_queued_again(
    worker_mode, settings, client, curator, project, scheme, manager
):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))
    Job.objects.update(status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(seconds=10))

    settings.ANNOTATE_JOB_STALE_SECONDS = 60
    reporting = client.get(agreement_url(project))
    tasks_while_reporting = DBTaskResult.objects.count()
    settings.ANNOTATE_JOB_STALE_SECONDS = 5
    client.get(agreement_url(project))

    assert state_line(reporting) == "Computing agreement…"
    assert (tasks_while_reporting, DBTaskResult.objects.count()) == (1, 2)


@pytestmark_worker
def test_a_job_cancelled_while_queued_is_left_alone_by_the_worker(
    worker_mode, client, curator, project, scheme, manager
):
    annotated_project(project, scheme, manager)
    client.force_login(curator)
    client.get(agreement_url(project))
    jobs.request_cancel(Job.objects.get())

    run_worker()

    assert list(Job.objects.values_list("status", "result")) == [("cancelled", None)]


@pytest.mark.parametrize("n", [1, 12])
def test_the_page_from_a_stored_result_runs_a_fixed_number_of_queries(
    client, curator, project, scheme, manager, django_assert_num_queries, n
):
    annotated_project(project, scheme, manager, articles=n)
    client.force_login(curator)
    client.get(agreement_url(project))  # computes in the request (ANNOTATE_AGREEMENT_INLINE)

    with django_assert_num_queries(6):
        response = client.get(agreement_url(project))

    assert shown(response) == project_agreement(project)


@pytest.mark.parametrize("n", [1, 12])
def test_the_page_behind_the_layers_runs_a_fixed_number_of_queries(
    worker_mode, client, curator, project, scheme, manager, django_assert_num_queries, n
):
    people = annotated_project(project, scheme, manager, articles=n)
    client.force_login(curator)
    client.get(agreement_url(project))
    agreement_jobs.compute_agreement.call(job_id=Job.objects.get().pk)
    old = project_agreement(project)
    lifecycle.finish_layer(layer=unfinished_layer(project), user=people[-1], confirmed=True)
    client.get(agreement_url(project))  # queues the computation

    # The stored result, and a look for the computation under the project's lock.
    with django_assert_num_queries(11):
        response = client.get(agreement_url(project))

    assert shown(response) == old
    assert state_line(response) == "Computed just now; 1 layer changed since — recomputing…"


@pytestmark_worker
def test_a_result_stored_by_an_earlier_version_is_shown_until_the_worker_replaces_it(
    worker_mode, client, curator, project, scheme, manager
):
    annotated_project(project, scheme, manager)
    old = project_agreement(project)
    # As the page stored results before: a digest of the layers as the state, the whole report.
    Job.objects.create(
        project=project,
        kind="agreement",
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        input_key="agreement:in_progress=0:gold=0:" + "0123abcd" * 8,
        result={"report": old.as_json(), "layers": {}},
    )
    client.force_login(curator)

    before = client.get(agreement_url(project))
    run_worker()
    after = client.get(agreement_url(project))

    assert before.status_code == 200
    assert state_line(before) == "Computed just now; the layers changed since — recomputing…"
    assert before.context["report"] == old
    assert state_line(after) == "Computed just now."
    assert shown(after) == project_agreement(project)
    assert Job.objects.filter(status=JobStatus.DONE).count() == 1
