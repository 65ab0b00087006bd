"""Export and import pages: the same functions the management commands call."""

from contextlib import nullcontext
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from annotate import access, datasets, export_jobs, job_limits, jobs
from annotate.formats import brat, registry
from annotate.forms import ExportForm, ImportForm, PredictionsForm
from annotate.models import Job, JobKind, JobStatus, Project
from annotate.suggestions import predictions
from annotate.views import render_partial


@require_http_methods(["GET", "POST"])
@login_required
def dataset_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The export form; with `check`, the form again with what the chosen format will
    leave out; with `download`, the export itself, streamed as it is written
    when it holds at most ANNOTATE_EXPORT_INLINE_UNITS units. A larger one is posted
    (the form says so) and written by a worker, followed on the job's page. Units are
    counted only as far as that decision needs (`export_jobs.units_to_decide`)."""
    membership = access.curator_membership(request.user, slug)
    project = membership.project
    asked = "download" in request.GET or "check" in request.GET
    data = request.POST if request.method == "POST" else request.GET if asked else None
    form = ExportForm(data, project=project)
    if form.is_valid():
        choice = datasets.LayerChoice(form.cleaned_data["layers"], finished_only=form.cleaned_data["finished_only"])
        units = export_jobs.units_to_decide(project, choice)
        if "check" in request.GET:
            return _export_page(request, membership, form, units, losses=_losses(project, form, choice, units))
        if units <= export_jobs.inline_units():
            return _stream(project, form, choice)
        if request.method == "POST":
            return _queue_export(request, membership, form, choice, units)
    else:  # the form says whether the project's whole export would stream
        units = export_jobs.project_units_to_decide(project)
    return _export_page(request, membership, form, units)


def _losses(project: Project, form: ExportForm, choice: datasets.LayerChoice, units: int) -> dict:
    """What the chosen export leaves out, for the page: found by writing it when it
    streams; a queued export's file lists it in its header."""
    format = registry.get(form.cleaned_data["format"])
    if format.lossy and units > export_jobs.inline_units():
        return {"format": format, "report": None}
    report = datasets.export_losses(project, format_name=format.name, choice=choice, **form.options())
    return {"format": format, "report": report}


def _export_page(
    request: HttpRequest,
    membership,
    form: ExportForm,
    units: int,
    refused: job_limits.Refused | None = None,
    losses: dict | None = None,
) -> HttpResponse:
    context = {
        "membership": membership,
        "project": membership.project,
        "form": form,
        "formats": registry.FORMATS.values(),
        "queued": units > export_jobs.inline_units(),
        "inline_units": f"{export_jobs.inline_units():,}",
        "stored": job_limits.stored_use(membership.project),
        "refused": refused,
        "losses": losses,
    }
    if refused:
        return _refusal(render(request, "annotate/dataset_export.html", context, status=refused.status), refused)
    return render(request, "annotate/dataset_export.html", context, status=422 if form.errors else 200)


def _refusal(response: HttpResponse, refused: job_limits.Refused) -> HttpResponse:
    """A page that says a limit refused a job, with the time to wait for a rate."""
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response


def _stream(project: Project, form: ExportForm, choice: datasets.LayerChoice) -> StreamingHttpResponse:
    format_name = form.cleaned_data["format"]
    chunks = datasets.export_chunks(project, format_name=format_name, choice=choice, **form.options())
    response = StreamingHttpResponse(chunks, content_type=registry.get(format_name).content_type)
    response["Content-Disposition"] = f'attachment; filename="{datasets.export_file_name(project, format_name)}"'
    return response


def _queue_export(
    request: HttpRequest, membership, form: ExportForm, choice: datasets.LayerChoice, units: int
) -> HttpResponse:
    """Queue the export for a worker and send the browser to the job's page, or to the
    page of an identical export; or say which limit refuses it."""
    project = membership.project
    try:
        job, new = export_jobs.enqueue_export(
            project=project,
            user=request.user,
            format_name=form.cleaned_data["format"],
            choice=choice,
            options=form.options(),
            described=form.described(),
        )
    except job_limits.Refused as refused:
        return _export_page(request, membership, form, units, refused)
    if not new:
        messages.info(
            request,
            f"Export {job.pk} made the same choices, and the project has not changed since: it is offered here "
            "instead of being written again.",
        )
    return redirect("annotate:job_detail", project.slug, job.pk)


@require_GET
@login_required
def export_download(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The file a worker wrote for an export, to the project's curators and managers,
    for ANNOTATE_EXPORT_KEEP_SECONDS after it was written; then, or if the file is gone
    from the storage before, 410, saying so."""
    membership = access.curator_membership(request.user, slug)
    job, offer = downloadable_export(membership, pk)
    if offer.expired or offer.gone:
        context = {"membership": membership, "project": membership.project, "job": job, "export": offer}
        return render(request, "annotate/export_expired.html", context, status=410)
    return export_file(job, offer)


def downloadable_export(membership, pk: int) -> tuple[Job, export_jobs.Offer]:
    """A curator's or manager's done export `pk` and what it offers (the page's download
    and the API's): 404 for any other job, 403 as for its page."""
    job = access.job_or_404(membership, pk, Job.objects.filter(kind=JobKind.EXPORT, status=JobStatus.DONE))
    return job, export_jobs.offer(job, membership.project)


def export_file(job: Job, offer: export_jobs.Offer) -> FileResponse:
    """The file of an export still offered, as an attachment."""
    file = default_storage.open(job.result["file"])
    content_type = registry.get(job.result["format"]).content_type
    return FileResponse(file, as_attachment=True, filename=offer.file_name, content_type=content_type)


@require_http_methods(["GET", "POST"])
@login_required
def dataset_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload files; "Preview" shows what would be created and what is wrong, "Import"
    writes it (all or nothing): in the request when the files are small
    (ANNOTATE_IMPORT_INLINE_BYTES), otherwise through a worker, followed on the job's
    page (a preview too). Files above the request's limit come in chunks
    (`views.uploads`)."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    project = membership.project
    form = ImportForm(request.POST or None, request.FILES or None, project=project)
    context = {"membership": membership, "project": project, "form": form, **_upload_limits()}
    if request.method == "POST" and form.is_valid():
        problems = []
        uploads = form.cleaned_data["files"]
        size = sum(upload.size for upload in uploads)
        action = "import" if request.POST.get("action") == "import" else "preview"
        if settings.ANNOTATE_IMPORT_INLINE_BYTES < size <= settings.ANNOTATE_MAX_UPLOAD_BYTES:
            return _queue_import(request, context, dry_run=action == "preview")
        if size > settings.ANNOTATE_MAX_UPLOAD_BYTES:
            problems.append(datasets.upload_too_large())
            uploads = []
        owner = form.cleaned_data["owner"]
        sources = [
            datasets.upload_source(partial(from_start, upload), file_name=upload.name, size=upload.size, owner=owner)
            for upload in uploads
        ]
        report = datasets.import_files(
            project=project,
            sources=sources,
            user=request.user,
            dry_run=action == "preview" or bool(problems),
            unknown=form.cleaned_data["unknown"],
            existing=form.cleaned_data["existing"],
            keep_plans=True,
        )
        report.problems[:0] = problems
        if report.written:
            messages.success(request, f"Imported: {report.summary}.")
            url = reverse("annotate:article_list", args=[project.slug])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        context["report"] = report
        status = 422 if report.problems else 200
        return render_partial(request, "annotate/dataset_import.html", "import-preview", context, status=status)
    status = 422 if form.errors else 200
    return render_partial(request, "annotate/dataset_import.html", "import-preview", context, status=status)


def _upload_limits() -> dict:
    """What the page says of the sizes it sends in one request or in chunks."""
    return {
        "max_upload_bytes": settings.ANNOTATE_MAX_UPLOAD_BYTES,
        "max_upload_words": brat.size_in_words(settings.ANNOTATE_MAX_UPLOAD_BYTES),
        "max_chunked_words": brat.size_in_words(settings.ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES),
        "chunk_bytes": settings.ANNOTATE_UPLOAD_CHUNK_BYTES,
    }


def from_start(upload) -> nullcontext:
    """An uploaded file, from its first byte, for one more reading (left open: closing
    it would delete a temporary upload before the import reads it again)."""
    upload.seek(0)
    return nullcontext(upload)


def _queue_import(request: HttpRequest, context: dict, *, dry_run: bool = False) -> HttpResponse:
    """Store the files, queue their import (or with `dry_run` their preview) and send
    the browser to the job's page; or say which limit refuses it, having stored nothing."""
    project, data = context["project"], context["form"].cleaned_data
    try:
        job = jobs.enqueue_import(
            project=project,
            user=request.user,
            uploads=data["files"],
            unknown=data["unknown"],
            existing=data["existing"],
            owner=data["owner"],
            dry_run=dry_run,
        )
    except job_limits.Refused as refused:
        context["refused"] = refused
        page = render_partial(request, "annotate/dataset_import.html", "import-preview", context, status=refused.status)
        return _refusal(page, refused)
    url = reverse("annotate:job_detail", args=[project.slug, job.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_http_methods(["GET", "POST"])
@login_required
def predictions_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a file of machine predictions; "Preview" shows the suggestions each layer
    would get and what is wrong, "Import" writes them (all or nothing) and comes back
    here saying what it wrote. For curators and managers."""
    membership = access.curator_membership(request.user, slug)
    project = membership.project
    form = PredictionsForm(request.POST or None, request.FILES or None)
    context = {"membership": membership, "project": project, "form": form, **_upload_limits()}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = predictions.import_predictions(
            project=project,
            open_file=partial(from_start, upload),
            file_name=upload.name,
            size=upload.size,
            dry_run=request.POST.get("action") != "import",
        )
        if report.written:
            messages.success(request, f"Imported as suggestions: {report.summary}.")
            url = reverse("annotate:predictions_import", args=[project.slug])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        context["report"] = report
        status = 422 if report.problems else 200
    else:
        status = 422 if form.errors else 200
    return render_partial(request, "annotate/predictions_import.html", "predictions-preview", context, status=status)
