"""The manager's accounts, in real browsers: an invite link made and copied, opened by
the invitee in a browser of their own, who sets a password and lands on the project;
the member deactivated (and told so), reactivated, and given a password link they use.
Neither browser's console reports an error or a Content-Security-Policy violation but the
two refusals' statuses (tests/e2e/console.py)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.console import refused
from tests.factories import make_article, make_project, make_user

PASSWORD = "secret-pass-1"
DANAS_PASSWORD = "violet-harbour-42"
DANAS_NEW_PASSWORD = "new-harbour-77"
REFUSED = "Failed to load resource: the server responded with a status of %s"


@pytest.fixture
def opeds(transactional_db):
    morgan = make_user("morgan", password=PASSWORD)
    project = make_project(manager=morgan, slug="opeds-2026")
    make_article(project)
    return project


def test_a_manager_invites_deactivates_reactivates_and_resets_a_member(opeds, new_context, console_watch):
    console_watch.expect(refused(410), refused(403))
    manager_context = new_context(permissions=["clipboard-read", "clipboard-write"])
    desk = manager_context.new_page()
    desk.goto("/accounts/login/")
    desk.get_by_label("Username").fill("morgan")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    desk.goto(f"/p/{opeds.slug}/members/")

    # An invite link for an annotator, made and copied.
    desk.get_by_label("Role for the invite").select_option(label="Annotator")
    desk.get_by_label("Who it is for").fill("Dana")
    desk.get_by_role("button", name="Make invite link").click()
    shown = desk.get_by_role("region", name="Invite link for a new annotator")
    expect(shown).to_contain_text("It works once and expires in 6\xa0days, 23\xa0hours")
    expect(desk.get_by_role("status")).to_have_text(
        "Invite link made for a new annotator. Copy it and send it to them."
    )
    shown.get_by_role("button", name="Copy link").click()
    expect(shown.get_by_text("Copied.")).to_be_visible()
    link = desk.evaluate("navigator.clipboard.readText()")
    assert link == shown.get_by_label("Link to send").input_value()
    pending = desk.locator("#members table").nth(1).locator("tbody tr")
    expect(pending).to_have_count(1)
    expect(pending.locator("td").nth(0)).to_have_text("Dana")
    desk.screenshot(path="/tmp/accounts-members.png", full_page=True, caret="initial")

    # Dana opens the link in her own browser, sets a password and is on the project.
    dana_context = new_context()
    dana = dana_context.new_page()
    dana.goto(link)
    expect(dana.get_by_role("heading", name=f"Join {opeds.name}")).to_be_visible()
    dana.screenshot(path="/tmp/accounts-invite.png", full_page=True, caret="initial")
    dana.get_by_label("Username").fill("dana")
    dana.get_by_label("Password:", exact=True).fill(DANAS_PASSWORD)
    dana.get_by_label("Password confirmation").fill(DANAS_PASSWORD)
    dana.get_by_role("button", name="Create my account and join").click()
    expect(dana.get_by_role("heading", name=opeds.name, exact=True)).to_be_visible()
    expect(dana.get_by_role("status")).to_have_text(f"Welcome, dana: you have joined {opeds.name} as annotator.")

    # The link is used up: opened again, it says so.
    dana.goto(link)
    expect(dana.get_by_role("alert")).to_have_text(
        "This invite has already been used. If that was not you, ask the project's manager for a new one."
    )

    # Deactivated, Dana is told so; reactivated, she is back.
    desk.reload()
    expect(desk.get_by_text("No invite is waiting to be used.")).to_be_visible()
    desk.get_by_role("button", name="Deactivate dana").click()
    expect(desk.get_by_role("status")).to_have_text(
        "dana is deactivated: their work stays, and they can no longer open the project."
    )
    expect(desk.locator("#members tbody tr").filter(has_text="dana")).to_contain_text("Deactivated")
    desk.screenshot(path="/tmp/accounts-deactivated.png", full_page=True, caret="initial")
    dana.goto(f"/p/{opeds.slug}/")
    expect(dana.get_by_text("Your membership of this project is deactivated.")).to_be_visible()
    dana.goto("/")
    expect(dana.get_by_role("row", name=f"{opeds.name} Your membership is deactivated")).to_be_visible()
    desk.get_by_role("button", name="Reactivate dana").click()
    expect(desk.get_by_role("status")).to_have_text("dana is active again and can open the project.")
    dana.goto(f"/p/{opeds.slug}/")
    expect(dana.get_by_role("heading", name=opeds.name, exact=True)).to_be_visible()

    # A password link for Dana, which she uses, and then logs in with the new password.
    desk.get_by_role("button", name="Password link for dana").click()
    shown = desk.get_by_role("region", name="Password link for dana")
    shown.get_by_role("button", name="Copy link").click()
    expect(shown.get_by_text("Copied.")).to_be_visible()
    reset_link = desk.evaluate("navigator.clipboard.readText()")
    dana.get_by_role("button", name="Log out").click()
    dana.goto(reset_link)
    expect(dana.get_by_role("heading", name="Set your password")).to_be_visible()
    dana.get_by_label("New password:", exact=True).fill(DANAS_NEW_PASSWORD)
    dana.get_by_label("New password confirmation").fill(DANAS_NEW_PASSWORD)
    dana.get_by_role("button", name="Set my password").click()
    expect(dana.get_by_role("heading", name="Password set")).to_be_visible()
    dana.get_by_role("link", name="Log in").click()
    dana.get_by_label("Username").fill("dana")
    dana.get_by_label("Password").fill(DANAS_NEW_PASSWORD)
    dana.get_by_role("button", name="Log in").click()
    expect(dana.get_by_role("heading", name="Your projects")).to_be_visible()
    dana.goto(reset_link)
    expect(dana.get_by_role("alert")).to_have_text(
        "This password link has already been used or has expired. Ask your project's manager for a new one."
    )

    # The browser's own reports of the two refusals' statuses are the only errors.
    assert console_watch.messages() == [REFUSED % "410 (Gone)", REFUSED % "403 (Forbidden)"]
