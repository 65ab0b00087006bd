"""What a person sees at once, in a real browser: one message for a label key with
nothing selected, dashed underlines only for a unit's later spans, the guidelines box
without a blank first line, and times in the viewer's own time zone, named."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from axes.models import AccessAttempt
from playwright.sync_api import expect

from annotate import units
from annotate.models import Invite, Job, JobKind, JobStatus, Layer
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.console import refused
from tests.factories import make_project, make_user

NEW_YORK = "America/New_York"


def test_a_label_key_with_nothing_selected_shows_its_message_once(
    page, log_in, transactional_db, expect_console_errors
):
    expect_console_errors(refused(422))  # the key with nothing selected is refused with its message
    load_seeds()
    layer = Layer.objects.get(annotator__username="alice")
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")
    expect(page.locator(".unit-row")).to_have_count(0)

    page.keyboard.press("c")

    message = page.locator("#workspace-message .message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Select some text first.")
    assert message.inner_text().count("Select some text") == 1
    assert layer.units.count() == 0


def test_only_a_units_later_spans_are_underlined_dashed(page, log_in, transactional_db):
    """A claim with a premise nested in it is one span, solid on both sides of the
    premise; the second span of a discontinuous unit is dashed."""
    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text, labels = layer.article.text, {label.name: label for label in layer.article.project.labels.all()}

    def span(quote):
        start = text.index(quote)
        return start, start + len(quote)

    claim_text = "Israel is now the undisputed regional power"
    claim = units.create_unit(layer=layer, label=labels["Claim"], spans=[span(claim_text)], user=layer.annotator)
    units.create_unit(layer=layer, label=labels["Premise"], spans=[span("undisputed")], user=layer.annotator)
    apart = units.create_unit(
        layer=layer,
        label=labels["Premise"],
        spans=[span("Iran is depleted"), span("banged up")],
        user=layer.annotator,
    )
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")

    def underlines(unit):
        marks = page.locator(f'#article-text mark[data-unit="{unit.pk}"]')
        return marks.evaluate_all(
            "marks => marks.map(mark => [mark.textContent, getComputedStyle(mark).borderBottomStyle])"
        )

    assert underlines(claim.unit) == [
        ["Israel is now the ", "solid"],
        ["undisputed", "solid"],
        [" regional power", "solid"],
    ]
    assert underlines(apart.unit) == [["Iran is depleted", "solid"], ["banged up", "dashed"]]


def test_the_guidelines_box_starts_with_its_first_line(page, log_in, transactional_db):
    load_seeds()
    log_in("alice", DEMO_PASSWORD)
    page.goto("/p/demo/")

    box = page.locator(".guidelines")
    expect(box).to_contain_text("Select the smallest passage")
    gaps = box.evaluate(
        """box => {
          const style = getComputedStyle(box);
          const inside = [parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop),
                          parseFloat(style.borderBottomWidth) + parseFloat(style.paddingBottom)];
          const outer = box.getBoundingClientRect();
          const range = document.createRange();
          range.selectNodeContents(box);
          const text = range.getBoundingClientRect();
          return [text.top - outer.top - inside[0], outer.bottom - text.bottom - inside[1]];
        }"""
    )
    assert [round(gap) for gap in gaps] == [0, 0]  # no paragraph margin above or below the text


def in_new_york(moment: datetime, shape: str) -> str:
    """`moment` as the page shows it to a browser in New York, as en-US names the zone (EST, EDT)."""
    local = moment.astimezone(ZoneInfo(NEW_YORK))
    time = f"{local:%H:%M %Z}"
    return time if shape == "time" else f"{local.day} {local:%B %Y}, {time}"


def new_york_page(new_context):
    context = new_context(timezone_id=NEW_YORK, locale="en-US")
    return context.new_page()


def log_in_on(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_the_lockout_page_says_until_when_in_the_viewers_time_zone(
    new_context, transactional_db, expect_console_errors
):
    expect_console_errors(refused(429))  # the locked-out login's answer
    make_user("ada")
    page = new_york_page(new_context)
    for _ in range(5):
        log_in_on(page, "ada", "wrong-password")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()

    until = AccessAttempt.objects.get(username="ada").attempt_time + timedelta(minutes=15)
    shown = page.locator("main time")
    expect(shown).to_have_text(in_new_york(until, "time"))
    assert re.fullmatch(r"\d\d:\d\d E[SD]T", shown.inner_text())
    expect(shown).to_have_attribute("title", f"{until.astimezone(UTC):%H:%M} UTC")
    expect(page.get_by_role("alert")).to_contain_text(f"Try again after {in_new_york(until, 'time')} (in 1")


def test_the_job_page_says_when_it_started_in_the_viewers_time_zone(new_context, transactional_db):
    manager = make_user("mia_manager")
    project = make_project(manager=manager, slug="opeds")
    job = Job.objects.create(
        project=project, kind=JobKind.IMPORT, status=JobStatus.FAILED, created_by=manager, message="a test"
    )
    started = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    Job.objects.filter(pk=job.pk).update(created_at=started)
    page = new_york_page(new_context)
    log_in_on(page, "mia_manager", "secret-pass-1")

    page.goto(f"/p/opeds/jobs/{job.pk}/")

    expect(page.locator(".lead")).to_contain_text("Started 15 January 2025, 09:30 EST by mia_manager")
    expect(page.locator(".lead time")).to_have_attribute("datetime", "2025-01-15T14:30:00Z")


def test_a_time_htmx_swaps_in_is_shown_in_the_viewers_time_zone_too(new_context, transactional_db):
    manager = make_user("mia_manager")
    make_project(manager=manager, slug="opeds")
    page = new_york_page(new_context)
    log_in_on(page, "mia_manager", "secret-pass-1")
    page.goto("/p/opeds/members/")

    page.get_by_role("button", name="Make invite link").click()

    expect(page.locator("#shown-link")).not_to_have_value("")
    expires = Invite.objects.get().expires_at
    expect(page.locator(".shown-link")).to_contain_text(f"({in_new_york(expires, 'datetime')})")
    expect(page.locator("#members table time")).to_have_text(in_new_york(expires, "datetime"))
