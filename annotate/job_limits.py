"""Limits on the jobs people queue, so that no project and no person can fill the queue
or the storage for the others, and a fair turn for every project's jobs.

* ANNOTATE_MAX_PROJECT_JOBS: the imports and exports a project may have queued or
  running at once. The next is refused (422) with a message naming the limit and those
  jobs. Agreement jobs do not count (`agreement_jobs.request_agreement` says why).
* ANNOTATE_MAX_USER_JOBS_PER_MINUTE: the imports and exports one person may queue in a
  minute; the next is refused (429) saying when to try again. The command line, which
  queues as no one, is held to the project's limits only.
* ANNOTATE_MAX_PROJECT_STORED_BYTES: what the project's files in the default storage may
  take together: an import's uploads until it ends, an export's file until it is
  deleted (`Job.stored_bytes`). Files that would go over are refused before they are
  stored: an upload when it is queued, an export's file when its worker has written it
  (its size is known only then), and an export is not queued at all when nothing fits.
* A fair turn: a worker (django_tasks_db's `db_worker`) takes the ready task of highest
  priority, the oldest first among equals. A job's task is queued with its priority
  lowered by the project's jobs already queued or running (`priority`), so a project's
  first job goes ahead of another project's tenth, whenever each was queued.

A job is counted and created under a lock on its project's row (`lock_project`), so two
requests at once cannot both take the last place.
"""

from dataclasses import dataclass
from datetime import timedelta
from math import ceil

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat, pluralize
from django.utils import timezone
from django_tasks.base import DEFAULT_TASK_PRIORITY, TASK_MIN_PRIORITY

from annotate.models import Job, JobKind, JobStatus, Project

# The jobs a person queues, which the limits count; agreement jobs are queued by its page.
QUEUED_BY_PEOPLE = [JobKind.IMPORT, JobKind.EXPORT]
WAITING = [JobStatus.QUEUED, JobStatus.RUNNING]
RATE_WINDOW = timedelta(minutes=1)


class Refused(Exception):
    """A job a limit refuses: `message` says which and what to do, `status` is the HTTP
    status a page answers with, `retry_after` the seconds to wait (for a rate)."""

    def __init__(self, message: str, *, status: int = 422, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


@dataclass(frozen=True)
class StoredUse:
    """What a project's stored files take, and their limit, in bytes."""

    used: int
    limit: int


def lock_project(project: Project) -> None:
    """Lock the project's row until the transaction ends. FOR NO KEY UPDATE: rows that
    point at the project (a change record, an article) are still written meanwhile."""
    list(Project.objects.select_for_update(no_key=True).filter(pk=project.pk).order_by().values_list("pk"))


def stored_use(project: Project) -> StoredUse:
    """What the project's stored files take now (one query)."""
    used = Job.objects.filter(project=project, stored_bytes__gt=0).aggregate(used=Sum("stored_bytes"))["used"]
    return StoredUse(used=used or 0, limit=settings.ANNOTATE_MAX_PROJECT_STORED_BYTES)


def check(project: Project, *, user, kind: str, adding_bytes: int = 0) -> None:
    """Raise `Refused` if `user` (None: the command line) may not queue a job of `kind`
    in `project` now, one that stores `adding_bytes` (an export: 0, as its size is not
    known yet). Three queries at most; no lock (see `reserve`)."""
    if user is not None:
        _check_rate(user)
    waiting = list(
        Job.objects.filter(project=project, kind__in=QUEUED_BY_PEOPLE, status__in=WAITING)
        .order_by("pk")
        .values_list("pk", "kind", "status")
    )
    if len(waiting) >= settings.ANNOTATE_MAX_PROJECT_JOBS:
        jobs = ", ".join(f"{kind} {pk} ({status})" for pk, kind, status in waiting)
        raise Refused(
            f"This project has {len(waiting)} job{pluralize(len(waiting))} queued or running, as many as it may "
            f"have at once (ANNOTATE_MAX_PROJECT_JOBS): {jobs}. Try again once one of them has ended, or cancel one."
        )
    use = stored_use(project)
    if kind == JobKind.EXPORT and use.used >= use.limit:
        raise Refused(
            f"This project's stored files take {_size(use.used)} of {_size(use.limit)}, their limit "
            "(ANNOTATE_MAX_PROJECT_STORED_BYTES): no export can be written until an export's file expires "
            "or an import ends."
        )
    if use.used + adding_bytes > use.limit:
        raise Refused(
            f"These files ({_size(adding_bytes)}) would take this project's stored files over their limit: "
            f"{_size(use.used)} of {_size(use.limit)} are stored (ANNOTATE_MAX_PROJECT_STORED_BYTES). An import's "
            "files are deleted when it ends and an export's when it expires: try again then, or import fewer "
            "files at once."
        )


def reserve(project: Project, *, user, kind: str, adding_bytes: int = 0) -> int:
    """In the transaction that creates the job: lock the project's row, `check` again
    (another request may have queued meanwhile) and return the priority to queue the
    job's task with."""
    lock_project(project)
    check(project, user=user, kind=kind, adding_bytes=adding_bytes)
    return priority(project)


def priority(project: Project) -> int:
    """The priority of a task queued now for `project`: the default, lowered by one for
    each of the project's jobs (of any kind) already queued or running."""
    ahead = Job.objects.filter(project=project, status__in=WAITING).count()
    return max(TASK_MIN_PRIORITY, DEFAULT_TASK_PRIORITY - ahead)


def reserve_stored_bytes(job: Job, size: int) -> None:
    """Count `size` bytes against the job's project before its worker stores them, or
    raise `Refused` when they would take the project over its limit. Its own
    transaction, under the project's lock, so two workers cannot both take the room."""
    with transaction.atomic():
        lock_project(job.project)
        use = stored_use(job.project)
        if use.used + size > use.limit:
            raise Refused(
                f"the file ({_size(size)}) would take this project's stored files over their limit: "
                f"{_size(use.used)} of {_size(use.limit)} are stored (ANNOTATE_MAX_PROJECT_STORED_BYTES)"
            )
        Job.objects.filter(pk=job.pk).update(stored_bytes=size)


def _check_rate(user) -> None:
    limit = settings.ANNOTATE_MAX_USER_JOBS_PER_MINUTE
    now = timezone.now()
    recent = list(
        Job.objects.filter(created_by=user, kind__in=QUEUED_BY_PEOPLE, created_at__gt=now - RATE_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        # Once the oldest of the last `limit` jobs is a minute old, one more fits.
        wait = max(1, ceil((recent[-1] + RATE_WINDOW - now).total_seconds()))
        raise Refused(
            f"You have queued {len(recent)} jobs in the last minute, as many as one person may "
            f"(ANNOTATE_MAX_USER_JOBS_PER_MINUTE): try again in {wait} s.",
            status=429,
            retry_after=wait,
        )


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")
