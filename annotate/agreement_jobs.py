"""Agreement computed once per state of a project's layers, by a worker, and kept in a Job.

The agreement page never computes: it asks for the project's *agreement state* (one
query, on an index: the project's latest change, with the project's scheme version), and
shows the stored result computed from that state. When the state moved on since the last
result, the page shows that result with its age and how many layers changed since, and
queues one `compute_agreement` task (never a second while one is queued, or running on
the same state), which brings the stored per-article sums up to date
(`annotate/agreement_store.py`: only the articles whose counted layers changed are
recomputed) and stores the project's figures in a `Job` of kind "agreement":

* ``input_key``: the options and the state the figures were computed from;
* ``result``: ``{"report": ProjectAgreement.as_json(), "compared": N}``, the report
  without its per-article rows (they are `AgreementArticle` rows, paged by the page) and
  the number of compared articles.

Each combination of the page's options (``include_in_progress``, ``against_gold``) has
its own key, and only the newest result of each is kept. The `agreement` command still
computes on demand. With the setting ``ANNOTATE_AGREEMENT_INLINE`` on, the page computes
a missing result itself, in the request, for a site without a worker (and the tests).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, Subquery, When
from django.utils import timezone
from django_tasks import task

from annotate import agreement_store, job_limits, jobs
from annotate.models import Cancelled, Change, Job, JobKind, JobStatus, Project
from annotate.project_agreement import ProjectAgreement

logger = logging.getLogger(__name__)

# A computation that failed is not tried again on the same state for this long, so a
# page polling every 2 s does not start one failing computation after another.
RETRY_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class AgreementState:
    """What the agreement of a project with given options is computed from."""

    key: str  # the options, the latest change and the scheme version: a Job's input_key
    change: int  # the id of the project's latest change (0 before the first)
    scheme_version: int

    def changed_since(self, project: Project, key: str) -> int | None:
        """How many layers were changed since the state ``key`` (one query); None for a key
        written before states were the latest change (a result stored by an earlier version)."""
        since = key.split(":")[3:4]
        if not since or not since[0].isdigit():
            return None
        changes = Change.objects.filter(project=project, id__gt=int(since[0]), layer__isnull=False)
        return changes.values("layer").distinct().count()


@dataclass(frozen=True)
class StoredAgreement:
    """A stored result, and how far it is behind the state it is shown for."""

    report: ProjectAgreement
    computed_at: datetime
    current: bool  # computed from the state asked about
    # Layers changed since it was computed (0 when current or only the scheme changed;
    # None for a result stored by an earlier version, whose state says nothing of layers).
    layers_changed: int | None
    compared: int  # articles at least two annotators' layers count on


def options_key(*, include_in_progress: bool, against_gold: bool) -> str:
    """The start of the input_key of every result computed with these options."""
    return f"agreement:in_progress={int(include_in_progress)}:gold={int(against_gold)}:"


def agreement_state(
    project: Project, *, include_in_progress: bool = False, against_gold: bool = False
) -> AgreementState:
    """The state agreement would be computed from, in one query whatever the project's size.

    Every change to a layer (a unit, a relation, finishing, reopening, an import) is
    recorded in the project's change log, and every change to its labels and relation
    types counts up its scheme version, so the latest change and the scheme version move
    whenever the figures can (and also when a layer that does not count changes: the
    recomputation then finds no article to recompute). Read from the database, not from
    ``project``, which may be older than the request.
    """
    latest = (
        Project.objects.filter(pk=project.pk)
        .annotate(change=Subquery(Change.objects.filter(project=project).order_by("-id").values("id")[:1]))
        .values_list("change", "scheme_version")
        .get()
    )
    change, scheme_version = latest[0] or 0, latest[1]
    return AgreementState(
        key=options_key(include_in_progress=include_in_progress, against_gold=against_gold)
        + f"{change}:{scheme_version}",
        change=change,
        scheme_version=scheme_version,
    )


def stored_agreement(project: Project, state: AgreementState) -> StoredAgreement | None:
    """The result stored for ``state``, else the newest one with the same options, else
    None: one query."""
    job = (
        _agreement_jobs(project, state)
        .filter(status=JobStatus.DONE)
        .order_by(Case(When(input_key=state.key, then=0), default=1), "-finished_at", "-id")
        .only("input_key", "finished_at", "result")
        .first()
    )
    return None if job is None else _stored(project, job, state)


def request_agreement(project: Project, state: AgreementState, *, user=None) -> Job:
    """The job that will bring the stored result up to ``state``: one already queued for
    these options (it reads the state when it starts), one running on this state (and
    reporting: see ANNOTATE_JOB_STALE_SECONDS), one that failed on it in the last
    RETRY_AFTER, or else a new one.

    The project's row is locked while looking, so two requests at once queue one job.
    With ``ANNOTATE_AGREEMENT_INLINE`` a new job is run here and now, before returning.

    Not held to the limits of `annotate/job_limits.py` (ANNOTATE_MAX_PROJECT_JOBS and a
    person's jobs a minute): the page queues this job, not a person, and at most one is
    queued for each of the four combinations of options, so a project can never have
    more than a few; refusing it would leave the page showing old figures with nothing
    to ask again. It does take the fair turn the others take (`job_limits.priority`).
    """
    with transaction.atomic():
        job_limits.lock_project(project)
        now = timezone.now()
        alive = now - timedelta(seconds=settings.ANNOTATE_JOB_STALE_SECONDS)
        job = (
            _agreement_jobs(project, state)
            .filter(
                Q(status=JobStatus.QUEUED)
                | Q(status=JobStatus.RUNNING, input_key=state.key, heartbeat_at__gte=alive)
                | Q(status=JobStatus.FAILED, input_key=state.key, finished_at__gte=now - RETRY_AFTER)
            )
            .defer("result")
            .first()
        )
        if job is not None:
            return job
        job = Job.objects.create(project=project, kind=JobKind.AGREEMENT, created_by=user, input_key=state.key)
        if getattr(settings, "ANNOTATE_AGREEMENT_INLINE", False):
            run(job)
        else:
            task = compute_agreement.using(priority=job_limits.priority(project))
            job.task_id = str(task.enqueue(job_id=job.pk).id)
            job.save(update_fields=["task_id"])
    return job


@task()
def compute_agreement(*, job_id: int) -> None:
    """The worker's side of `request_agreement`: compute and store the job's figures."""
    job = Job.objects.select_related("project").get(pk=job_id)
    run(job)
    if job.status == JobStatus.FAILED:
        raise RuntimeError(job.message)


def run(job: Job) -> None:
    """Compute the agreement of ``job``'s project with its options from the layers as they
    are now (one consistent snapshot), and store it with the state it was computed from.

    A job no longer queued (cancelled, or taken by another worker) is left alone. Older
    results with the same options are deleted: the page shows only the newest.
    """
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED, cancel_requested=False).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    ):
        return
    options = _options(job.input_key)
    # Read the state and the layers from one snapshot, so the stored key is the one the
    # figures come from (on PostgreSQL; SQLite's transactions already are; inside an
    # outer transaction, as in tests, the isolation level is that transaction's).
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            state = agreement_state(job.project, **options)
            report, compared = agreement_store.refresh(
                job.project, **options, progress=job.report_progress, unchanged=_unchanged(job.project, state)
            )
    except Cancelled:
        _end(job, JobStatus.CANCELLED, message=jobs.CANCELLED)
        return
    except Exception:
        logger.exception("Agreement job %s failed", job.pk)
        _end(job, JobStatus.FAILED, message=jobs.UNEXPECTED_ERROR)
        return
    finally:
        jobs.close_progress_connection()
    job.status, job.finished_at, job.phase = JobStatus.DONE, timezone.now(), ""
    job.input_key, job.result = state.key, {"report": report, "compared": compared}
    with transaction.atomic():
        job.save(update_fields=["status", "finished_at", "phase", "done", "input_key", "result"])
        _agreement_jobs(job.project, state).filter(status=JobStatus.DONE, finished_at__lt=job.finished_at).delete()


def _unchanged(project: Project, state: AgreementState) -> tuple[dict, int] | None:
    """The newest stored report with these options, when computed with this scheme
    version: what the figures still are if no article needs recomputing."""
    job = _agreement_jobs(project, state).filter(status=JobStatus.DONE).order_by("-finished_at", "-id").first()
    if job is None or "compared" not in job.result or job.input_key.split(":")[4] != str(state.scheme_version):
        return None
    return job.result["report"], job.result["compared"]


def _end(job: Job, status: str, *, message: str) -> None:
    job.status, job.finished_at, job.message = status, timezone.now(), message
    job.save(update_fields=["status", "finished_at", "message"])


def _agreement_jobs(project: Project, state: AgreementState):
    prefix = ":".join(state.key.split(":")[:3]) + ":"
    return Job.objects.filter(project=project, kind=JobKind.AGREEMENT, input_key__startswith=prefix)


def _options(input_key: str) -> dict[str, bool]:
    _, in_progress, gold, *_ = input_key.split(":")
    return {"include_in_progress": in_progress.endswith("=1"), "against_gold": gold.endswith("=1")}


def _stored(project: Project, job: Job, state: AgreementState) -> StoredAgreement:
    current = job.input_key == state.key
    return StoredAgreement(
        report=ProjectAgreement.from_json(job.result["report"]),
        computed_at=job.finished_at,
        current=current,
        layers_changed=0 if current else state.changed_since(project, job.input_key),
        compared=job.result.get("compared", 0),
    )
