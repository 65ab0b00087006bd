"""Real-browser tests: pytest-playwright driving Debian's Chromium against `live_server`."""

import os

import pytest

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


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's, with every context (a test's own and any second one) waiting 10 s at most."""

    def new_context_waiting_10_s(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        return context

    return new_context_waiting_10_s


@pytest.fixture
def log_in(page):
    def log_in_as(username: str, password: str):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return log_in_as
