"""The API's browsable docs and the account page's tokens, in the browser: the docs
page draws every route from the package's own static files under the site's
Content-Security-Policy (the console watch fails the test on any violation), and a
token made on the account page is shown once, copied with its button, and works."""

import re

from playwright.sync_api import expect

from tests.factories import make_user


def test_the_api_docs_page_lists_every_route_with_no_console_error(page, db):
    page.goto("/api/v1/docs")

    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    page.screenshot(path="/tmp/api-docs.png", caret="initial")

    assert [re.sub(r"\s+", "", path) for path in paths] == [
        "/api/v1/projects",
        "/api/v1/projects/{slug}",
        "/api/v1/projects/{slug}/articles",
        "/api/v1/projects/{slug}/articles",
        "/api/v1/projects/{slug}/articles/{article_id}/layers/{owner}",
        "/api/v1/projects/{slug}/imports",
        "/api/v1/projects/{slug}/exports",
        "/api/v1/projects/{slug}/jobs/{job_id}",
        "/api/v1/projects/{slug}/exports/{job_id}/file",
        "/api/v1/projects/{slug}/agreement",
        "/api/v1/projects/{slug}/assignments",
        "/api/v1/projects/{slug}/assignments",
    ]


def test_a_token_made_on_the_account_page_is_copied_and_works(page, context, log_in, live_server):
    make_user("tess", password="secret-pass-1")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in("tess", "secret-pass-1")
    page.get_by_role("link", name="API tokens").click()

    page.get_by_label("Name").fill("lab scraper")
    page.get_by_role("button", name="Make token").click()
    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    token = page.evaluate("() => navigator.clipboard.readText()")
    page.screenshot(path="/tmp/api-tokens.png", caret="initial")
    answer = page.request.get(f"{live_server.url}/api/v1/projects", headers={"Authorization": f"Bearer {token}"})

    assert token.startswith("ann_")
    assert (answer.status, answer.json()) == (200, {"count": 0, "next": None, "previous": None, "results": []})
    expect(page.get_by_role("row", name=re.compile("lab scraper"))).to_contain_text("Active")
