"""Jobs: long work queued for a worker (`manage.py run_worker`), and what people see of it.

A job (`models.Job`) is queued, then running, then done, failed or cancelled. The work
runs as a django-tasks task in a worker process; the task claims its job, reports its
progress through `Job.report_progress` (which also says whether to stop), and finishes
it. A cancel request is read at the next progress report, and the work's transaction
rolls back. A worker that dies leaves its job "running" with an old heartbeat:
`fail_stale` marks such jobs failed whenever a job's page is polled and whenever a worker
starts a job. Nothing is retried: an import is one transaction, so a dead worker wrote
nothing, and the manager decides whether to import again.

Progress is written while the work's own transaction is still open, so it goes through a
second connection to the same database (`annotate.long_work.progress_cursor`): the page
that polls sees it at once, and a cancel request is not kept waiting behind the work's
lock on the row.
"""

import functools
import time
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from annotate import datasets, job_limits, long_work
from annotate.datasets.fast_paths import try_advisory_lock
from annotate.models import Cancelled, Job, JobKind, JobStatus, Project

NOTHING_IMPORTED = "nothing was imported"
WORKER_STOPPED = "the worker stopped while running this job"
CANCELLED = "cancelled"
UNEXPECTED_ERROR = "an unexpected error stopped the job"


def fail_stale(**filters) -> int:
    """Mark failed the running jobs (those matching `filters`) whose worker has not
    reported for ANNOTATE_JOB_STALE_SECONDS, and delete the files they left; how many
    were marked.

    An import's work is one transaction, so its worker's death wrote nothing, and the
    job's message says so.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.ANNOTATE_JOB_STALE_SECONDS)
    stale = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff, **filters)
    marked = 0
    for pk, kind, folder in list(stale.values_list("pk", "kind", "file")):
        message = f"{WORKER_STOPPED}; {NOTHING_IMPORTED}" if kind == JobKind.IMPORT else WORKER_STOPPED
        # The same condition again: a job that reported meanwhile is alive after all.
        if stale.filter(pk=pk).update(status=JobStatus.FAILED, message=message, finished_at=now, stored_bytes=0):
            marked += 1
            if folder:
                delete_files(folder)
    return marked


def request_cancel(job: Job) -> None:
    """Cancel a queued job at once; ask a running one to stop at its next progress
    report (its work then rolls back). A finished job stays as it is."""
    queued = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED)
    cancelled = {"cancel_requested": True, "finished_at": timezone.now(), "message": CANCELLED, "stored_bytes": 0}
    if queued.update(status=JobStatus.CANCELLED, **cancelled):
        if job.file:
            delete_files(job.file)
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)


def delete_files(folder: str) -> list[str]:
    """Delete a job's folder in the default storage and the files in it (or the job's
    file, when it names one); the names of the files deleted."""
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        default_storage.delete(folder)
        return [folder]
    for name in names:
        default_storage.delete(f"{folder}/{name}")
    default_storage.delete(folder)
    return [f"{folder}/{name}" for name in names]


def release_files(job: Job) -> list[str]:
    """Delete the job's files and stop counting them against its project's stored
    bytes; the names of the files deleted."""
    deleted = delete_files(job.file) if job.file else []
    Job.objects.filter(pk=job.pk).update(stored_bytes=0)
    return deleted


def enqueue_import(
    *,
    project: Project,
    user,
    uploads: list[File],
    unknown: str,
    existing: str,
    owner: str,
    dry_run: bool = False,
) -> Job:
    """Store the files (uploaded, or opened by the command) in the default storage,
    create the import's job and queue its task (one transaction, so a worker never sees
    the task without its job); the job. With `dry_run`, the job is a preview.

    Raises `job_limits.Refused`, having stored nothing, when a limit refuses the job:
    checked before the files are stored, and again under the project's lock once they
    are (then they are deleted).
    """
    size = sum(upload.size for upload in uploads)
    fail_stale(project=project)
    job_limits.check(project, user=user, kind=JobKind.IMPORT, adding_bytes=size)
    folder = f"imports/{uuid4().hex}"
    try:
        files = [
            [default_storage.save(f"{folder}/{number}", upload), Path(upload.name).name]
            for number, upload in enumerate(uploads)
        ]
        with transaction.atomic():
            priority = job_limits.reserve(project, user=user, kind=JobKind.IMPORT, adding_bytes=size)
            job = Job.objects.create(
                project=project,
                kind=JobKind.IMPORT,
                created_by=user,
                file=folder,
                stored_bytes=size,
                result=preview_result(unknown=unknown, existing=existing, owner=owner) if dry_run else None,
            )
            task = import_articles.using(priority=priority)
            result = task.enqueue(
                job_id=job.pk, files=files, unknown=unknown, existing=existing, owner=owner, dry_run=dry_run
            )
            job.task_id = str(result.id)
            job.save(update_fields=["task_id"])
    except BaseException:
        delete_files(folder)
        raise
    return job


@task()
def import_articles(
    *, job_id: int, files: list[list[str]], unknown: str, existing: str, owner: str, dry_run: bool = False
) -> str:
    """Import the job's stored files (`files`: pairs of storage name and uploaded file
    name) as the import page would: all or nothing, in one transaction. The files are
    read twice and never held whole (`datasets.reading`): once to check every record
    ("reading", counted in kB from the first line), then again to plan and write them in
    batches ("writing", counted in articles). Stores the report's counts in `result`
    or the problems in `problems`, and deletes the job's files.

    With `dry_run` (a preview of a file too large to preview in a request) nothing is
    written: the job is done, with the preview's counts in `result` (and in
    `"preview"` the choices it was made with) and what is wrong in `problems`, the
    verdict the import page gives.
    Returns the job's status."""
    fail_stale()
    job = claim(job_id)
    if job is None:  # cancelled while queued, or already run
        return Job.objects.get(pk=job_id).status
    try:
        sources = [
            datasets.upload_source(
                functools.partial(default_storage.open, name, "rb"),
                file_name=file_name,
                size=default_storage.size(name),
                owner=owner,
            )
            for name, file_name in files
        ]
        found = datasets.survey_files(
            project=job.project, sources=sources, unknown=unknown, progress=job.report_progress
        )
        if dry_run:
            report = datasets.import_surveyed(
                project=job.project,
                survey=found,
                user=job.created_by,
                dry_run=True,
                existing=existing,
                progress=job.report_progress,
            )
            result = {**report_result(report), **preview_result(unknown=unknown, existing=existing, owner=owner)}
            finish(job, JobStatus.DONE, problems=report.problems, result=result)
            return Job.objects.get(pk=job_id).status
        with transaction.atomic():
            _wait_for_turn(job)
            report = datasets.import_surveyed(
                project=job.project, survey=found, user=job.created_by, existing=existing, progress=job.report_progress
            )
            # Done in the import's own transaction: a job marked failed or cancelled
            # meanwhile rolls the import back, so "done" and the articles go together.
            if not report.problems and not finish(
                job, JobStatus.DONE, unless_cancel_requested=True, result=report_result(report)
            ):
                raise Cancelled
        if report.problems:
            finish(job, JobStatus.FAILED, problems=report.problems, message=NOTHING_IMPORTED)
    except Cancelled:
        finish(job, JobStatus.CANCELLED, message=f"{CANCELLED}; {NOTHING_IMPORTED}")
    except Exception:
        finish(job, JobStatus.FAILED, message=f"{UNEXPECTED_ERROR}; {NOTHING_IMPORTED}")
        raise
    finally:
        release_files(job)
        long_work.close_progress_connection()
    return Job.objects.get(pk=job_id).status


def preview_result(*, unknown: str, existing: str, owner: str) -> dict:
    """What marks a preview job (from when it is queued) and the choices it is made
    with, for an import to follow."""
    return {"preview": {"unknown": unknown, "existing": existing, "owner": owner}}


def claim(job_id: int) -> Job | None:
    """The job, now running, if it was queued and no one asked to cancel it."""
    now = timezone.now()
    queued = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, cancel_requested=False)
    if not queued.update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now):
        return None
    return Job.objects.select_related("project", "created_by").get(pk=job_id)


def finish(job: Job, status: str, *, unless_cancel_requested: bool = False, **fields) -> bool:
    """Set the outcome of a job that is still running (and, if asked, that no one asked
    to cancel); whether it was."""
    now = timezone.now()
    running = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING)
    if unless_cancel_requested:
        running = running.filter(cancel_requested=False)
    return bool(running.update(status=status, finished_at=now, heartbeat_at=now, **fields))


def _wait_for_turn(job: Job) -> None:
    """Take the project's import lock, saying meanwhile that the worker is alive (and
    stopping if the job is cancelled); `datasets.import_surveyed` takes it again at once."""
    while not try_advisory_lock(datasets.IMPORT_LOCK, job.project_id):
        job.report_progress("waiting for another import", 0, 0)
        time.sleep(1)


def report_result(report: datasets.ImportReport) -> dict:
    return {
        "summary": report.summary,
        "counts": report.counts,
        "new_labels": report.new_labels,
        "new_relation_types": report.new_relation_types,
        "skipped": report.skipped,
        "skipped_layers": report.skipped_layers,
    }
