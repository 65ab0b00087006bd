"""The page that follows a job: its progress while a worker runs it, then its outcome."""

import time

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from annotate import access, export_jobs, jobs, uploads
from annotate.models import Job
from annotate.views import render_partial

# What each phase is called on the page, and what its counts count.
PHASES = {
    "reading": ("Reading the files", "kB read"),
    "checking": ("Checking the articles", "articles checked"),
    "writing": ("Writing the articles", "articles written"),
    "waiting for another import": ("Waiting for another import of this project to finish", ""),
    export_jobs.PHASE: ("Writing the export", "units written"),
    export_jobs.STORING: ("Storing the file", "bytes stored"),
}


@require_GET
@login_required
def job_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The job's progress (an import's for managers, an export's for curators too);
    polled every second (the `job-progress` partial) until it ends. A running job whose
    worker stopped reporting is marked failed here."""
    membership = access.membership_or_404(request.user, slug, roles=access.CURATORS)
    jobs.fail_stale(project=membership.project, pk=pk)
    job = access.job_or_404(membership, pk, Job.objects.select_related("created_by"))
    return _render(request, membership, job)


@require_POST
@login_required
def job_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Cancel a queued job, or ask a running one to stop (its work rolls back)."""
    membership = access.membership_or_404(request.user, slug, roles=access.CURATORS)
    job = access.job_or_404(membership, pk)
    jobs.request_cancel(job)
    if not request.htmx:
        return redirect("annotate:job_detail", slug, pk)
    job.refresh_from_db()
    return _render(request, membership, job)


def _render(request: HttpRequest, membership, job: Job) -> HttpResponse:
    heading, counted = PHASES.get(job.phase, (job.phase.capitalize(), ""))
    since, seconds_left = _rate_so_far(request, job)
    context = {
        "membership": membership,
        "project": membership.project,
        "job": job,
        "heading": heading,
        "counts": f"{job.done:,} of {job.total:,} {counted}" if counted else "",
        "export": export_jobs.offer(job, membership.project),
        "time_left": _in_words(seconds_left) if seconds_left is not None else "",
        "poll_url": reverse("annotate:job_detail", args=[membership.project.slug, job.pk]) + "?" + urlencode(since),
        "upload_import": _upload_import(membership.project, job),
    }
    return render_partial(request, "annotate/job_detail.html", "job-progress", context)


def _rate_so_far(request: HttpRequest, job: Job) -> tuple[dict, int | None]:
    """Where this page first saw the job's current phase (the count and the time, which
    the polling address carries from answer to answer), and the seconds the phase has
    left at the rate since then, once there is a rate to go by."""
    now = time.time()
    try:
        phase, done, at = request.GET["phase"], int(request.GET["done"]), float(request.GET["at"])
    except (KeyError, ValueError):
        phase, done, at = None, 0, now
    if phase != job.phase or not 0 <= done <= job.done or not now - 3600 * 24 < at <= now:
        return {"phase": job.phase, "done": job.done, "at": f"{now:.1f}"}, None
    since = {"phase": phase, "done": done, "at": f"{at:.1f}"}
    if job.done == done or now - at < 1 or job.total <= job.done:
        return since, None
    rate = (job.done - done) / (now - at)
    return since, round((job.total - job.done) / rate)


def _in_words(seconds: int) -> str:
    """The time a phase has left, as a person would say it: "a few seconds left in this
    phase", "about 40 s left …", "about 3 min 20 s left …", "about 2 h 5 min left …"."""
    if seconds < 5:
        return "a few seconds left in this phase"
    if seconds < 60:
        left = f"{seconds} s"
    elif seconds < 3600:
        left = f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"
    else:
        left = f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"about {left} left in this phase"


def _upload_import(project, job: Job) -> str:
    """Where to import the upload a finished preview read, if it read one."""
    token = uploads.token_of(job)
    if token is None or job.status != "done":
        return ""
    return reverse("annotate:upload_import", args=[project.slug, token])
