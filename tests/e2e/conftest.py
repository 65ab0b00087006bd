"""Real-browser tests: pytest-playwright driving Debian's Chromium against `live_server`."""

import os

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.console import ConsoleWatch

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _django_calls_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the Django calls the
    # tests make between browser steps are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def console_watch(request):
    """Fails the test (at teardown) if any page it opened logged a console error it did
    not declare with `expect_console_errors`, threw an uncaught error or broke the
    Content-Security-Policy (tests/e2e/console.py). Screenshots keep the caret
    (`caret="initial"`): to hide it, Playwright would write a style onto every input."""
    watch = ConsoleWatch()
    yield watch
    failures = watch.failures()
    if failures:
        pytest.fail(f"The browser reported problems during {request.node.nodeid}:\n{failures}", pytrace=False)


@pytest.fixture
def expect_console_errors(console_watch):
    """Declares console errors this test provokes on purpose: each a regular expression
    that must match a whole message and come at least once (see tests/e2e/console.py
    for the messages: `refused(status)`, `CONNECTION_FAILED`, htmx's)."""
    return console_watch.expect


def _flush(context):
    """Lets the browser deliver what its pages have said: a violation's event is
    dispatched in a task after the violation, and console messages come asynchronously."""
    for page in context.pages:
        if page.is_closed():
            continue
        try:
            page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
        except PlaywrightError:  # a page navigating or gone: what it said has arrived
            pass


@pytest.fixture
def new_context(new_context, console_watch):
    """pytest-playwright's, with every context (a test's own and any second one) waiting
    10 s at most and watched by `console_watch`, up to when it closes."""
    contexts = []

    def new_watched_context(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        console_watch.watch_context(context)
        close = context.close

        def flush_and_close(*args, **kwargs):
            if context in contexts:
                contexts.remove(context)
                _flush(context)
            close(*args, **kwargs)

        context.close = flush_and_close
        contexts.append(context)
        return context

    yield new_watched_context
    for context in contexts:
        _flush(context)


@pytest.fixture
def log_in(page):
    def log_in_as(username: str, password: str):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return log_in_as
