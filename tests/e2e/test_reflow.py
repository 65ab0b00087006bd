"""Every page works on a phone (390 × 844) and at 200 % zoom (WCAG 1.4.10, reflow): the
page never scrolls sideways, the workspace's and the review's panels go under the text
instead of over it, the text keeps a readable measure, and axe finds nothing serious.

200 % zoom of a 1280 × 900 window is a 640 × 450 window of CSS pixels drawn with two
device pixels to each: the viewport below, with `device_scale_factor` 2. Chromium's page
zoom changes exactly that ratio, so media queries, layout and the pixels drawn are the
same as in a zoomed window."""

import pytest
from playwright.sync_api import expect

from annotate.lifecycle import finish_layer
from annotate.models import Layer
from annotate.seeding import DEMO_PASSWORD
from tests.e2e.conftest import _flush
from tests.e2e.test_accessibility import annotate_demo, serious_violations

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
ZOOMED = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}
SIZES = {"390 px": PHONE, "1280 px at 200 %": ZOOMED}

# page → who looks at it, and its address ({layer} and {article} filled in).
PAGES = {
    "workspace": ("alice", "/p/demo/layers/{layer}/"),
    "review, text with lanes": ("curator", "/p/demo/articles/{article}/review/"),
    "review, table of units": ("curator", "/p/demo/articles/{article}/review/?view=table"),
    "map": ("alice", "/p/demo/layers/{layer}/map/"),
    "agreement": ("manager", "/p/demo/agreement/"),
    "import": ("manager", "/p/demo/import/"),
    "project": ("manager", "/p/demo/"),
    "article list": ("manager", "/p/demo/articles/"),
    "assignment": ("manager", "/p/demo/assignment/"),
    "team": ("manager", "/p/demo/team/"),
    "labels": ("manager", "/p/demo/scheme/"),
    "members": ("manager", "/p/demo/members/"),
}


def finished_demo() -> Layer:
    """The annotated demo with both annotators' layers finished, so that the agreement
    page has its figures and tables. Returns alice's layer."""
    alice = annotate_demo()
    for layer in Layer.objects.filter(article=alice.article, annotator__isnull=False).select_related("annotator"):
        finish_layer(layer=layer, user=layer.annotator, confirmed=True)
    return alice


@pytest.fixture
def sized_context(browser, browser_context_args, console_watch):
    """A browser context of the given size (one of SIZES), watched like every other."""
    contexts = []

    def make(size: str):
        context = browser.new_context(**{**browser_context_args, **SIZES[size]})
        context.set_default_timeout(10_000)
        console_watch.watch_context(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        _flush(context)
        context.close()


def open_as(sized_context, size: str, username: str, address: str):
    page = sized_context(size).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(address)
    page.wait_for_load_state("networkidle")
    return page


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def characters_per_line(page, selector: str) -> float:
    """The average number of characters on a row of the longest line (paragraph) of the
    text: its characters over the rows the browser broke it into."""
    return page.evaluate(
        """(selector) => {
            const lines = [...document.querySelectorAll(selector)];
            const line = lines.reduce((a, b) => (b.textContent.length > a.textContent.length ? b : a));
            const range = document.createRange();
            range.selectNodeContents(line);
            const rows = new Set([...range.getClientRects()].map((rect) => Math.round(rect.bottom)));
            return line.textContent.length / rows.size;
        }""",
        selector,
    )


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_does_not_scroll_sideways_and_axe_finds_nothing_serious(name, size, sized_context, transactional_db):
    layer = finished_demo()
    username, address = PAGES[name]
    page = open_as(sized_context, size, username, address.format(layer=layer.pk, article=layer.article.pk))

    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] == width[1]
    assert serious_violations(page) == []


@pytest.mark.parametrize("size", list(SIZES))
def test_workspace_panel_is_a_section_under_the_text(size, sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, size, "alice", f"/p/demo/layers/{layer.pk}/")
    text, panel = box(page, ".ws-main"), box(page, ".ws-side")

    assert overlaps(text, panel) is False
    assert panel["y"] >= text["y"] + text["height"]
    assert (panel["x"], panel["width"]) == (text["x"], text["width"])


def test_workspace_text_keeps_a_readable_measure_at_200_percent(sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, "1280 px at 200 %", "alice", f"/p/demo/layers/{layer.pk}/")

    assert characters_per_line(page, "#article-text .line") >= 55


def test_workspace_text_keeps_a_readable_measure_on_a_phone(sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, "390 px", "alice", f"/p/demo/layers/{layer.pk}/")

    assert characters_per_line(page, "#article-text .line") >= 35


def test_arcs_fold_to_the_relation_list_on_a_phone(sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, "390 px", "alice", f"/p/demo/layers/{layer.pk}/")

    expect(page.locator("svg.arcs")).to_be_hidden()
    expect(page.locator(".arcs-folded")).to_have_text(
        "At this width the relations are not drawn over the text: they are listed under it, in Relations."
    )
    page.locator(".arcs-folded").get_by_role("link", name="Relations").click()
    expect(page.locator("#unit-panel .relation-row")).to_have_count(2)
    expect(page.locator("#unit-panel .relation-row").first).to_be_in_viewport()
    # A line that carries arcs keeps the spacing of the lines without them.
    heights = page.evaluate(
        "[...document.querySelectorAll('#article-text .line')].map((line) => getComputedStyle(line).lineHeight)"
    )
    assert len(set(heights)) == 1


def test_arcs_stay_over_the_text_at_200_percent(sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, "1280 px at 200 %", "alice", f"/p/demo/layers/{layer.pk}/")

    expect(page.locator(".arcs-folded")).to_be_hidden()
    expect(page.locator("svg.arcs .arc")).to_have_count(2)
    labels = [page.locator("svg.arcs .arc-tag").nth(i).bounding_box() for i in range(2)]
    assert overlaps(*labels) is False


@pytest.mark.parametrize("size", list(SIZES))
def test_keys_help_is_reached_from_the_layer_bar(size, sized_context, transactional_db):
    layer = Layer.objects.get(pk=annotate_demo().pk)  # in progress: the keys are offered
    page = open_as(sized_context, size, "alice", f"/p/demo/layers/{layer.pk}/")

    page.get_by_role("link", name="Units, relations and keys").click()

    expect(page.get_by_role("complementary", name="Units and relations")).to_be_in_viewport()
    page.locator(".keys").scroll_into_view_if_needed()
    expect(page.locator(".keys summary")).to_have_text("Keys")
    expect(page.locator(".keys dl")).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_review_gold_panel_goes_under_the_lanes_which_stay_usable(size, sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, size, "curator", f"/p/demo/articles/{layer.article.pk}/review/")
    curation, gold = box(page, "#curation"), box(page, ".review-gold")

    assert overlaps(curation, gold) is False
    assert gold["y"] >= curation["y"] + curation["height"]
    # Every bar lies inside the text's box, and pointing at one says what it is.
    bars = page.evaluate("""[...document.querySelectorAll('#curation .frag')].map((bar) => {
        const r = bar.getBoundingClientRect(); return [r.left, r.right]; })""")
    assert [bar for bar in bars if bar[0] < curation["x"] or bar[1] > curation["x"] + curation["width"]] == []
    page.locator("#curation .lane-unit").first.locator(".frag").first.hover()
    expect(page.locator("#curation-readout")).not_to_be_empty()


@pytest.mark.parametrize("size", list(SIZES))
def test_review_table_stays_in_the_window_with_gold_under_it(size, sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, size, "curator", f"/p/demo/articles/{layer.article.pk}/review/?view=table")
    layers, gold = box(page, ".review-layers"), box(page, ".review-gold")
    width = page.evaluate("document.documentElement.clientWidth")

    assert overlaps(layers, gold) is False
    assert layers["x"] + layers["width"] <= width
    adopt = page.get_by_role("button", name="Adopt").first
    adopt_box = adopt.bounding_box()
    assert adopt_box["x"] + adopt_box["width"] <= layers["x"] + layers["width"]


@pytest.mark.parametrize(("size", "scrolls"), [("390 px", True), ("1280 px at 200 %", False)])
def test_map_fits_or_scrolls_inside_its_own_frame(size, scrolls, sized_context, transactional_db):
    layer = finished_demo()
    page = open_as(sized_context, size, "alice", f"/p/demo/layers/{layer.pk}/map/")
    frame = page.get_by_role("region", name="Argument map (scrolls when wider than the window)")
    width = page.evaluate("document.documentElement.clientWidth")
    frame_box = frame.bounding_box()

    assert frame_box["x"] + frame_box["width"] <= width
    assert frame.evaluate("(frame) => frame.scrollWidth > frame.clientWidth") is scrolls
    assert frame.evaluate("(frame) => getComputedStyle(frame).overflowX") == "auto"
