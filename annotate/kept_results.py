"""Figures a worker computes from the state of a project and keeps in a `Job`: the
agreement figures (`annotate/agreement_jobs.py`) and the team figures (`annotate/team.py`).

A page asking for such figures never computes them. It reads the project's state (one
query: its latest change and its scheme version, with whatever else the figures depend
on in the job's ``input_key``), shows the newest kept result, and when that was computed
from another state asks for a job with `request`: one already queued, or running on this
state, or that failed on it lately, else a new one. The job (`run`) computes from one
consistent snapshot and keeps its result in place of the older ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from annotate import job_limits, jobs, long_work
from annotate.models import Cancelled, Change, Job, JobStatus, Project

logger = logging.getLogger(__name__)

# A computation that failed is not tried again on the same state for this long, so a
# page polling every 2 s does not start one failing computation after another.
RETRY_AFTER = timedelta(minutes=10)


def latest_change(project: Project) -> tuple[int, int]:
    """The id of the project's latest change (0 before the first) and its scheme version,
    in one query whatever the project's size, from the database (not from ``project``,
    which may be older than the request).

    Every change to a layer (a unit, a relation, finishing, reopening, an import, an
    assignment) is recorded in the project's change log, and every change to its labels
    and relation types counts up its scheme version, so the two move whenever figures
    computed from the layers can."""
    change, scheme_version = (
        Project.objects.filter(pk=project.pk)
        .annotate(change=Subquery(Change.objects.filter(project=project).order_by("-id").values("id")[:1]))
        .values_list("change", "scheme_version")
        .get()
    )
    return change or 0, scheme_version


def request(
    project: Project, *, kind: str, key: str, kept: QuerySet[Job], inline: bool, run: Callable, task, user=None
) -> Job:
    """The job that will bring the result kept in ``kept`` (the jobs of its kind and
    options) up to the state ``key``: one already queued (it reads the state when it
    starts), one running on this state (and reporting: see ANNOTATE_JOB_STALE_SECONDS),
    one that failed on it in the last RETRY_AFTER, or else a new one, run here and now
    with ``inline`` and otherwise queued as ``task``.

    The project's row is locked while looking, so two requests at once queue one job.

    Not held to the limits of `annotate/job_limits.py` (ANNOTATE_MAX_PROJECT_JOBS and a
    person's jobs a minute): a page queues this job, not a person, and at most one is
    queued for each kind and options, so a project can never have more than a few;
    refusing it would leave the page showing old figures with nothing to ask again. It
    does take the fair turn the others take (`job_limits.priority`).
    """
    with transaction.atomic():
        job_limits.lock_project(project)
        now = timezone.now()
        alive = now - timedelta(seconds=settings.ANNOTATE_JOB_STALE_SECONDS)
        job = (
            kept.filter(
                Q(status=JobStatus.QUEUED)
                | Q(status=JobStatus.RUNNING, input_key=key, heartbeat_at__gte=alive)
                | Q(status=JobStatus.FAILED, input_key=key, finished_at__gte=now - RETRY_AFTER)
            )
            .defer("result")
            .first()
        )
        if job is not None:
            return job
        job = Job.objects.create(project=project, kind=kind, created_by=user, input_key=key)
        if inline:
            run(job)
        else:
            queued = task.using(priority=job_limits.priority(project))
            job.task_id = str(queued.enqueue(job_id=job.pk).id)
            job.save(update_fields=["task_id"])
    return job


def run(job: Job, *, kept: QuerySet[Job], compute: Callable[[Job], tuple[str, dict]]) -> None:
    """Run ``compute`` for ``job`` (which gives the state it computed from and the
    result) in one snapshot of the database, and keep the result in place of the older
    ones in ``kept``. A job no longer queued (cancelled, or taken by another worker) is
    left alone."""
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED, cancel_requested=False).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    ):
        return
    # Read the state and the layers from one snapshot, so the stored key is the one the
    # figures come from (on PostgreSQL; SQLite's transactions already are; inside an
    # outer transaction, as in tests, the isolation level is that transaction's).
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            key, result = compute(job)
    except Cancelled:
        _end(job, JobStatus.CANCELLED, message=jobs.CANCELLED)
        return
    except Exception:
        logger.exception("%s job %s failed", job.kind, job.pk)
        _end(job, JobStatus.FAILED, message=jobs.UNEXPECTED_ERROR)
        return
    finally:
        long_work.close_progress_connection()
    job.status, job.finished_at, job.phase = JobStatus.DONE, timezone.now(), ""
    job.input_key, job.result = key, result
    with transaction.atomic():
        job.save(update_fields=["status", "finished_at", "phase", "done", "input_key", "result"])
        kept.filter(status=JobStatus.DONE, finished_at__lt=job.finished_at).delete()


def _end(job: Job, status: str, *, message: str) -> None:
    job.status, job.finished_at, job.message = status, timezone.now(), message
    job.save(update_fields=["status", "finished_at", "message"])
