"""Chunked uploads on the import page (`annotate/uploads.py`), answered in JSON for the
page's script (static/annotate/upload.js): every answer says the offset of the next
chunk, and a refusal says why in `message`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from annotate import access, job_limits, uploads
from annotate.forms import ImportForm
from annotate.models import Upload


def _refused(refused: uploads.UploadRefused | job_limits.Refused) -> JsonResponse:
    answer = {"message": refused.message}
    if getattr(refused, "offset", None) is not None:
        answer["offset"] = refused.offset
    return JsonResponse(answer, status=refused.status)


def _state(request: HttpRequest, slug: str, upload: Upload, status: int = 200) -> JsonResponse:
    url = reverse("annotate:upload_chunk", args=[slug, upload.token])
    finish = reverse("annotate:upload_finish", args=[slug, upload.token])
    return JsonResponse(
        {"url": url, "finish": finish, "offset": upload.received, "size": upload.size, "complete": upload.complete},
        status=status,
    )


@require_POST
@login_required
def upload_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a chunked upload of the file named `name`, of `size` bytes: 201 with its
    address and the offset to send from (0)."""
    project = access.membership_or_404(request.user, slug, roles=access.MANAGERS).project
    try:
        size = int(request.POST.get("size", ""))
    except ValueError:
        return JsonResponse({"message": "the upload must declare its size, in bytes"}, status=422)
    try:
        upload = uploads.start(project=project, user=request.user, file_name=request.POST.get("name", ""), size=size)
    except uploads.UploadRefused as refused:
        return _refused(refused)
    return _state(request, slug, upload, status=201)


@require_http_methods(["GET", "POST"])
@login_required
def upload_chunk(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET: where the upload stands (the offset of the next chunk: how a browser resumes
    after a dropped connection). POST: the request's body is the chunk from byte
    `offset` (in the query); the answer has the next offset."""
    project = access.membership_or_404(request.user, slug, roles=access.MANAGERS).project
    try:
        upload = uploads.find(project=project, user=request.user, token=token)
        if request.method == "POST":
            try:
                offset = int(request.GET.get("offset", ""))
            except ValueError:
                return JsonResponse({"message": "a chunk must say its offset", "offset": upload.received}, status=422)
            upload.received = uploads.add_chunk(upload, offset=offset, data=request.body)
    except uploads.UploadRefused as refused:
        return _refused(refused)
    return _state(request, slug, upload)


def _choices(request: HttpRequest, project) -> ImportForm:
    """The import page's choices (what to do with labels the scheme lacks, existing
    layers, brat owners), without its files: the upload is the file."""
    form = ImportForm(request.POST, project=project)
    del form.fields["files"]
    return form


@require_POST
@login_required
def upload_finish(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Once every byte has arrived: check the file's CRC-32 (`crc32`), assemble it and
    queue its preview (`action=preview`) or import job with the page's choices; the
    job's page in `job`."""
    project = access.membership_or_404(request.user, slug, roles=access.MANAGERS).project
    form = _choices(request, project)
    if not form.is_valid():
        return JsonResponse({"message": " ".join(" ".join(errors) for errors in form.errors.values())}, status=422)
    try:
        upload = uploads.find(project=project, user=request.user, token=token)
        upload = uploads.assemble(upload, crc32=request.POST.get("crc32", ""))
        job = uploads.enqueue(
            upload=upload, user=request.user, preview=request.POST.get("action") != "import", **form.cleaned_data
        )
    except (uploads.UploadRefused, job_limits.Refused) as refused:
        return _refused(refused)
    return JsonResponse({"job": reverse("annotate:job_detail", args=[slug, job.pk])}, status=201)


@require_POST
@login_required
def upload_import(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Import an upload that a preview job read (the button on its page), with the
    choices that page carries; then to the import job's page."""
    project = access.membership_or_404(request.user, slug, roles=access.MANAGERS).project
    form = _choices(request, project)
    try:
        if not form.is_valid():
            raise uploads.UploadRefused(" ".join(" ".join(errors) for errors in form.errors.values()), 422)
        upload = uploads.find(project=project, user=request.user, token=token)
        if not upload.complete:
            raise uploads.UploadRefused("this upload is not complete yet", 409)
        job = uploads.enqueue(upload=upload, user=request.user, preview=False, **form.cleaned_data)
    except (uploads.UploadRefused, job_limits.Refused) as refused:
        return HttpResponse(f"Not imported: {refused.message}.", status=refused.status, content_type="text/plain")
    return redirect("annotate:job_detail", slug, job.pk)
