"""The API's long work: an import from uploaded files and an export, each started as a
job a worker runs (`annotate/jobs.py`, `annotate/export_jobs.py`), the job's progress,
and the export's file. The checks, messages and limits are the import and export pages'
own: the same forms, the same domain functions, the same access rules."""

from datetime import UTC
from functools import partial

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router

from annotate import access, datasets, export_jobs, job_limits, jobs
from annotate.api import schemas
from annotate.api.answers import read_answer
from annotate.api.errors import body_of, body_schema, error
from annotate.forms import ExportForm, ImportForm
from annotate.models import Job
from annotate.views import datasets as dataset_views

router = Router(tags=["jobs"])
ERRORS = {401: schemas.ErrorOut, 403: schemas.ErrorOut, 404: schemas.ErrorOut, 429: schemas.ErrorOut}
FLAGS = {"": False, "false": False, "0": False, "off": False, "true": True, "1": True, "on": True}


def form_message(form) -> str:
    """A refused form's errors as one message, field by field, as the pages name them."""
    return " ".join(
        f"{form.fields[name].label or name.capitalize()}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


def job_json(request: HttpRequest, job: Job, project) -> dict:
    """A job as the API answers it: its progress and outcome, with its own address and,
    for an export whose file is offered, the file's."""
    result = job.result
    if result is not None and job.kind == "export":
        result = {key: value for key, value in result.items() if key != "file"}  # the storage's name is ours
    offer = export_jobs.offer(job, project)
    download = None
    if offer is not None and not offer.expired and not offer.gone:
        download = request.build_absolute_uri(reverse("api:export_file", args=[project.slug, job.pk]))
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "phase": job.phase,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "problems": job.problems,
        "result": result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": request.build_absolute_uri(reverse("api:job_detail", args=[project.slug, job.pk])),
        "download_url": download,
        "expires_at": offer.expires_at if offer is not None else None,
    }


def _started(request: HttpRequest, job: Job, project, *, status: int = 202) -> HttpResponse:
    answer = schemas.JobOut.model_validate(job_json(request, job, project))
    response = HttpResponse(answer.model_dump_json(), status=status, content_type="application/json")
    response["Location"] = answer.url
    return response


def _refused(refused: job_limits.Refused) -> HttpResponse:
    response = error(refused.status, refused.message)
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "One or more files: .txt, .md, .html, .jsonl or a brat .zip.",
                        },
                        "unknown": {"type": "string", "enum": ["fail", "skip", "add"], "default": "fail"},
                        "existing": {"type": "string", "enum": ["fail", "skip"], "default": "fail"},
                        "owner": {"type": "string", "description": 'brat layers\' owner: "gold" or a username.'},
                        "preview": {"type": "boolean", "default": False},
                    },
                }
            }
        },
    }
}


@router.post(
    "/projects/{slug}/imports",
    response={200: schemas.PreviewOut, 202: schemas.JobOut, 422: schemas.ErrorOut, **ERRORS},
    url_name="import_create",
    openapi_extra=IMPORT_BODY,
)
def import_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Import uploaded files (managers; multipart, `files` and the import page's choices
    `unknown`, `existing`, `owner`): checked as the import page checks them, and refused
    with its messages (422, nothing stored); then queued as a job a worker runs (202, the
    job). Files larger than ANNOTATE_IMPORT_INLINE_BYTES are checked by the worker, as
    the page's are (the job fails with the problems). With `preview=true` nothing is
    written: the preview's verdict (200), or for large files a preview job."""
    membership = access.membership_or_404(request.auth, slug, roles=access.MANAGERS)
    project = membership.project
    preview = FLAGS.get(request.POST.get("preview", request.GET.get("preview", "")).lower())
    if preview is None:
        return error(422, "preview must be true or false.")
    data = request.POST.copy()
    for name in ("unknown", "existing"):
        data.setdefault(name, "fail")
    form = ImportForm(data, request.FILES, project=project)
    if not form.is_valid():
        return error(422, form_message(form))
    uploads = form.cleaned_data["files"]
    choices = {name: form.cleaned_data[name] for name in ("unknown", "existing", "owner")}
    size = sum(upload.size for upload in uploads)
    if size > settings.ANNOTATE_MAX_UPLOAD_BYTES:
        problem = datasets.upload_too_large()
        return error(422, problem, problems=[problem])
    if size <= settings.ANNOTATE_IMPORT_INLINE_BYTES:
        sources = [
            datasets.upload_source(
                partial(dataset_views.from_start, upload),
                file_name=upload.name,
                size=upload.size,
                owner=choices["owner"],
            )
            for upload in uploads
        ]
        report = datasets.import_files(
            project=project,
            sources=sources,
            user=request.auth,
            dry_run=True,
            unknown=choices["unknown"],
            existing=choices["existing"],
        )
        if report.problems:
            return error(422, "\n".join(report.problems), problems=report.problems)
        if preview:
            answer = {**jobs.report_result(report), **jobs.preview_result(**choices)}
            return HttpResponse(
                schemas.PreviewOut.model_validate(answer).model_dump_json(), content_type="application/json"
            )
        for upload in uploads:
            upload.seek(0)
    try:
        job = jobs.enqueue_import(project=project, user=request.auth, uploads=uploads, dry_run=preview, **choices)
    except job_limits.Refused as refused:
        return _refused(refused)
    return _started(request, job, project)


@router.post(
    "/projects/{slug}/exports",
    response={202: schemas.JobOut, 200: schemas.JobOut, 422: schemas.ErrorOut, **ERRORS},
    url_name="export_create",
    openapi_extra=body_schema(schemas.ExportIn, {"format": "jsonl", "layers": "all", "finished_only": True}),
)
def export_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Start an export (curators and managers) with the export page's choices: a
    `format`, which `layers` ("all", "annotators", "gold" or an annotator's username),
    `finished_only`, and CoNLL's `stance` and `relations`. A worker writes the file
    (202, the job); an identical export still queued, running or offered is answered
    instead (200, that job). Poll the job's `url` until its `download_url` is there."""
    membership = access.curator_membership(request.auth, slug)
    project = membership.project
    choice = body_of(request, schemas.ExportIn)
    data = {"format": choice.format, "layers": choice.layers}
    data |= {name: "on" for name in ("finished_only", "stance", "relations") if getattr(choice, name)}
    form = ExportForm(data, project=project)
    if not form.is_valid():
        return error(422, form_message(form))
    layers = datasets.LayerChoice(form.cleaned_data["layers"], finished_only=form.cleaned_data["finished_only"])
    try:
        job, new = export_jobs.enqueue_export(
            project=project,
            user=request.auth,
            format_name=form.cleaned_data["format"],
            choice=layers,
            options=form.options(),
            described=form.described(),
        )
    except job_limits.Refused as refused:
        return _refused(refused)
    return _started(request, job, project, status=202 if new else 200)


@router.get("/projects/{slug}/jobs/{job_id}", response={200: schemas.JobOut, **ERRORS}, url_name="job_detail")
def job_detail(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """A job's progress and outcome, as its page shows them (imports for managers;
    exports and agreement figures for curators too): `status` (queued, running, done,
    failed, cancelled), `phase` with `done` of `total`, `message`, `problems` and
    `result`; for a done export still offered, `download_url` and `expires_at`. A
    running job whose worker stopped reporting is marked failed here, as on the page."""
    membership = access.curator_membership(request.auth, slug)
    jobs.fail_stale(project=membership.project, pk=job_id)
    job = access.job_or_404(membership, job_id)
    return read_answer(request, schemas.JobOut.model_validate(job_json(request, job, membership.project)))


@router.get(
    "/projects/{slug}/exports/{job_id}/file",
    response={200: None, 410: schemas.ErrorOut, **ERRORS},
    url_name="export_file",
)
def export_file(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """The file a worker wrote for an export (curators and managers), the bytes its page's
    download gives, for ANNOTATE_EXPORT_KEEP_SECONDS after it was written; then, or if
    the file is gone from the storage, 410."""
    membership = access.curator_membership(request.auth, slug)
    job, offer = dataset_views.downloadable_export(membership, job_id)
    if offer.expired:  # the messages of the page's download (export_expired.html)
        until = offer.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return error(
            410, f"The file of export {job.pk} was kept until {until} and is gone: export again for a new one."
        )
    if offer.gone:
        return error(410, "The file of this export is gone; export again.")
    return dataset_views.export_file(job, offer)
