"""Keys typed faster than the server answers, in a real browser: none is lost, and each
acts on what the annotator saw when they pressed it (the selection, or the unit the
key before is making), in order, as if typed slowly.

One fixed sequence of keys (make, relabel, stance, link, delete, undo, redo; the text
selected with the caret keys) is typed at 5, 20, 50 and 150 ms a key, with and without
a 300 ms delay on every change on its way to the server (held by `page.route`). Every
run must leave the layer as slow typing does: `SLOW_TYPING` below, what the run at
150 ms a key without a delay leaves, with the same history of changes. (It is also what
the workspace left before keys could be typed ahead, at 700 ms a key; at 150 ms, a `[`
right after an undo stepped through a panel not yet redrawn.)
"""

import re
import time

import pytest
from playwright.sync_api import expect

from annotate import layer_content, projects
from annotate.models import Change, Layer
from tests.e2e.console import refused
from tests.e2e.test_queued_changes import wait_for_held
from tests.factories import make_article, make_project, make_unit, make_user, scheme_of

TEXT = "Ban cars.\nCars pollute.\nBikes help.\nShops fear losses."

WORD = "Control+ArrowRight"  # to the next word's start
SELECT_WORD = "Control+Shift+ArrowRight"  # the selection on to the word's end

SEQUENCE = [
    # "Ban cars": a MajorClaim.
    "Control+Home",
    *[SELECT_WORD] * 2,
    "m",
    # "Cars pollute": a Premise, relabelled a Claim at once, For, then Against.
    "Control+Home",
    *[WORD] * 3,  # cars, the full stop, Cars
    *[SELECT_WORD] * 2,
    "p",
    "c",
    "1",
    "2",
    # It supports the MajorClaim: ] steps past it (the last unit) round to the first.
    "l",
    "]",
    "Enter",
    "s",
    # "Bikes help": a Premise that supports the Claim, the unit before it.
    "Control+Home",
    *[WORD] * 6,
    *[SELECT_WORD] * 2,
    "p",
    "l",
    "[",
    "Enter",
    "s",
    # Deleted (the unit linked from stays chosen); undone; its link undone and redone.
    "Delete",
    "Control+z",
    "Control+z",
    "Control+Shift+z",
    # Nothing is chosen now: ] ] steps to the Claim, which turns For.
    "]",
    "]",
    "1",
    # "Shops fear losses" (selected backwards from the end, with the full stop, which
    # snapping leaves out): a Claim, Against, relabelled a Premise (which has no
    # stance), deleted, undone, redone, undone.
    "Control+End",
    *["Control+Shift+ArrowLeft"] * 4,
    "c",
    "2",
    "p",
    "Delete",
    "Control+z",
    "Control+y",
    "Control+z",
    # [ chooses it (the last unit); it attacks the MajorClaim, three units back.
    "[",
    "l",
    "[",
    "[",
    "[",
    "Enter",
    "a",
]

# The layer slow typing leaves: its units (quotes, label, attributes) and relations
# (source, type, target; sorted), and its history of changes.
SLOW_TYPING = {
    "units": [
        (("Ban cars",), "MajorClaim", {}),
        (("Cars pollute",), "Claim", {"stance": "For"}),
        (("Bikes help",), "Premise", {}),
        (("Shops fear losses",), "Premise", {}),
    ],
    "relations": [
        ("Bikes help", "supports", "Cars pollute"),
        ("Cars pollute", "supports", "Ban cars"),
        ("Shops fear losses", "attacks", "Ban cars"),
    ],
    "history": [
        "layer.status",
        "unit.create",
        "unit.create",
        "unit.update",
        "unit.update",
        "unit.update",
        "relation.create",
        "unit.create",
        "relation.create",
        "unit.delete",
        "undo",
        "undo",
        "redo",
        "unit.update",
        "unit.create",
        "unit.update",
        "unit.update",
        "unit.delete",
        "undo",
        "redo",
        "undo",
        "relation.create",
    ],
}


class Delay:
    """Holds every change to the layer (a POST) `ms` milliseconds on its way to the
    server; the page's other requests go at once. Held requests go on when `release`
    is called after their time (the page's route handlers run in this thread, which
    must not sleep in them)."""

    def __init__(self, page, ms: int):
        self.seconds = ms / 1000
        self.held = []
        if ms:
            page.route(re.compile(r"/layers/\d+/"), self.hold)

    def hold(self, route):
        if route.request.method == "POST":
            self.held.append((time.monotonic() + self.seconds, route))
        else:
            route.continue_()

    def release(self):
        now = time.monotonic()
        due = [route for at, route in self.held if at <= now]
        self.held = [(at, route) for at, route in self.held if at > now]
        for route in due:
            route.continue_()


def wait(page, delay: Delay, until: float):
    """Until the monotonic time `until`, letting held changes go when theirs comes."""
    while (left := until - time.monotonic()) > 0:
        delay.release()
        page.wait_for_timeout(min(left * 1000, 5))
    delay.release()


# Nothing on its way between the page and the server: no change, no panel refresh.
QUIET = "() => !document.querySelector('.htmx-request')"


def wait_until_quiet(page, delay: Delay, timeout=30):
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:  # three looks in a row, 20 ms apart
        assert time.monotonic() < deadline, "the page was still talking to the server"
        wait(page, delay, time.monotonic() + 0.02)
        quiet = quiet + 1 if not delay.held and page.evaluate(QUIET) else 0


def final_layer(layer: Layer) -> dict:
    project = layer.article.project
    labels = {label.pk: label.name for label in project.labels.all()}
    types = {kind.pk: kind.name for kind in project.relation_types.all()}
    content = layer_content.read_one(layer)
    quotes = {row.id: tuple(TEXT[start:end] for start, end in row.spans) for row in content.units}
    return {
        "units": [(quotes[row.id], labels[row.label_id], row.attributes) for row in content.units],
        "relations": sorted(
            (" ".join(quotes[row.source_id]), types[row.type_id], " ".join(quotes[row.target_id]))
            for row in content.relations
        ),
        "history": list(Change.objects.filter(layer=layer).order_by("pk").values_list("action", flat=True)),
    }


def fays_layer() -> Layer:
    """TEXT in a project of its own (the default scheme: MajorClaim m, Claim c with a
    stance, Premise p; supports s, attacks a), assigned to fay."""
    annotator = make_user("fay", password="secret-pass-1")
    project = make_project(slug="fast")
    article = make_article(project, text=TEXT)
    projects.set_member(project=project, user=annotator, role="annotator", by=None)
    projects.assign(article=article, annotators=[annotator], by=None)
    return Layer.objects.select_related("article__project", "annotator").get(article=article)


@pytest.mark.parametrize("delay_ms", [0, 300], ids=["answered at once", "300 ms delay"])
@pytest.mark.parametrize("interval", [150, 50, 20, 5], ids=lambda ms: f"{ms} ms a key")
def test_keys_typed_at_any_speed_leave_the_layer_slow_typing_leaves(page, log_in, transactional_db, interval, delay_ms):
    layer = fays_layer()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in("fay", "secret-pass-1")
    page.goto(f"/p/fast/layers/{layer.pk}/")
    page.locator("#article-text").focus()
    delay = Delay(page, delay_ms)

    start = time.monotonic()
    for number, key in enumerate(SEQUENCE):
        wait(page, delay, start + number * interval / 1000)
        page.keyboard.press(key)
    wait_until_quiet(page, delay)

    assert final_layer(layer) == SLOW_TYPING
    assert errors == []
    assert len(SEQUENCE) >= 30


def test_keys_waiting_for_a_change_that_is_refused_are_not_applied_and_the_annotator_is_told(
    page, log_in, transactional_db, expect_console_errors
):
    expect_console_errors(refused(422))  # the refused change
    layer = fays_layer()
    make_unit(layer, scheme_of(layer.article.project)["MajorClaim"], "Ban cars")
    log_in("fay", "secret-pass-1")
    page.goto(f"/p/fast/layers/{layer.pk}/")
    page.locator("#article-text").focus()
    held = []
    page.route("**/units/", lambda route: held.append(route))

    # The same MajorClaim again (refused), then keys that count on the unit it would make.
    for key in ["Control+Home", *[SELECT_WORD] * 2, "m", "c", "Delete"]:
        page.keyboard.press(key)
    wait_for_held(page, held)  # the create is on its way, the keys after it wait
    held[0].continue_()

    expect(page.locator("#workspace-message .message")).to_have_text(
        [
            re.compile("^There is already a MajorClaim on exactly this text."),
            "The 2 keys or clicks after it waited for it, and were not applied.",
        ]
    )
    assert final_layer(layer)["units"] == [(("Ban cars",), "MajorClaim", {})]
    # The next key is not kept waiting: ] chooses the MajorClaim, c relabels it.
    page.unroute("**/units/")
    page.keyboard.press("]")
    page.keyboard.press("c")
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text("Ban cars")
