"""Changes that get no answer, or an error, in a real browser: the annotator is told what
happened and what to do, and a change sent again is applied once.

Each test declares the console errors its failure brings (tests/e2e/console.py): the
browser's word about the refused connection or the error status, and htmx's.

The server here is a process of its own (pytest-django's live_server cannot be stopped):
`runserver` on a free loopback port, against the test database.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection
from playwright.sync_api import expect

from annotate.models import ArgumentUnit, Change, Layer
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import CONNECTION_FAILED, HTMX_NO_ANSWER, htmx_response_error, refused
from tests.e2e.test_workspace import drag_select

CLAIM = "Israel is now the undisputed regional power"
NO_ANSWER = "The server did not answer; your change was not saved. Retrying…"
LOGGED_OUT = (
    "You are no longer logged in here (perhaps you logged in or out in another tab). Log in again, then reload."
)
MAYBE_SAVED = "This change may have been saved; reload to see."

# The server process, with the settings the test run uses (tests/conftest.py): DEBUG off
# as in production, over plain HTTP, static files found where they are.
SERVE = """
import sys

import django
from django.conf import settings

settings.SECURE_SSL_REDIRECT = False
settings.WHITENOISE_USE_FINDERS = True
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
django.setup()

from django.core.management import call_command

call_command("runserver", sys.argv[1], use_reloader=False)
"""


def database_url() -> str:
    """The test database, for the server process: the run's DATABASE_URL with the test
    database's name."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The app served by a process that can be stopped and started again on the same port."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.log = log
        self.process = None

    def start(self) -> None:
        environment = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "annotate.settings"}
        with self.log.open("a") as log:
            self.process = subprocess.Popen(  # our own interpreter and script
                [sys.executable, "-c", SERVE, f"127.0.0.1:{self.port}"],
                cwd=Path(__file__).resolve().parents[2],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The server did not start:\n{self.log.read_text()}")
            time.sleep(0.05)  # polling the port, not waiting on the page

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self.answers()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False


@pytest.fixture
def server(transactional_db, tmp_path):
    server = Server(tmp_path / "server.log")
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def browser_context_args(browser_context_args, server):
    """The pages here talk to this module's own server, not to `live_server`."""
    return {**browser_context_args, "base_url": server.url}


@pytest.fixture
def page(page):
    page.emulate_media(reduced_motion="reduce")
    return page


@pytest.fixture
def demo(transactional_db):
    """The seeded demo: alice's layer and its text."""
    load_seeds()
    layer = Layer.objects.select_related("article").get(annotator__username="alice")
    return layer, layer.article.text


def open_workspace(page, username="alice"):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/p/demo/next/")
    expect(page.get_by_role("heading", name="Did Trump Flinch?")).to_be_visible()


def select_claim(page, text):
    start = text.index(CLAIM)
    assert drag_select(page, text, start, start + len(CLAIM)) == CLAIM


def message(page):
    return page.locator("#workspace-message .message")


def test_a_key_pressed_while_the_server_is_down_is_sent_again_and_saved_once(page, server, demo, expect_console_errors):
    layer, text = demo
    expect_console_errors(CONNECTION_FAILED, *HTMX_NO_ANSWER)
    open_workspace(page)

    server.stop()
    select_claim(page, text)
    page.keyboard.press("c")
    expect(message(page)).to_have_text(NO_ANSWER)
    server.start()

    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(CLAIM, timeout=30_000)
    expect(message(page)).to_have_count(0)
    expect(page.locator("#layer-status")).to_have_text("In progress")
    assert list(ArgumentUnit.objects.filter(layer=layer).values_list("label__name", flat=True)) == ["Claim"]
    assert Change.objects.filter(layer=layer, action="unit.create").count() == 1


def test_a_button_pressed_while_the_server_is_down_is_sent_again(page, server, demo, expect_console_errors):
    expect_console_errors(CONNECTION_FAILED, *HTMX_NO_ANSWER)
    open_workspace(page)

    server.stop()
    page.get_by_role("button", name="Mark finished").click()
    expect(message(page)).to_have_text(NO_ANSWER)
    server.start()

    findings = page.locator("#layer-bar").get_by_role("status")
    wanted = ["There should be exactly one MajorClaim; there are 0."]
    expect(findings.locator("li")).to_have_text(wanted, timeout=30_000)
    expect(message(page)).to_have_count(0)


def test_a_change_whose_answer_was_lost_is_not_applied_twice(page, demo, expect_console_errors):
    layer, text = demo
    # The lost answer, then the refusal of the change sent again as stale.
    expect_console_errors(CONNECTION_FAILED, *HTMX_NO_ANSWER, refused(409))
    open_workspace(page)
    lost = []

    def lose_the_first_answer(route):
        if lost:
            route.continue_()
        else:
            lost.append(route.fetch())  # the server applies the change; its answer never arrives
            route.abort("connectionreset")

    page.route("**/units/", lose_the_first_answer)
    select_claim(page, text)
    page.keyboard.press("c")

    expect(message(page)).to_have_text(f"{MAYBE_SAVED} Reload")
    assert [answer.status for answer in lost] == [200]
    assert ArgumentUnit.objects.filter(layer=layer).count() == 1
    message(page).get_by_role("link", name="Reload").click()
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(CLAIM)


@pytest.mark.parametrize("elsewhere", ["logged out", "logged out and in again"])
def test_a_key_pressed_after_logging_out_in_another_tab_asks_to_log_in_again(
    page, demo, elsewhere, expect_console_errors
):
    layer, text = demo
    if elsewhere == "logged out":  # the log-in page answers, which the page takes as an error
        expect_console_errors(htmx_response_error(200))
    else:  # the new session's CSRF token is not the page's
        expect_console_errors(refused(403), htmx_response_error(403))
    open_workspace(page)
    other = page.context.new_page()
    other.goto("/p/demo/")
    other.get_by_role("button", name="Log out").click()
    expect(other.get_by_role("button", name="Log in")).to_be_visible()
    if elsewhere == "logged out and in again":  # a new session, and a new CSRF token the page lacks
        open_workspace(other)

    select_claim(page, text)
    page.keyboard.press("c")

    expect(message(page)).to_have_text(f"{LOGGED_OUT} Log in Dismiss")
    expect(message(page).get_by_role("link", name="Log in")).to_have_attribute(
        "href", f"/accounts/login/?next={quote(page.evaluate('location.pathname'), safe='')}"
    )
    expect(page.locator("#unit-panel")).to_contain_text("No units yet.")
    assert ArgumentUnit.objects.filter(layer=layer).count() == 0


def answer_first_from_a_proxy(status):
    """A route handler: the first request gets a proxy's error page (the app never saw
    it), the next ones reach the app."""
    answered = []

    def handle(route):
        if answered:
            route.continue_()
        else:
            answered.append(status)
            route.fulfill(status=status, content_type="text/html", body=f"<h1>{status}</h1><p>nginx</p>")

    return handle, answered


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_key_answered_by_a_proxy_instead_of_the_app_is_sent_again_and_saved_once(
    page, demo, status, expect_console_errors
):
    layer, text = demo
    expect_console_errors(refused(status), htmx_response_error(status))
    open_workspace(page)
    handle, answered = answer_first_from_a_proxy(status)
    page.route("**/units/", handle)

    select_claim(page, text)
    page.keyboard.press("c")

    expect(message(page)).to_have_text(NO_ANSWER)
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(CLAIM)
    expect(message(page)).to_have_count(0)
    assert answered == [status]
    assert list(ArgumentUnit.objects.filter(layer=layer).values_list("label__name", flat=True)) == ["Claim"]
    assert Change.objects.filter(layer=layer, action="unit.create").count() == 1


def test_a_button_answered_by_a_proxy_instead_of_the_app_is_sent_again(page, demo, expect_console_errors):
    expect_console_errors(refused(503), htmx_response_error(503))
    open_workspace(page)
    handle, answered = answer_first_from_a_proxy(503)
    page.route("**/finish/", handle)

    page.get_by_role("button", name="Mark finished").click()

    expect(message(page)).to_have_text(NO_ANSWER)
    findings = page.locator("#layer-bar").get_by_role("status")
    wanted = ["There should be exactly one MajorClaim; there are 0."]
    expect(findings.locator("li")).to_have_text(wanted)
    expect(message(page)).to_have_count(0)
    assert answered == [503]
