"""Long imports through the queue: the import page stores the files and queues a job, a
worker (`manage.py run_worker`) writes them all or nothing, and the job's page follows it.

The tests carry state as a browser does: the CSRF token, the job's address and the
polling address come from the previous answer. The worker is the real command, run in
batch mode (it runs what is queued, then returns).
"""

import itertools
import re
import shutil
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, Phase
from hypothesis import settings as examples
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from annotate import datasets, jobs
from annotate.models import Article, Change, Job, Span
from annotate.views import jobs as job_views
from tests import test_hostile_imports as hostile
from tests.factories import make_project, make_user

# The worker commits as it goes (and closes a connection left inside a transaction), as
# it does in production: these tests run on a database they commit to.
pytestmark = pytest.mark.django_db(transaction=True)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POLL = re.compile(r'<section id="job-progress"[^>]*\shx-get="([^"]+)"')
CANCEL = re.compile(r'hx-post="([^"]+/cancel/)"')
SECTION = re.compile(r'<section id="job-progress".*?</section>', re.S)

GOOD = [
    (b"Ban cars now\nby Ann Author\n\nCities should ban cars.", "one.txt"),
    (b"# Keep cars\n\nCars are fine.", "two.md"),
]
BAD = [(b"Fine\n\nA fine op-ed.", "good.txt"), (b'{"title": "x", "text": "y"\n', "bad.jsonl")]


@pytest.fixture
def queued(settings, tmp_path):
    """Every import goes through the queue; the stored files in a directory of the test's.
    The limits on jobs, which these tests queue many of, have tests of their own
    (tests/test_job_limits.py)."""
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 0
    settings.ANNOTATE_MAX_PROJECT_JOBS = settings.ANNOTATE_MAX_USER_JOBS_PER_MINUTE = 1000
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def manager_client(manager, queued):
    """The manager's browser: CSRF checks on, as in a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    return client


def files(pairs):
    return [SimpleUploadedFile(name, content) for content, name in pairs]


def start_import(client, project, pairs, **choices) -> str:
    """Upload from the import page as htmx does; the job page's address it answers with."""
    url = reverse("annotate:dataset_import", args=[project.slug])
    token = CSRF.search(client.get(url).content.decode()).group(1)
    data = {"csrfmiddlewaretoken": token, "files": files(pairs), "action": "import", "unknown": "fail", **choices}
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.headers["HX-Redirect"]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def poll(client, url):
    """Ask for the progress as the page's poll does: (status, the region's text, the
    address of the next poll or None once the page stops polling, the cancel address)."""
    response = client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    section = SECTION.search(html).group(0)
    next_poll, cancel = POLL.search(section), CANCEL.search(section)
    return (
        response.status_code,
        text_of(section),
        unescape(next_poll.group(1)) if next_poll else None,
        unescape(cancel.group(1)) if cancel else None,
    )


def cancel(client, job_url, cancel_url):
    token = CSRF.search(client.get(job_url).content.decode()).group(1)
    return client.post(cancel_url, headers={"HX-Request": "true", "X-CSRFToken": token})


def run_worker():
    call_command("run_worker", batch=True, startup_delay=False, interval=0, verbosity=0)


def stored_files(media) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


WAITING = "Waiting for a worker The import starts as soon as a worker ( manage.py run_worker ) is free. Cancel import"


def test_a_large_import_is_queued_and_a_worker_writes_it(manager_client, project, queued):
    job_url = start_import(manager_client, project, GOOD)

    status, text, next_poll, _ = poll(manager_client, job_url)
    assert (status, text, Article.objects.count()) == (200, WAITING, 0)
    assert len(stored_files(queued)) == 2
    assert next_poll.startswith(job_url + "?")

    run_worker()

    status, text, next_poll, cancel_url = poll(manager_client, next_poll)
    assert (status, text, next_poll, cancel_url) == (
        200,
        "Imported Imported: 2 new articles, 0 already there, 0 layers, 0 units, 0 relations. Open the articles",
        None,
        None,
    )
    assert sorted(Article.objects.values_list("title", "author")) == [("Ban cars now", "Ann Author"), ("Keep cars", "")]
    assert stored_files(queued) == []
    job = Job.objects.get()
    assert (job.kind, job.status, job.created_by.username, job.result["counts"]["articles"]) == (
        "import",
        "done",
        "mia_manager",
        2,
    )
    # The change record names the manager who uploaded the files.
    assert list(Change.objects.filter(action="article.import").values_list("user__username", flat=True)) == [
        "mia_manager",
        "mia_manager",
    ]


def test_a_bad_file_fails_with_its_problems_and_writes_nothing(manager_client, project, queued):
    job_url = start_import(manager_client, project, BAD)

    run_worker()

    status, text, next_poll, _ = poll(manager_client, job_url)
    assert (status, next_poll, Article.objects.count(), stored_files(queued)) == (200, None, 0, [])
    assert text == (
        "Nothing was imported 1 problem — fix it and upload again: "
        "bad.jsonl line 1: not valid JSON (Expecting ',' delimiter at column 27) Import again"
    )
    assert Job.objects.values_list("status", "message").get() == ("failed", "nothing was imported")


def test_the_queued_import_gives_the_problems_the_page_gives_at_once(manager_client, project, settings):
    """The same files, written in the request and by a worker: the same problems."""
    url = reverse("annotate:dataset_import", args=[project.slug])
    token = CSRF.search(manager_client.get(url).content.decode()).group(1)
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 10_000
    at_once = manager_client.post(
        url, {"csrfmiddlewaretoken": token, "files": files(BAD), "action": "import", "unknown": "fail"}
    )
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 0
    start_import(manager_client, project, BAD)

    run_worker()

    assert Job.objects.get().problems == at_once.context["report"].problems


def test_cancelling_a_queued_import_writes_nothing_and_the_worker_leaves_it(manager_client, project, queued):
    job_url = start_import(manager_client, project, GOOD)
    _, _, _, cancel_url = poll(manager_client, job_url)

    response = cancel(manager_client, job_url, cancel_url)

    assert (response.status_code, text_of(response.content.decode())) == (
        200,
        "Cancelled Nothing was imported. Import again",
    )
    assert stored_files(queued) == []
    run_worker()
    assert (Job.objects.get().status, Article.objects.count()) == ("cancelled", 0)


def test_cancelling_a_running_import_stops_it_and_rolls_it_back(manager_client, project, queued):
    """The worker waits for the project's import lock, which the test holds, saying all
    the while that it is alive; the manager presses Cancel; the worker stops."""
    job_url = start_import(manager_client, project, GOOD)
    seen, locked = [], threading.Event()

    def hold_the_lock_and_cancel():
        other_import = connections.create_connection("default")  # another import's connection
        try:
            with other_import.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s::integer, %s::integer)", [datasets.IMPORT_LOCK, project.pk])
            locked.set()
            for _ in range(100):
                status, text, _, cancel_url = poll(manager_client, job_url)
                if text.startswith("Waiting for another import"):
                    break
                time.sleep(0.1)
            seen.append(text)
            seen.append(text_of(cancel(manager_client, job_url, cancel_url).content.decode()))
        finally:
            other_import.close()  # and with it the lock
            connection.close()

    manager_thread = threading.Thread(target=hold_the_lock_and_cancel)
    manager_thread.start()
    locked.wait(10)
    run_worker()
    manager_thread.join()

    assert seen == [
        "Waiting for another import of this project to finish Cancel import",
        "Waiting for another import of this project to finish "
        "Cancelling: the worker stops at its next step and writes nothing.",
    ]
    status, text, next_poll, _ = poll(manager_client, job_url)
    assert (status, text, next_poll) == (200, "Cancelled Nothing was imported. Import again", None)
    assert (Job.objects.get().message, Article.objects.count(), stored_files(queued)) == (
        "cancelled; nothing was imported",
        0,
        [],
    )


def left_by_a_killed_worker(job_url: str, seconds_ago: int) -> Job:
    """What a worker killed mid-import leaves: its job running, its last heartbeat old."""
    job = Job.objects.get(pk=int(job_url.rstrip("/").rsplit("/", 1)[1]))
    then = timezone.now() - timedelta(seconds=seconds_ago)
    Job.objects.filter(pk=job.pk).update(status="running", started_at=then, heartbeat_at=then, phase="writing")
    return job


def test_a_running_job_whose_worker_stopped_is_failed_when_its_page_is_polled(manager_client, project, settings):
    settings.ANNOTATE_JOB_STALE_SECONDS = 60
    job_url = start_import(manager_client, project, GOOD)
    job = left_by_a_killed_worker(job_url, seconds_ago=30)

    assert poll(manager_client, job_url)[1] == "Writing the articles 0 of 0 articles written Cancel import"
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    status, text, next_poll, _ = poll(manager_client, job_url)

    assert (status, text, next_poll) == (
        200,
        "Nothing was imported The worker stopped while running this job; nothing was imported. Import again",
        None,
    )
    assert Job.objects.values_list("status", "message").get() == (
        "failed",
        "the worker stopped while running this job; nothing was imported",
    )


def test_a_worker_that_starts_fails_the_jobs_of_a_worker_that_stopped(manager_client, project, queued):
    stopped = left_by_a_killed_worker(start_import(manager_client, project, GOOD), seconds_ago=3600)
    start_import(manager_client, project, [(b"Third\n\nA third op-ed.", "three.txt")])

    run_worker()

    assert list(Job.objects.order_by("pk").values_list("pk", "status")) == [
        (stopped.pk, "failed"),
        (stopped.pk + 1, "done"),
    ]
    # The stopped job's files went with it.
    assert (list(Article.objects.values_list("title", flat=True)), stored_files(queued)) == (["Third"], [])


def test_the_page_estimates_the_time_left_from_the_rate_it_saw(manager_client, project):
    job_url = start_import(manager_client, project, GOOD)
    job = left_by_a_killed_worker(job_url, seconds_ago=1)
    Job.objects.filter(pk=job.pk).update(phase="checking", done=3000, total=9000)
    ten_seconds_ago = f"{time.time() - 10:.1f}"

    text = poll(manager_client, f"{job_url}?phase=checking&done=1000&at={ten_seconds_ago}")[1]

    # 2,000 articles in 10 s: 6,000 more take 30 s.
    assert text == "Checking the articles 3,000 of 9,000 articles checked about 30 s left in this phase Cancel import"


def test_small_files_are_still_written_in_the_request(client, manager, project, settings):
    settings.ANNOTATE_IMPORT_INLINE_BYTES = 10_000
    client.force_login(manager)

    response = client.post(
        reverse("annotate:dataset_import", args=[project.slug]),
        {"files": files(GOOD), "action": "import", "unknown": "fail"},
    )

    assert (response.status_code, Article.objects.count(), Job.objects.count()) == (302, 2, 0)


# Who may follow a job -----------------------------------------------------------------


@pytest.fixture
def job_url(manager_client, project):
    return start_import(manager_client, project, GOOD)


@pytest.mark.parametrize(("persona", "status"), [("outsider", 404), ("annotator", 403), ("curator", 403)])
def test_only_the_projects_managers_follow_and_cancel_its_jobs(client, job_url, request, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(job_url).status_code == status
    assert client.post(job_url + "cancel/").status_code == status
    assert Job.objects.get().status == "queued"


def test_a_job_of_another_project_is_not_found(client, job_url, manager):
    make_project(manager=manager, slug="other")
    client.force_login(manager)

    assert client.get(job_url.replace("/opeds/", "/other/")).status_code == 404


def test_the_job_page_is_read_with_get_and_cancelled_with_post(client, job_url, manager):
    client.force_login(manager)

    assert (client.post(job_url).status_code, client.get(job_url + "cancel/").status_code) == (405, 405)


def test_cancel_without_htmx_returns_to_the_job_page(client, job_url, manager):
    client.force_login(manager)

    response = client.post(job_url + "cancel/")

    assert (response.status_code, response.headers["Location"], Job.objects.get().status) == (
        302,
        job_url,
        "cancelled",
    )


@pytest.mark.parametrize("jobs", [1, 20])
def test_the_job_page_runs_a_fixed_number_of_queries(
    client, manager_client, project, manager, jobs, django_assert_num_queries
):
    for _ in range(jobs):
        url = start_import(manager_client, project, GOOD)
    client.force_login(manager)

    # Session, user, membership, the stale check, the job.
    with django_assert_num_queries(5):
        client.get(url, headers={"HX-Request": "true"})


# The command line -----------------------------------------------------------------------


def test_the_import_command_queues_a_job_with_queue(project, queued, tmp_path, capsys):
    paths = []
    for content, name in GOOD:
        paths.append(tmp_path / name)
        paths[-1].write_bytes(content)

    call_command("import_articles", "--project", "opeds", "--queue", *map(str, paths))

    job = Job.objects.get()
    assert capsys.readouterr().out == (
        f"Queued as job {job.pk}; a worker (manage.py run_worker) imports it. Its page: /p/opeds/jobs/{job.pk}/\n"
    )
    assert (Article.objects.count(), job.status) == (0, "queued")
    run_worker()
    job.refresh_from_db()
    assert (Article.objects.count(), job.status, job.created_by, stored_files(queued)) == (2, "done", None, [])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dry-run"], "--queue imports files by their extensions: it takes neither --dry-run nor --format."),
        (["--format", "text"], "--queue imports files by their extensions: it takes neither --dry-run nor --format."),
    ],
)
def test_the_import_command_refuses_queue_with_a_dry_run_or_a_format(project, queued, tmp_path, extra, message):
    path = tmp_path / "one.txt"
    path.write_bytes(GOOD[0][0])

    with pytest.raises(CommandError) as raised:
        call_command("import_articles", "--project", "opeds", "--queue", *extra, str(path))

    assert (str(raised.value), Job.objects.count()) == (message, 0)


def test_the_import_command_queues_files_only(project, queued, tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("import_articles", "--project", "opeds", "--queue", str(tmp_path))

    assert str(raised.value) == f"--queue takes files (zip a brat directory); not a file: {tmp_path}."
    assert (Job.objects.count(), default_storage.exists("imports")) == (0, False)


# Random sequences ---------------------------------------------------------------------

_examples = itertools.count()
HEADINGS = {
    "queued": "Waiting for a worker",
    "done": "Imported",
    "failed": "Nothing was imported",
    "cancelled": "Cancelled",
}


class ImportQueue(RuleBasedStateMachine):
    """Imports queued, run, cancelled, polled and left by a killed worker, in any order,
    against a plain model: each job's status, the project's articles, the stored files."""

    media = None  # set by the test

    def __init__(self):
        super().__init__()
        number = next(_examples)
        self.manager = make_user(f"queue-manager-{number}")
        self.project = make_project(manager=self.manager, slug=f"queue-{number}")
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(self.manager)
        self.jobs: dict[str, dict] = {}  # job page → {"status", "titles", "stale"}
        self.titles: set[str] = set()
        self.uploads = itertools.count()

    def teardown(self):
        self.project.delete()
        self.manager.delete()
        DBTaskResult.objects.all().delete()
        shutil.rmtree(self.media, ignore_errors=True)  # the files of jobs left queued

    @rule(bad=st.booleans())
    def upload(self, bad):
        title = f"Op-ed {next(self.uploads)}"
        pairs = [(f"{title}\n\nWhat {title} argues.".encode(), f"{title}.txt")]
        if bad:
            pairs.append((b"{", "broken.jsonl"))
        url = start_import(self.client, self.project, pairs)
        for job in self.jobs.values():
            # Queueing first fails the jobs of the project's stopped workers, which would
            # otherwise keep places of its limit (ANNOTATE_MAX_PROJECT_JOBS).
            if job["stale"]:
                job["status"], job["stale"] = "failed", False
        self.jobs[url] = {"status": "queued", "titles": set() if bad else {title}, "stale": False}

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def cancel(self, data):
        url = data.draw(st.sampled_from(sorted(self.jobs)))
        response = self.client.post(url + "cancel/", headers={"X-CSRFToken": self.csrf(url)})
        assert response.status_code == 302
        job = self.jobs[url]
        if job["stale"]:  # the page the Cancel button is on found its worker stopped
            job["status"], job["stale"] = "failed", False
        elif job["status"] == "queued":
            job["status"] = "cancelled"

    @precondition(lambda self: any(job["status"] == "queued" and not job["stale"] for job in self.jobs.values()))
    @rule(data=st.data())
    def worker_killed(self, data):
        """A worker took the job and was killed an hour ago: the job is left running."""
        queued = sorted(url for url, job in self.jobs.items() if job["status"] == "queued" and not job["stale"])
        url = data.draw(st.sampled_from(queued))
        left_by_a_killed_worker(url, seconds_ago=3600)
        self.jobs[url]["stale"] = True

    @rule()
    def run_worker(self):
        run_worker()
        for job in self.jobs.values():
            # A stale job's task is still queued here, so a task starts, and a task that
            # starts fails the jobs of stopped workers first.
            if job["stale"]:
                job["status"], job["stale"] = "failed", False
            elif job["status"] == "queued":
                job["status"] = "done" if job["titles"] else "failed"
                self.titles |= job["titles"]

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def poll(self, data):
        url = data.draw(st.sampled_from(sorted(self.jobs)))
        job = self.jobs[url]
        if job["stale"]:
            job["status"], job["stale"] = "failed", False
        status, text, next_poll, _ = poll(self.client, url)
        heading = HEADINGS[job["status"]]
        assert (status, text.startswith(heading + " "), next_poll is None) == (200, True, job["status"] != "queued")

    def csrf(self, url):
        return CSRF.search(self.client.get(url).content.decode()).group(1)

    @invariant()
    def the_database_is_the_model(self):
        found = {url: Job.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1])).status for url in self.jobs}
        expected = {url: "running" if job["stale"] else job["status"] for url, job in self.jobs.items()}
        assert found == expected
        assert set(self.project.articles.values_list("title", flat=True)) == self.titles
        # Files wait only for the jobs a worker has still to start, or that it was killed running.
        waiting = [job for job in self.jobs.values() if job["status"] == "queued" or job["stale"]]
        assert len(stored_files(self.media)) == sum(1 if job["titles"] else 2 for job in waiting)


def test_random_sequences_of_imports_cancels_workers_and_polls_match_a_plain_model(queued):
    ImportQueue.media = queued
    run_state_machine_as_test(
        ImportQueue,
        settings=examples(
            max_examples=40,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_import_records_reports_the_articles_checked_and_written(project):
    records = datasets.parse_upload(b"One\n\nThe first.", file_name="one.txt") + datasets.parse_upload(
        b"Two\n\nThe second.", file_name="two.txt"
    )
    seen = []

    report = datasets.import_records(
        project=project, records=records, user=None, progress=lambda *step: seen.append(step)
    )

    assert report.written is True
    # Checked and written in batches: the count is of the articles of the batches so far.
    assert seen == [("writing", 0, 2), ("writing", 1, 2), ("writing", 2, 2)]


def test_an_import_checks_its_foreign_keys_as_it_writes_not_all_at_the_commit(project):
    # While the import writes, a row pointing at nothing is refused at once: the checks
    # run during the writing, which reports its progress, not in a long silent commit.
    records = datasets.parse_upload(b"One\n\nThe first.", file_name="one.txt")
    refused = []

    def progress(phase, done, total):
        if phase != "writing":
            return
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'INSERT INTO {Span._meta.db_table} (unit_id, start, "end") VALUES (0, 0, 1)')
        except IntegrityError:
            refused.append((done, total))

    report = datasets.import_records(project=project, records=records, user=None, progress=progress)

    assert (report.written, refused) == (True, [(0, 1), (1, 1)])


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (3, "a few seconds left in this phase"),
        (40, "about 40 s left in this phase"),
        (180, "about 3 min left in this phase"),
        (200, "about 3 min 20 s left in this phase"),
        (7500, "about 2 h 5 min left in this phase"),
    ],
)
def test_the_time_left_reads_as_a_person_says_it(seconds, words):
    assert job_views._in_words(seconds) == words


def test_the_admin_lists_jobs_and_shows_one_read_only(client, job_url):
    admin = make_user("ada_admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    job = Job.objects.get()

    listing = client.get("/admin/annotate/job/")
    one = client.get(f"/admin/annotate/job/{job.pk}/change/")

    assert (listing.status_code, one.status_code, client.get("/admin/annotate/job/add/").status_code) == (
        200,
        200,
        403,
    )
    assert one.context["adminform"].form.fields == {}  # every field read-only


# The hostile corpus, through the queue -------------------------------------------------

QUEUED_CASES = [case for case in hostile.CASES if case[1]]  # an empty file is never large


@pytest.mark.parametrize(("name", "content", "options", "message"), QUEUED_CASES, ids=[c[0] for c in QUEUED_CASES])
def test_a_hostile_file_gets_the_same_one_problem_through_the_queue(
    manager_client, project, article, name, content, options, message
):
    """The corpus of tests/test_hostile_imports.py, on the project as it finds it there."""
    before = hostile.counts()

    start_import(manager_client, project, [(content, name)], existing="fail", owner="", **options)
    run_worker()

    assert (Job.objects.get().problems, hostile.counts()) == (hostile.problems(message), before)


@pytest.mark.parametrize("name", ["exports/1", "exports/1/opeds.jsonl"])
def test_a_stopped_worker_fails_a_job_of_another_kind_and_its_file_goes(project, queued, name):
    """A job of another kind gets no word about imports, and its folder or file goes."""
    default_storage.save("exports/1/opeds.jsonl", SimpleUploadedFile("opeds.jsonl", b'{"id": "ha'))
    then = timezone.now() - timedelta(hours=1)
    job = Job.objects.create(project=project, kind="export", status="running", heartbeat_at=then, file=name)

    marked = jobs.fail_stale()

    job.refresh_from_db()
    assert (marked, job.status, job.message) == (1, "failed", "the worker stopped while running this job")
    assert stored_files(queued) == []


@pytest.mark.parametrize(("name", "content", "options", "message"), QUEUED_CASES, ids=[c[0] for c in QUEUED_CASES])
def test_a_hostile_file_gets_the_pages_verdict_from_a_preview_job(
    manager_client, project, article, name, content, options, message
):
    """A preview too large for a request is a job: its result is the page's verdict."""
    before = hostile.counts()

    start_import(manager_client, project, [(content, name)], action="preview", existing="fail", owner="", **options)
    run_worker()

    job = Job.objects.get()
    assert (job.status, job.problems, hostile.counts()) == ("done", hostile.problems(message), before)


def test_a_preview_job_says_what_an_import_would_write_and_writes_nothing(manager_client, project, queued):
    job_url = start_import(manager_client, project, GOOD, action="preview")
    run_worker()

    status, text, next_poll, _ = poll(manager_client, job_url)
    assert (status, next_poll, Article.objects.count(), stored_files(queued)) == (200, None, 0, [])
    assert text == (
        "Ready to import Would import: 2 new articles, 0 already there, 0 layers, 0 units, 0 relations. "
        "Back to the import page"
    )
