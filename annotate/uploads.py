"""Chunked uploads: a file larger than one request may carry, sent to the import page
in chunks that can resume after a dropped connection.

The browser starts an upload with the file's name and size (`start`) and gets its id
(`Upload.token`); it sends each chunk with its offset (`add_chunk`), and the server
answers with the offset of the next one, which is also what it tells a browser that
lost track (a dropped connection: the chunk was stored or it was not). Once every
byte has arrived the browser sends the file's CRC-32 (`assemble`): the chunks become
one file in the default storage, and a preview or import job reads it
(`enqueue`). The checksum finds a file damaged on the way, not a forged
one: whoever sends the file is the manager importing it.

Every refusal is an `UploadRefused` with a message and a status, and changes nothing.
An upload another person started is not found; one left ANNOTATE_UPLOAD_KEEP_SECONDS
without a chunk has expired, and its files are deleted.
"""

import uuid
import zlib
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from annotate import job_limits, jobs
from annotate.formats import registry
from annotate.formats.brat import size_in_words
from annotate.formats.checks import FormatError
from annotate.models import Job, JobKind, Project, Upload

FILE = "file"  # the assembled file's name in the upload's folder


class UploadRefused(Exception):
    """A step of an upload that is refused, with its message and HTTP status; `offset`,
    when given, is where the next chunk must start."""

    def __init__(self, message: str, status: int, offset: int | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.offset = message, status, offset


def start(*, project: Project, user, file_name: str, size: int) -> Upload:
    """A new upload of `size` bytes named `file_name` (its extension says its format),
    or `UploadRefused` for a name no import reads, a size out of bounds, or a project
    whose stored files would pass their limit."""
    discard_expired(project)
    try:
        registry.for_file(file_name)
    except FormatError as error:
        raise UploadRefused(str(error), 422) from None
    if len(file_name) > Upload._meta.get_field("file_name").max_length:
        raise UploadRefused("the file's name is longer than 255 characters", 422)
    limit = settings.ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES
    if not 0 < size <= limit:
        raise UploadRefused(
            f"a file sent in chunks may have from 1 byte to {size_in_words(limit)} "
            f"(ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES); this one declares {size:,} bytes",
            413 if size > limit else 422,
        )
    with transaction.atomic():
        job_limits.lock_project(project)
        use = job_limits.stored_use(project)
        uploading = project.uploads.aggregate(total=Sum("size"))["total"] or 0
        if use.used + uploading + size > use.limit:
            raise UploadRefused(
                f"the file ({size_in_words(size)}) would take this project's stored files over their limit: "
                f"{size_in_words(use.used + uploading)} of {size_in_words(use.limit)} are stored or being uploaded "
                "(ANNOTATE_MAX_PROJECT_STORED_BYTES)",
                413,
            )
        token = uuid.uuid4()
        return Upload.objects.create(
            token=token, project=project, created_by=user, file_name=file_name, size=size, folder=f"uploads/{token.hex}"
        )


def find(*, project: Project, user, token: str) -> Upload:
    """The user's upload `token` in the project; `UploadRefused` (404) for one that is
    not theirs or not there, (410) for one that has expired (its files deleted)."""
    try:
        upload = Upload.objects.get(project=project, created_by=user, token=uuid.UUID(str(token)))
    except (Upload.DoesNotExist, ValueError):
        raise UploadRefused("no such upload: start the upload again", 404) from None
    if expired(upload):
        discard(upload)
        raise UploadRefused(EXPIRED, 410)
    return upload


EXPIRED = "this upload has expired (no chunk arrived for ANNOTATE_UPLOAD_KEEP_SECONDS): start it again"


def expired(upload: Upload) -> bool:
    return upload.touched_at < timezone.now() - timedelta(seconds=settings.ANNOTATE_UPLOAD_KEEP_SECONDS)


def add_chunk(upload: Upload, *, offset: int, data: bytes) -> int:
    """Store `data` as the bytes of the upload from `offset`; the offset of the next
    chunk. Refused (and nothing stored): a chunk that does not start where the last one
    ended (409, with the offset to send from), one that is empty, larger than
    ANNOTATE_UPLOAD_CHUNK_BYTES, or that goes past the declared size, and a chunk of an
    upload already assembled."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)  # one chunk at a time
        if upload.complete:
            raise UploadRefused("this upload is complete: nothing more can be added to it", 409, upload.received)
        if offset != upload.received:
            raise UploadRefused(
                f"this chunk starts at byte {offset:,}, but the upload has {upload.received:,} bytes: "
                f"send from byte {upload.received:,}",
                409,
                upload.received,
            )
        if not data:
            raise UploadRefused("the chunk is empty", 422, upload.received)
        if len(data) > settings.ANNOTATE_UPLOAD_CHUNK_BYTES:
            chunk = size_in_words(settings.ANNOTATE_UPLOAD_CHUNK_BYTES)
            raise UploadRefused(f"a chunk may have at most {chunk} (ANNOTATE_UPLOAD_CHUNK_BYTES)", 413, upload.received)
        if offset + len(data) > upload.size:
            raise UploadRefused(
                f"this chunk ends at byte {offset + len(data):,}, past the {upload.size:,} bytes the upload declared",
                422,
                upload.received,
            )
        default_storage.save(_chunk_name(upload, offset), ContentFile(data))
        upload.received = offset + len(data)
        upload.save(update_fields=["received", "touched_at"])
    return upload.received


def _chunk_name(upload: Upload, offset: int) -> str:
    return f"{upload.folder}/{offset:015d}"


def assemble(upload: Upload, *, crc32: str) -> Upload:
    """Join the upload's chunks into one file, once every byte has arrived and their
    CRC-32 is `crc32` (8 hex digits); the upload, complete. A wrong checksum discards
    the upload (409 before the last byte arrived, 422 for a wrong checksum)."""
    if upload.complete:
        return upload
    if upload.received != upload.size:
        raise UploadRefused(
            f"the upload has {upload.received:,} of its {upload.size:,} bytes: send from byte {upload.received:,}",
            409,
            upload.received,
        )
    joined = _Joined([_chunk_name(upload, offset) for offset in _offsets(upload)])
    name = default_storage.save(f"{upload.folder}/{FILE}", File(joined, name=FILE))
    found = f"{joined.crc32:08x}"
    for chunk in joined.names:
        default_storage.delete(chunk)
    if found != crc32.strip().lower():
        discard(upload)
        raise UploadRefused(
            f"the file that arrived has the CRC-32 {found}, not {crc32.strip()[:8]!r} as sent: it was damaged on "
            "the way; upload it again",
            422,
        )
    if name != f"{upload.folder}/{FILE}":  # the storage chose another name: never, in a fresh folder
        raise RuntimeError(f"the assembled upload was stored as {name}")
    Upload.objects.filter(pk=upload.pk).update(complete=True, crc32=found, touched_at=timezone.now())
    upload.refresh_from_db()
    return upload


def _offsets(upload: Upload) -> list[int]:
    _, names = default_storage.listdir(upload.folder)
    return sorted(int(name) for name in names if name.isdigit())


class _Joined:
    """The chunks read one after the other as one file, its CRC-32 counted on the way."""

    def __init__(self, names: list[str]) -> None:
        self.names, self.crc32 = names, 0
        self._left = list(names)
        self._open = None

    def read(self, size: int = -1) -> bytes:
        while True:
            if self._open is None:
                if not self._left:
                    return b""
                self._open = default_storage.open(self._left.pop(0), "rb")
            data = self._open.read(size if size and size > 0 else 1 << 20)
            if data:
                self.crc32 = zlib.crc32(data, self.crc32)
                return data
            self._open.close()
            self._open = None


def stored_name(upload: Upload) -> str:
    """The assembled file's name in the default storage."""
    return f"{upload.folder}/{FILE}"


def discard(upload: Upload) -> None:
    """Delete the upload and its files."""
    jobs.delete_files(upload.folder)
    upload.delete()


def discard_expired(project: Project) -> int:
    """Delete the project's expired uploads and their files; how many there were."""
    cutoff = timezone.now() - timedelta(seconds=settings.ANNOTATE_UPLOAD_KEEP_SECONDS)
    old = list(project.uploads.filter(touched_at__lt=cutoff))
    for upload in old:
        discard(upload)
    return len(old)


def enqueue(*, upload: Upload, user, preview: bool, unknown: str, existing: str, owner: str) -> Job:
    """Queue a job on the assembled upload: its preview, which leaves the file for an
    import to follow (the job's `input_key` names the upload), or its import, which
    takes the file over (deleted when the job ends) and ends the upload. Raises
    `job_limits.Refused`, changing nothing, when a limit refuses the job."""
    project = upload.project
    jobs.fail_stale(project=project)
    job_limits.check(project, user=user, kind=JobKind.IMPORT)
    with transaction.atomic():
        priority = job_limits.reserve(project, user=user, kind=JobKind.IMPORT)
        job = Job.objects.create(
            project=project,
            kind=JobKind.IMPORT,
            created_by=user,
            input_key=f"upload:{upload.token}" if preview else "",
            file="" if preview else upload.folder,
            stored_bytes=0 if preview else upload.size,
            result=jobs.preview_result(unknown=unknown, existing=existing, owner=owner) if preview else None,
        )
        result = jobs.import_articles.using(priority=priority).enqueue(
            job_id=job.pk,
            files=[[stored_name(upload), upload.file_name]],
            unknown=unknown,
            existing=existing,
            owner=owner,
            dry_run=preview,
        )
        job.task_id = str(result.id)
        job.save(update_fields=["task_id"])
        if not preview:
            upload.delete()  # its files are the job's now
    return job


def token_of(job: Job) -> str | None:
    """The upload a preview job read, which an import may follow."""
    return job.input_key.removeprefix("upload:") if job.input_key.startswith("upload:") else None
