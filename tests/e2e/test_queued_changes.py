"""Changes made faster than the server answers, in a real browser: each waits its turn
and none is lost, even when the button that sent it is redrawn by the answer before it."""

import re
import time

from playwright.sync_api import expect

from annotate.models import ArgumentUnit, Article, Change, Layer
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.e2e.test_workspace import drag_select


def wait_for_held(page, held: list, count: int = 1, seconds: float = 10) -> None:
    """Until `count` requests are held by the page's route (its handler runs in this
    thread, while Playwright waits); the held list then has exactly `count`."""
    deadline = time.monotonic() + seconds
    while len(held) < count:
        assert time.monotonic() < deadline, f"{len(held)} of {count} requests held after {seconds} s"
        page.wait_for_timeout(10)  # lets the route handler run; the loop's condition is what it waits on
    assert len(held) == count


CLAIM = "Israel is now the undisputed regional power"
PREMISE = "Iran is depleted and banged up"


def test_undo_clicked_while_a_change_is_on_its_way_undoes_that_change(page, log_in, transactional_db):
    load_seeds()
    text = Article.objects.get().text
    layer = Layer.objects.get(annotator__username="alice")
    log_in("alice", DEMO_PASSWORD)
    page.goto("/p/demo/next/")
    start = text.index(CLAIM)
    drag_select(page, text, start, start + len(CLAIM))
    page.keyboard.press("c")
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(CLAIM)
    held = []
    page.route("**/units/", lambda route: held.append(route))  # the next create waits for its answer

    start = text.index(PREMISE)
    drag_select(page, text, start, start + len(PREMISE))
    page.keyboard.press("p")
    wait_for_held(page, held)  # the create is on its way
    undo = page.locator("#history-buttons").get_by_role("button", name=re.compile("^Undo"))
    expect(undo).to_be_enabled()
    undo.click()
    held[0].continue_()  # the create arrives; its answer redraws the Undo button

    expect(page.locator("#article-text mark[data-tag='Premise']")).to_have_count(0)
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(CLAIM)
    redo = page.locator("#history-buttons").get_by_role("button", name=re.compile("^Redo"))
    expect(redo).to_contain_text("Premise")
    assert list(ArgumentUnit.objects.filter(layer=layer).values_list("label__name", flat=True)) == ["Claim"]
    assert list(Change.objects.filter(layer=layer).values_list("action", flat=True).order_by("pk"))[-3:] == [
        "unit.create",
        "unit.create",
        "undo",
    ]
