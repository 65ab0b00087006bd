"""Chunked uploads: a file larger than one request may carry is sent to the import page
in chunks, resumes after a dropped connection, and is previewed and imported by a
worker.

The tests drive the views as the page's script does (static/annotate/upload.js): the
CSRF token and the upload's address come from the import page, and each chunk's
offset from the previous answer, never from the database.
"""

import itertools
import re
import shutil
import zlib
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, Phase
from hypothesis import settings as examples
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from annotate.models import Article, Job, Upload
from tests import test_hostile_imports as hostile
from tests.factories import make_project, make_user
from tests.test_import_streaming import article_line
from tests.test_import_tasks import CSRF, poll, run_worker, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 1000  # bytes, in these tests
START = re.compile(r'data-upload-start="([^"]+)"')
IMPORT_FORM = re.compile(r'<form method="post" action="([^"]+/import/)">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture
def media(settings, tmp_path):
    settings.ANNOTATE_UPLOAD_CHUNK_BYTES = CHUNK
    settings.ANNOTATE_MAX_PROJECT_JOBS = settings.ANNOTATE_MAX_USER_JOBS_PER_MINUTE = 1000
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


class Page:
    """The import page's script, in a manager's browser: the token and the address it
    starts uploads at come from the page."""

    def __init__(self, user, project):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        self.project = project
        html = self.client.get(reverse("annotate:dataset_import", args=[project.slug])).content.decode()
        self.token = CSRF.search(html).group(1)
        self.start_url = unescape(START.search(html).group(1))

    def post(self, url, data=None, **options):
        response = self.client.post(url, {} if data is None else data, headers={"X-CSRFToken": self.token}, **options)
        return response.status_code, response.json()

    def start(self, name: str, size: int | str):
        return self.post(self.start_url, {"name": name, "size": size})

    def chunk(self, url: str, offset: int, data: bytes):
        return self.post(f"{url}?offset={offset}", data, content_type="application/octet-stream")

    def where(self, url: str):
        response = self.client.get(url)
        return response.status_code, response.json()

    def finish(self, url: str, crc32: str, action: str = "import", **choices):
        data = {"crc32": crc32, "action": action, "unknown": "fail", "existing": "fail", "owner": "", **choices}
        return self.post(url, data)

    def send(self, name: str, content: bytes, action: str = "import", **choices) -> str:
        """The whole upload as the script sends it: the job page's address it ends with."""
        status, upload = self.start(name, len(content))
        assert status == 201
        offset = upload["offset"]
        while offset < len(content):
            status, answer = self.chunk(upload["url"], offset, content[offset : offset + CHUNK])
            assert status == 200, answer
            offset = answer["offset"]
        status, answer = self.finish(upload["finish"], crc_of(content), action, **choices)
        assert status == 201, answer
        return answer["job"]


def jsonl_of(articles: int, *, owner: str) -> bytes:
    return b"".join(article_line(number, owner=owner) for number in range(articles))


def crc_of(content: bytes) -> str:
    return f"{zlib.crc32(content):08x}"


@pytest.fixture
def page(manager, project, media):
    return Page(manager, project)


@pytest.fixture
def opeds(annotator) -> bytes:
    return jsonl_of(12, owner=annotator.username)


def test_a_file_sent_in_chunks_is_imported_by_a_worker(page, project, media, opeds):
    job_url = page.send("opeds.jsonl", opeds)
    run_worker()

    status, text, next_poll, _ = poll(page.client, job_url)
    assert (status, next_poll) == (200, None)
    assert text.startswith("Imported Imported: 12 new articles, 0 already there, 12 layers, 36 units, 12 relations.")
    assert sorted(project.articles.values_list("title", flat=True)) == sorted(f"Op-ed {n}" for n in range(12))
    assert (Upload.objects.count(), stored_files(media)) == (0, [])


def test_a_dropped_connection_resumes_from_the_offset_the_server_gives(page, project, media, opeds):
    status, upload = page.start("opeds.jsonl", len(opeds))
    url = upload["url"]
    assert page.chunk(url, 0, opeds[:CHUNK]) == (200, {**upload, "offset": CHUNK})

    # A chunk that arrived, but whose answer was lost: the script asks where the upload stands.
    page.chunk(url, CHUNK, opeds[CHUNK : 2 * CHUNK])
    status, where = page.where(url)
    assert (status, where["offset"]) == (200, 2 * CHUNK)
    # A chunk lost on the way: the server still has what it had, and says so.
    status, where = page.where(url)
    assert where["offset"] == 2 * CHUNK
    # The script sends the chunk it had sent already, not knowing it arrived: told where to go on.
    assert page.chunk(url, CHUNK, opeds[CHUNK : 2 * CHUNK]) == (
        409,
        {
            "message": "this chunk starts at byte 1,000, but the upload has 2,000 bytes: send from byte 2,000",
            "offset": 2000,
        },
    )
    offset = 2 * CHUNK
    while offset < len(opeds):
        status, answer = page.chunk(url, offset, opeds[offset : offset + CHUNK])
        offset = answer["offset"]
    status, answer = page.finish(upload["finish"], crc_of(opeds))
    run_worker()

    assert status == 201
    assert Job.objects.get().status == "done"
    assert project.articles.count() == 12


def test_a_preview_of_an_upload_is_a_job_whose_page_offers_the_import(page, project, media, opeds):
    job_url = page.send("opeds.jsonl", opeds, action="preview", unknown="skip")
    run_worker()

    status, text, next_poll, _ = poll(page.client, job_url)
    assert (status, next_poll, project.articles.count()) == (200, None, 0)
    assert text == (
        "Ready to import Would import: 12 new articles, 0 already there, 12 layers, 36 units, 12 relations. "
        "Import Back to the import page"
    )
    html = page.client.get(job_url).content.decode()
    action, fields = IMPORT_FORM.search(html).groups()
    response = page.client.post(
        unescape(action), {"csrfmiddlewaretoken": CSRF.search(fields).group(1), **dict(HIDDEN.findall(fields))}
    )
    assert response.status_code == 302
    run_worker()

    _, text, _, _ = poll(page.client, response.url)
    assert text.startswith("Imported Imported: 12 new articles")
    assert (project.articles.count(), Upload.objects.count(), stored_files(media)) == (12, 0, [])


# Hostile uploads: a 4xx with a message, nothing written ---------------------------


def sent_in_part(page, content: bytes, chunks: int = 1) -> dict:
    status, upload = page.start("opeds.jsonl", len(content))
    for number in range(chunks):
        page.chunk(upload["url"], number * CHUNK, content[number * CHUNK : (number + 1) * CHUNK])
    return upload


def test_a_chunk_out_of_order_is_refused_with_the_offset_to_send_from(page, opeds):
    upload = sent_in_part(page, opeds)
    before = hostile.counts()

    answer = page.chunk(upload["url"], 3 * CHUNK, opeds[3 * CHUNK : 4 * CHUNK])

    message = "this chunk starts at byte 3,000, but the upload has 1,000 bytes: send from byte 1,000"
    assert answer == (409, {"message": message, "offset": 1000})
    assert (page.where(upload["url"])[1]["offset"], hostile.counts()) == (CHUNK, before)


def test_a_chunk_past_the_declared_size_is_refused(page, opeds):
    status, upload = page.start("opeds.jsonl", 1500)
    page.chunk(upload["url"], 0, opeds[:CHUNK])

    answer = page.chunk(upload["url"], CHUNK, opeds[CHUNK : 2 * CHUNK])

    message = "this chunk ends at byte 2,000, past the 1,500 bytes the upload declared"
    assert answer == (422, {"message": message, "offset": 1000})
    assert page.where(upload["url"])[1]["offset"] == CHUNK


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 422, "the chunk is empty"),
        (b"x" * (CHUNK + 1), 413, "a chunk may have at most 1,000 bytes (ANNOTATE_UPLOAD_CHUNK_BYTES)"),
    ],
)
def test_an_empty_or_oversized_chunk_is_refused(page, opeds, data, status, message):
    status_code, upload = page.start("opeds.jsonl", len(opeds))

    assert page.chunk(upload["url"], 0, data) == (status, {"message": message, "offset": 0})
    assert page.where(upload["url"])[1]["offset"] == 0


def test_a_wrong_checksum_discards_the_upload_and_writes_nothing(page, media, opeds):
    status, upload = page.start("opeds.jsonl", len(opeds))
    offset = 0
    while offset < len(opeds):
        offset = page.chunk(upload["url"], offset, opeds[offset : offset + CHUNK])[1]["offset"]
    before = hostile.counts()

    answer = page.finish(upload["finish"], "0badc0de")

    message = (
        f"the file that arrived has the CRC-32 {crc_of(opeds)}, not '0badc0de' as sent: it was damaged on the way; "
        "upload it again"
    )
    assert answer == (422, {"message": message})
    assert (hostile.counts(), Job.objects.count(), Upload.objects.count(), stored_files(media)) == (before, 0, 0, [])
    assert page.where(upload["url"]) == (404, {"message": "no such upload: start the upload again"})


def test_an_upload_is_finished_only_once_every_byte_has_arrived(page, opeds):
    upload = sent_in_part(page, opeds, chunks=2)

    answer = page.finish(upload["finish"], crc_of(opeds))

    message = f"the upload has 2,000 of its {len(opeds):,} bytes: send from byte 2,000"
    assert answer == (409, {"message": message, "offset": 2000})
    assert Job.objects.count() == 0


def test_another_managers_upload_is_not_found(page, project, opeds):
    upload = sent_in_part(page, opeds)
    other = make_user("max_manager")
    project.memberships.create(user=other, role="manager")
    theirs = Page(other, project)

    not_found = (404, {"message": "no such upload: start the upload again"})
    assert theirs.where(upload["url"]) == not_found
    assert theirs.chunk(upload["url"], CHUNK, opeds[CHUNK : 2 * CHUNK]) == not_found
    assert theirs.finish(upload["finish"], crc_of(opeds)) == not_found
    assert page.where(upload["url"])[1]["offset"] == CHUNK


def test_an_expired_upload_is_refused_and_its_chunks_deleted(page, media, opeds, settings):
    upload = sent_in_part(page, opeds)
    Upload.objects.update(touched_at=timezone.now() - timedelta(seconds=settings.ANNOTATE_UPLOAD_KEEP_SECONDS + 1))

    answer = page.chunk(upload["url"], CHUNK, opeds[CHUNK : 2 * CHUNK])

    message = "this upload has expired (no chunk arrived for ANNOTATE_UPLOAD_KEEP_SECONDS): start it again"
    assert answer == (410, {"message": message})
    assert (Upload.objects.count(), stored_files(media)) == (0, [])


def test_a_new_upload_deletes_the_projects_expired_ones(page, media, opeds, settings):
    sent_in_part(page, opeds)
    Upload.objects.update(touched_at=timezone.now() - timedelta(seconds=settings.ANNOTATE_UPLOAD_KEEP_SECONDS + 1))

    status, upload = page.start("more.jsonl", 10)

    assert (status, list(Upload.objects.values_list("file_name", flat=True)), stored_files(media)) == (
        201,
        ["more.jsonl"],
        [],
    )


SIZES = "a file sent in chunks may have from 1 byte to 1024 MB (ANNOTATE_MAX_CHUNKED_UPLOAD_BYTES)"


@pytest.mark.parametrize(
    ("name", "size", "status", "message"),
    [
        ("opeds.exe", 10, 422, "opeds.exe: no import format reads .exe (known: .jsonl, .zip, .html, .htm, .txt, .md)"),
        ("opeds.jsonl", 0, 422, f"{SIZES}; this one declares 0 bytes"),
        ("opeds.jsonl", 1024**3 + 1, 413, f"{SIZES}; this one declares 1,073,741,825 bytes"),
        ("opeds.jsonl", "many", 422, "the upload must declare its size, in bytes"),
        ("x" * 250 + ".jsonl", 10, 422, "the file's name is longer than 255 characters"),
    ],
)  # fmt: skip
def test_an_upload_that_cannot_be_imported_is_refused_at_its_start(page, name, size, status, message):
    assert page.start(name, size) == (status, {"message": message})
    assert Upload.objects.count() == 0


def test_an_upload_over_the_projects_stored_bytes_is_refused(page, settings):
    settings.ANNOTATE_MAX_PROJECT_STORED_BYTES = 5000
    page.start("first.jsonl", 3000)

    status, answer = page.start("second.jsonl", 3000)

    assert (status, answer["message"]) == (
        413,
        "the file (3,000 bytes) would take this project's stored files over their limit: 3,000 bytes of 5,000 "
        "bytes are stored or being uploaded (ANNOTATE_MAX_PROJECT_STORED_BYTES)",
    )


@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("annotator", 403), ("curator", 403)])
def test_only_the_projects_managers_upload(client, project, media, request, persona, status):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("annotate:upload_start", args=[project.slug]), {"name": "a.jsonl", "size": 10})

    assert (response.status_code, Upload.objects.count()) == (status, 0)


def test_an_upload_starts_with_post_only(client, manager, project, media):
    client.force_login(manager)

    assert client.get(reverse("annotate:upload_start", args=[project.slug])).status_code == 405


# The hostile corpus, previewed by a worker after a chunked upload -------------------

QUEUED_CASES = [case for case in hostile.CASES if case[1]]


@pytest.mark.parametrize(("name", "content", "options", "message"), QUEUED_CASES, ids=[c[0] for c in QUEUED_CASES])
def test_a_hostile_file_sent_in_chunks_gets_the_pages_verdict_from_its_preview_job(
    page, article, annotator, name, content, options, message
):
    """A file no format reads is refused at the upload's start, in the words of the
    page's preview; any other gets them from its preview job."""
    before = hostile.counts()

    status, upload = page.start(name, len(content))
    if status == 201:
        offset = 0
        while offset < len(content):
            status, answer = page.chunk(upload["url"], offset, content[offset : offset + CHUNK])
            assert status == 200, answer
            offset = answer["offset"]
        page.finish(upload["finish"], crc_of(content), action="preview", existing="fail", owner="", **options)
        run_worker()
        job = Job.objects.get()
        verdict = (job.status, job.problems)
    else:
        verdict = ("refused at the start", [upload["message"]])

    name_refused = "no import format reads" in hostile.problems(message)[0]
    assert verdict == ("refused at the start" if name_refused else "done", hostile.problems(message))
    assert hostile.counts() == before


# Random sequences of a resumable upload's actions ----------------------------------

_examples = itertools.count()


class ResumableUpload(RuleBasedStateMachine):
    """Chunks sent in order, out of order, past the end, lost on the way or with their
    answer lost, offsets asked, and the finish with a right or wrong checksum, against
    a plain model: the bytes the server holds."""

    media = None  # set by the test

    def __init__(self):
        super().__init__()
        self.state = ""
        number = next(_examples)
        self.manager = make_user(f"upload-manager-{number}")
        self.project = make_project(manager=self.manager, slug=f"upload-{number}")
        self.page = Page(self.manager, self.project)
        self.content = jsonl_of(6, owner="gold")
        self.start_again()

    @precondition(lambda self: self.state != "receiving")
    @rule()
    def start_again(self):
        status, upload = self.page.start("opeds.jsonl", len(self.content))
        assert status == 201
        self.url, self.finish_url = upload["url"], upload["finish"]
        self.token = self.url.rstrip("/").rsplit("/", 1)[1]
        self.held = 0  # bytes the server holds, in the model
        self.state = "receiving"  # then "queued" or "discarded"

    def teardown(self):
        Job.objects.filter(project=self.project).delete()
        self.project.delete()
        self.manager.delete()
        DBTaskResult.objects.all().delete()
        shutil.rmtree(self.media, ignore_errors=True)

    receiving = precondition(lambda self: self.state == "receiving")

    @receiving
    @rule(length=st.integers(1, CHUNK), answer_lost=st.booleans())
    def send_next(self, length, answer_lost):
        data = self.content[self.held : self.held + length]
        status, answer = self.page.chunk(self.url, self.held, data)
        if not data:
            assert (status, answer["message"]) == (422, "the chunk is empty")
            return
        assert (status, answer["offset"]) == (200, self.held + len(data))
        self.held += len(data)  # whether or not the answer reached the page

    @receiving
    @rule(offset=st.integers(0, 20_000))
    def send_elsewhere(self, offset):
        if offset == self.held:
            return
        status, answer = self.page.chunk(self.url, offset, b"x")
        assert (status, answer["offset"]) == (409, self.held)

    @receiving
    @rule(extra=st.integers(1, 10))
    def send_past_the_end(self, extra):
        left = len(self.content) - self.held
        if left + extra > CHUNK:
            return
        status, answer = self.page.chunk(self.url, self.held, self.content[self.held :] + b"x" * extra)
        assert (status, answer["offset"]) == (422, self.held)

    @receiving
    @rule()
    def ask_where(self):
        status, answer = self.page.where(self.url)
        assert (status, answer["offset"], answer["complete"]) == (200, self.held, False)

    @receiving
    @rule(right=st.booleans())
    def finish(self, right):
        crc = crc_of(self.content) if right else "00000000"
        status, answer = self.page.finish(self.finish_url, crc, action="preview")
        if self.held < len(self.content):
            assert (status, answer["offset"]) == (409, self.held)
        elif right:
            assert status == 201
            self.state = "queued"
        else:
            assert status == 422
            self.state = "discarded"

    @invariant()
    def the_server_holds_what_the_model_holds(self):
        upload = Upload.objects.filter(token=self.token).first()
        if self.state == "discarded":
            assert (upload, (self.media / "uploads" / self.token.replace("-", "")).exists()) == (None, False)
            return
        assert (upload.received, upload.complete) == (self.held, self.state == "queued")
        files = sorted((self.media / upload.folder).iterdir()) if self.held else []
        if self.state == "queued":
            assert [path.name for path in files] == ["file"]
        joined = b"".join(path.read_bytes() for path in files)
        assert joined == self.content[: self.held]
        assert Article.objects.filter(project=self.project).count() == 0


def test_random_sequences_of_chunks_drops_and_finishes_match_a_plain_model(media):
    ResumableUpload.media = media
    run_state_machine_as_test(
        ResumableUpload,
        settings=examples(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
