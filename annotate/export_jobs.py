"""Exports too large to stream in a request, written to a file by a worker.

An export's time goes by its units (docs/benchmarks.md: 50,000-90,000 units a second),
so an export of at most ANNOTATE_EXPORT_INLINE_UNITS units of the chosen layers streams
in the request; a larger one is a `Job` of kind "export", run by the `export_dataset`
task through the machinery of `annotate/jobs.py` (claim, progress reports, cancel, a
stopped worker's job failed). The task writes the same chunks the download streams to
a temporary file, then stores it in the default storage as
`exports/<job id>/<file name>` and only then records it on the job, in the statement
that marks the job done: a file is never offered before it is complete. A worker
killed on the way leaves a running job, which `jobs.fail_stale` marks failed, and part
of a file, which is never offered and which `prune_exports` deletes.

A file is offered for ANNOTATE_EXPORT_KEEP_SECONDS after it was written; then its
download is refused, and `prune_exports` (run when a worker starts an export, and by
`manage.py prune_exports`) deletes it, with what failed or cancelled exports left, and
says why on each job. A file lost otherwise (deleted by hand, a storage that lost it) is
looked for before it is offered, and its download answers 410 too.

An export asked for again while an identical one is queued, running, or written and
still offered is not written again: its `input_key` (`export_key`: the format, its
options, the layers chosen and the state of the project they come from) is the same, and
the person is sent to that job. The limits of `annotate/job_limits.py` hold for the
rest: a job the project has no room for is refused, and a file that would take the
project's stored files over their limit is not stored.
"""

import hashlib
import json
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from annotate import datasets, job_limits, jobs, long_work
from annotate.formats import registry
from annotate.formats.losses import LossReport
from annotate.models import ArgumentUnit, Article, Cancelled, Change, Job, JobKind, JobStatus, Layer, Project

PHASE = "exporting"
STORING = "storing"
NOTHING_EXPORTED = "nothing was exported"
# The losses a job's page names; it counts the rest, which the file's header lists.
LOSSES_SHOWN = 20


def inline_units() -> int:
    """The most units an export streamed in the request holds."""
    return getattr(settings, "ANNOTATE_EXPORT_INLINE_UNITS", 200_000)


def keep_seconds() -> int:
    """How long an export's file is kept after it was written."""
    return getattr(settings, "ANNOTATE_EXPORT_KEEP_SECONDS", 24 * 3600)


def units_in(project: Project, choice: datasets.LayerChoice, *, up_to: int | None = None) -> int:
    """How many units an export of the chosen layers holds (one query); with `up_to`,
    counted no further than `up_to` + 1, which is enough to decide whether it streams
    and reads a bounded number of rows however large the project."""
    layers = choice.filter(Layer.objects.filter(article__project=project))
    units = ArgumentUnit.objects.filter(layer__in=layers)
    if up_to is not None:
        units = units.order_by().values("pk")[: up_to + 1]
    return units.count()


def units_to_decide(project: Project, choice: datasets.LayerChoice) -> int:
    """The chosen layers' units, counted no further than just past
    ANNOTATE_EXPORT_INLINE_UNITS: at most that many, the export streams."""
    return units_in(project, choice, up_to=inline_units())


def project_units_to_decide(project: Project) -> int:
    """`units_to_decide` for the whole project, for the export page before anything is
    chosen: kept in the cache under the project's newest change record, which every
    change to a unit, relation or layer and every import writes in its transaction, so
    a visit after a change counts again and other visits read no unit (two queries
    become one). A change committed after a newer one was counted (concurrent saves)
    is seen at the project's next change; the export asked for counts afresh."""
    newest = Change.objects.filter(project=project).order_by("-created_at", "-id").values_list("pk", flat=True)
    key = f"export-units:{project.pk}:{inline_units()}:{newest.first()}"
    units = cache.get(key)
    if units is None:
        units = units_to_decide(project, datasets.LayerChoice())
        cache.set(key, units, UNITS_CACHE_SECONDS)
    return units


# How long a project's unit count stays in the cache unread (a newer change's key never
# reads an older one's, so this only bounds the memory they take).
UNITS_CACHE_SECONDS = 3600


def export_key(project: Project, *, format_name: str, choice: datasets.LayerChoice, options: dict) -> str:
    """What an export's file is written from, as a Job's `input_key`: the format and its
    options, the layers chosen, and a digest of the state they come from (four queries).

    Every change to a layer counts up its revision, so the chosen layers with their
    revisions and owners, the articles (how many and the newest: ids only grow), the
    scheme and the project's slug (the file's name) change whenever the file would.
    """
    layers = list(
        choice.filter(Layer.objects.filter(article__project=project))
        .order_by("pk")
        .values_list("pk", "revision", "annotator__username")
    )
    articles = Article.objects.filter(project=project).aggregate(count=Count("pk"), newest=Max("pk"))
    labels = list(project.labels.order_by("pk").values_list("pk", "name", "order", "colour", "attributes"))
    types = list(project.relation_types.order_by("pk").values_list("pk", "name", "order", "colour"))
    asked = [format_name, choice.which, choice.finished_only, sorted(options.items()), project.slug]
    state = [asked, layers, [articles["count"], articles["newest"]], labels, types]
    return "export:" + hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def enqueue_export(
    *, project: Project, user, format_name: str, choice: datasets.LayerChoice, options: dict, described: str
) -> tuple[Job, bool]:
    """Create an export's job and queue its task, in one transaction (a worker never
    sees the task without its job), unless an identical export is queued, running, or
    written and still offered; (that job, whether it is new). `described` says what is
    exported, for its page.

    Raises `job_limits.Refused`, creating nothing, when a limit refuses the job.
    """
    key = export_key(project, format_name=format_name, choice=choice, options=options)
    jobs.fail_stale(project=project)
    with transaction.atomic():
        job_limits.lock_project(project)
        if (same := _identical(project, key)) is not None:
            return same, False
        job_limits.check(project, user=user, kind=JobKind.EXPORT)
        priority = job_limits.priority(project)
        job = Job.objects.create(
            project=project,
            kind=JobKind.EXPORT,
            created_by=user,
            input_key=key,
            result={
                "format": format_name,
                "layers": choice.which,
                "finished_only": choice.finished_only,
                "options": options,
                "described": described,
            },
        )
        job.file = f"exports/{job.pk}"
        job.task_id = str(export_dataset.using(priority=priority).enqueue(job_id=job.pk).id)
        job.save(update_fields=["file", "task_id"])
    return job, True


def _identical(project: Project, key: str) -> Job | None:
    """The newest export of `key` that is queued or running, or done with its file still
    offered (and there)."""
    kept = Q(status=JobStatus.DONE, finished_at__gt=timezone.now() - timedelta(seconds=keep_seconds()))
    waiting = Q(status__in=job_limits.WAITING, cancel_requested=False)
    same = Job.objects.filter(waiting | (kept & ~Q(file="")), project=project, kind=JobKind.EXPORT, input_key=key)
    for job in same.order_by("-pk"):
        if job.status != JobStatus.DONE or default_storage.exists(job.result["file"]):
            return job
    return None


@task()
def export_dataset(*, job_id: int) -> str:
    """Write the job's export (the choice in its `result`) as the download streams it,
    store the file and mark the job done with the file's name, size and units in
    `result`; on a cancel or an error, delete what was written. Returns the job's status."""
    prune_exports()
    jobs.fail_stale()
    job = jobs.claim(job_id)
    if job is None:  # cancelled while queued, or already run
        return Job.objects.get(pk=job_id).status
    try:
        file_name = datasets.export_file_name(job.project, job.result["format"])
        with tempfile.TemporaryFile() as spool:
            units, key, report = _write(job, spool)
            size = spool.tell()
            job_limits.reserve_stored_bytes(job, size)
            spool.seek(0)
            stored = default_storage.save(f"{job.file}/{file_name}", _Storing(spool, file_name, job=job, size=size))
        result = {**job.result, "file": stored, "file_name": file_name, "bytes": size, "units": units}
        if report.total:  # what a lossy format left out, for the job's page (the file lists it all)
            result["left_out"] = {
                "summary": report.summary(),
                "listed": registry.get(job.result["format"]).losses_listed,
                "losses": [str(loss) for loss in report.losses[:LOSSES_SHOWN]],
                "more": report.total - min(len(report.losses), LOSSES_SHOWN),
            }
        # The file becomes the job's in the statement that marks it done, unless it was
        # cancelled (or taken for stopped) meanwhile. Its key is the state it was written
        # from, which may be newer than the one it was asked for.
        done = {"result": result, "phase": "", "done": units, "total": units, "input_key": key}
        if not jobs.finish(job, JobStatus.DONE, unless_cancel_requested=True, **done):
            raise Cancelled
    except job_limits.Refused as refused:
        jobs.release_files(job)
        jobs.finish(job, JobStatus.FAILED, message=f"{refused.message}; {NOTHING_EXPORTED}")
    except Cancelled:
        jobs.release_files(job)
        jobs.finish(job, JobStatus.CANCELLED, message=f"{jobs.CANCELLED}; {NOTHING_EXPORTED}")
    except Exception:
        jobs.release_files(job)
        jobs.finish(job, JobStatus.FAILED, message=f"{jobs.UNEXPECTED_ERROR}; {NOTHING_EXPORTED}")
        raise
    finally:
        long_work.close_progress_connection()
    return Job.objects.get(pk=job_id).status


def _write(job: Job, spool) -> tuple[int, str, LossReport]:
    """Write the export into `spool` from one snapshot of the project, reporting the
    units written of the units it holds; how many it held, its `export_key` and what
    the format left out."""
    data = job.result
    choice = datasets.LayerChoice(data["layers"], finished_only=data["finished_only"])
    job.report_progress(PHASE, 0, 0)
    # One snapshot on PostgreSQL, whose progress reports go through a connection of their
    # own; SQLite could not report from inside a transaction, so there it reads as it goes.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic() if snapshot else nullcontext():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        key = export_key(job.project, format_name=data["format"], choice=choice, options=data["options"])
        total = units_in(job.project, choice)
        written = 0
        job.report_progress(PHASE, 0, total)

        def wrote(record) -> None:
            nonlocal written
            written += sum(len(layer.units) for layer in record.layers)
            job.report_progress(PHASE, written, total)

        report = LossReport(kept=LOSSES_SHOWN)
        chunks = datasets.export_chunks(
            job.project, format_name=data["format"], choice=choice, progress=wrote, report=report, **data["options"]
        )
        for chunk in chunks:
            spool.write(chunk.encode() if isinstance(chunk, str) else chunk)
        job.report_progress(PHASE, written, written)
    return written, key, report


class _Storing(File):
    """The written export as the storage reads it, reporting the bytes read: a copy to
    a slow storage (S3, a shared disk) keeps the job alive and can be cancelled."""

    def __init__(self, file, name: str, *, job: Job, size: int):
        super().__init__(file, name)
        self.job, self.size = job, size

    def read(self, *args) -> bytes:
        data = self.file.read(*args)
        self.job.report_progress(STORING, self.file.tell(), self.size)
        return data


# Why `prune_exports` deleted a file, as the job's message says it (after what it said
# already, for an export that failed or was cancelled) and as the command prints it.
EXPIRED = "the file was deleted: it had expired"
LEFT = "what it had written of the file was deleted"
WHY = {JobStatus.DONE: "it had expired", JobStatus.FAILED: "left by a failed export"}


@dataclass(frozen=True)
class Pruned:
    """An export whose files `prune_exports` deleted, and why."""

    job_id: int
    project: str  # its slug
    files: list[str]
    why: str


def prune_exports() -> list[Pruned]:
    """Delete the files of exports written more than ANNOTATE_EXPORT_KEEP_SECONDS ago,
    and whatever an export that failed or was cancelled left (a worker killed while
    writing leaves part of a file); their jobs stay, without a file, and their message
    says why it was deleted. The exports whose files were deleted, and why."""
    cutoff = timezone.now() - timedelta(seconds=keep_seconds())
    gone = Q(status=JobStatus.DONE, finished_at__lt=cutoff) | Q(status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
    found = Job.objects.filter(gone, kind=JobKind.EXPORT).exclude(file="").select_related("project")
    pruned = []
    for job in found.only("status", "file", "message", "project__slug").order_by("pk"):
        deleted = jobs.delete_files(job.file)
        message = EXPIRED if job.status == JobStatus.DONE else f"{job.message}; {LEFT}"
        Job.objects.filter(pk=job.pk).update(file="", stored_bytes=0, **({"message": message} if deleted else {}))
        if deleted:
            why = WHY.get(job.status, "left by a cancelled export")
            pruned.append(Pruned(job_id=job.pk, project=job.project.slug, files=deleted, why=why))
    return pruned


@dataclass(frozen=True)
class Offer:
    """A finished export's file, as its page offers it."""

    url: str
    file_name: str
    bytes: int
    units: int
    expires_at: datetime
    expired: bool
    gone: bool  # not expired, but the file is not in the storage (deleted by hand, lost)


def offer(job: Job, project: Project) -> Offer | None:
    """What the page of a done export (of `project`) offers; None for any other job.
    The storage is asked whether the file is still there, unless it has expired."""
    if job.kind != JobKind.EXPORT or job.status != JobStatus.DONE:
        return None
    expires_at = job.finished_at + timedelta(seconds=keep_seconds())
    expired = not job.file or expires_at <= timezone.now()
    return Offer(
        url=reverse("annotate:export_download", args=[project.slug, job.pk]),
        file_name=job.result["file_name"],
        bytes=job.result["bytes"],
        units=job.result["units"],
        expires_at=expires_at,
        expired=expired,
        gone=not expired and not default_storage.exists(job.result["file"]),
    )
