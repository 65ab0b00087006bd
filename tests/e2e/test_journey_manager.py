"""The manager's whole sitting in a real browser: three projects (one per label scheme
preset), members, imports from the Import page, the assignment grid, every export, and
a brat zip imported back into another project. An annotator works in a second browser
alongside, so the assignment and the Webis settings meet real work."""

import csv
import io
import json
import re
import zipfile

from playwright.sync_api import expect

from annotate.models import Layer
from tests.e2e.console import refused
from tests.e2e.test_workspace import drag_select
from tests.factories import make_user

PASSWORD = "secret-pass-1"

SCRAPED_TITLE = "Cities Should Ban Cars From Their Centres"
SCRAPED_BODY = (
    "Cities should ban cars from their centres. Traffic kills thousands every year, and most trips in town are "
    "short.\n\nCritics say shops will suffer, but footfall rises where streets are calm."
)
COOKIE_BANNER = (
    "This website uses cookies to improve your experience. We'll assume you're ok with this, but you can opt-out if "
    "you wish. Accept Read More"
)
SCRAPED_OPED = (
    f"{SCRAPED_TITLE}\r\n\r\nby Jane Doe\r\n2.4K views\r\n\r\n{SCRAPED_BODY}\r\n\r\n\r\n\r\n{COOKIE_BANNER}\r\n"
)
ONE_LINE_TITLE = "Iran deal"
ONE_LINE_OPED = (
    "The Iran deal was never perfect, but walking away from it left the region less safe and the West with "
    "fewer options.\n"
)
PAGE_TITLE = "Schools should ban phones in class"
WEB_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{PAGE_TITLE}</title></head>
<body>
<nav><a href="/">Home</a> <a href="/opinion">Opinion</a></nav>
<article>
<h1>{PAGE_TITLE}</h1>
<p>Every teacher knows the sound of a phone buzzing in a bag, and every teacher knows what happens next: thirty
heads turn, and the lesson is gone for a minute.</p>
<p>Schools should ban phones in class. Children learn less when their attention is split, and the studies that
followed bans in several countries found test scores rose most for the weakest pupils.</p>
<p>Critics say parents need to reach their children, but the school office has a telephone, as it always had.</p>
</article>
<footer>© 2026 The Daily Op. All rights reserved.</footer>
</body></html>
"""
WEBIS_TITLE = "Libraries are worth every penny"
WEBIS_OPED = (
    f"{WEBIS_TITLE}\n\nby Sam Reed\n\nLibraries are worth every penny the town spends on them. Last winter my "
    "neighbour learned to code at the branch on Mill Street, and she now works for a firm in the city.\n"
)

PRESETS = [
    ("Op-eds 2026", "opeds-2026", "Argument Annotated Essays"),
    ("Op-eds premise–conclusion", "opeds-pc", "Premise–Conclusion"),
    ("Editorials Webis", "editorials-webis", "Webis editorials"),
]
SHOTS = iter(range(1, 100))


def shot(page):
    page.screenshot(path=f"/tmp/manager-{next(SHOTS)}.png", full_page=True, caret="initial")


def upload(page, file_name, content, *, preview_counts=None, choices=()):
    """Choose a file on the Import page, preview it (when `preview_counts` is given, the
    preview's counts must read so), then import it and land on the article list."""
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Import").click()
    page.get_by_label(re.compile(r"^Files")).set_input_files(
        files=[{"name": file_name, "mimeType": "application/octet-stream", "buffer": content}]
    )
    for label, option in choices:
        page.get_by_label(label).select_option(label=option)
    if preview_counts is not None:
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#import-preview .error")).to_have_text([])  # no problems
        expect(page.locator("#import-preview h2")).to_have_text("Ready to import")
        expect(page.locator("#import-preview .pill")).to_have_text(preview_counts)
        shot(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Articles", exact=True)).to_be_visible()


def annotate_span(page, text, quote, key):
    start = text.index(quote)
    assert drag_select(page, text, start, start + len(quote)) == quote
    page.keyboard.press(key)
    expect(page.locator(".unit-row .quote").filter(has_text=quote)).to_have_count(1)


def download(page, format_label):
    page.get_by_label("Format").select_option(label=format_label)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    return info.value.suggested_filename, open(info.value.path(), "rb").read()


def test_manager_sets_up_three_schemes_imports_assigns_and_exports_everything(
    page, log_in, new_context, transactional_db, expect_console_errors
):
    expect_console_errors(refused(422))  # taking alice off the article she has started
    morgan = make_user("morgan", password=PASSWORD)
    morgan.is_staff = True  # who may create projects: staff, by default
    morgan.save()
    for name in ("alice", "bob", "carol"):
        make_user(name, password=PASSWORD)

    log_in("morgan", PASSWORD)
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()

    # A project with each preset, through the "New project" form.
    for name, slug, preset in PRESETS:
        page.get_by_role("link", name="Argument annotator").click()
        page.get_by_role("link", name="New project").click()
        page.get_by_label("Name").fill(name)
        page.get_by_label("Slug").fill(slug)
        page.get_by_label("Label scheme").select_option(label=preset)
        if slug == "opeds-2026":
            shot(page)
        page.get_by_role("button", name="Create project").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        expect(page.get_by_role("status")).to_have_text(f"Project “{name}” created. Add members and articles next.")

        page.get_by_role("navigation", name="Project").get_by_role("link", name="Members").click()
        for username, role in (("alice", "Annotator"), ("bob", "Annotator"), ("carol", "Curator")):
            page.get_by_label("Username:", exact=True).fill(username)
            page.get_by_label("Role:", exact=True).select_option(label=role)
            page.get_by_role("button", name="Save member").click()
            expect(page.locator("#members tbody tr").filter(has_text=username)).to_contain_text(role)
        expect(page.locator("#members tbody tr")).to_have_count(4)
    shot(page)

    # The Webis scheme: evidence types with their roles, and no relation types.
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Labels").click()
    label_rows = page.locator("table").first.locator("tbody tr")
    expect(label_rows.locator("td:nth-child(2)")).to_have_text(
        ["assumption", "anecdote", "testimony", "statistics", "common-ground", "other"]
    )
    expect(label_rows.locator("td:nth-child(3)")).to_have_text(
        ["Claim", "Premise", "Premise", "Premise", "Premise", "Other"]
    )
    expect(page.get_by_text("This scheme has no relation types")).to_be_visible()
    shot(page)
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Settings").click()
    page.get_by_label("Structure checks block").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.get_by_label("Structure checks block")).to_be_checked()

    # One article for the Webis project, given to the least-loaded annotator.
    upload(page, "libraries.txt", WEBIS_OPED.encode())
    expect(page.get_by_role("link", name=WEBIS_TITLE)).to_be_visible()
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Assignment").click()
    page.get_by_label("Annotators per article").fill("1")
    page.get_by_role("button", name="Assign, least loaded first").click()
    expect(page.get_by_role("status")).to_have_text("1 assignment added to the articles.")
    expect(page.get_by_label(f"Assign “{WEBIS_TITLE}” to alice")).to_be_checked()

    # The main project: a scraped op-ed, a one-line text and a web page, each previewed first.
    page.goto("/p/opeds-2026/")
    upload(page, "cities-cars.txt", SCRAPED_OPED.encode(), preview_counts=one_article())
    upload(page, "iran-deal.txt", ONE_LINE_OPED.encode(), preview_counts=one_article())
    upload(page, "school-phones.html", WEB_PAGE.encode(), preview_counts=one_article())
    titles = [SCRAPED_TITLE, ONE_LINE_TITLE, PAGE_TITLE]
    expect(page.locator("main table tbody tr td:first-child a")).to_have_text(titles)
    shot(page)

    # The assignment grid: two rows ticked, one Save, both kept.
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Assignment").click()
    page.get_by_label(f"Assign “{SCRAPED_TITLE}” to alice").check()
    page.get_by_label(f"Assign “{ONE_LINE_TITLE}” to bob").check()
    page.get_by_role("button", name="Save this page").click()
    expect(page.get_by_role("status")).to_have_text("Saved: 2 assignments added, 0 removed.")
    page.reload()
    assert_ticks(page, {(SCRAPED_TITLE, "alice"), (ONE_LINE_TITLE, "bob")}, titles)
    shot(page)

    # alice, in her own browser, works on both projects.
    alice = new_context()
    desk = alice.new_page()
    desk.goto("/accounts/login/")
    desk.get_by_label("Username").fill("alice")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()

    desk.goto("/p/editorials-webis/")
    desk.get_by_role("link", name="Next article").click()
    expect(desk.get_by_role("heading", name=WEBIS_TITLE)).to_be_visible()
    keys = desk.locator("details.keys dt")
    expect(keys.filter(has_text=re.compile(r"^l$"))).to_have_count(0)
    expect(desk.locator("details.keys")).not_to_contain_text("link the chosen unit")
    webis_text = desk.locator("#article-text").inner_text()
    annotate_span(desk, webis_text, "Libraries are worth every penny the town spends on them", "a")
    annotate_span(desk, webis_text, "my neighbour learned to code at the branch on", "n")
    desk.get_by_role("button", name="Mark finished").click()
    expect(desk.locator(".findings")).to_have_text("Marked finished: the structure checks found nothing.")
    expect(desk.locator("#layer-bar .status")).to_have_text("Finished")
    desk.screenshot(path="/tmp/manager-webis-workspace.png", full_page=True, caret="initial")

    desk.goto("/p/opeds-2026/next/")
    expect(desk.get_by_role("heading", name=SCRAPED_TITLE)).to_be_visible()
    oped_text = desk.locator("#article-text").inner_text()
    annotate_span(desk, oped_text, "Cities should ban cars from their centres", "m")
    annotate_span(desk, oped_text, "Traffic kills thousands every year", "p")
    desk.keyboard.press("l")
    desk.locator("#article-text mark[data-tag='MajorClaim']").click()
    desk.keyboard.press("s")
    expect(desk.locator(".relation-row")).to_contain_text("supports")
    alice.close()

    # Taking alice off the article she has worked on is refused, and nothing changes.
    page.reload()
    page.get_by_label(f"Assign “{SCRAPED_TITLE}” to alice").uncheck()
    page.get_by_role("button", name="Save this page").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Nothing was saved. alice already started “{SCRAPED_TITLE}”; their work cannot be unassigned."
    )
    shot(page)
    page.reload()
    assert_ticks(page, {(SCRAPED_TITLE, "alice"), (ONE_LINE_TITLE, "bob")}, titles)
    assert Layer.objects.filter(article__project__slug="opeds-2026", annotator__username="alice").count() == 1

    # Every export, each file well-formed and holding what the project has.
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Export").click()
    shot(page)
    name, jsonl = download(page, "Native JSON Lines (lossless)")
    assert name == "opeds-2026-jsonl.jsonl"
    lines = [json.loads(line) for line in jsonl.decode().splitlines()]
    assert [line["title"] for line in lines] == titles
    assert [
        [(layer["owner"], len(layer["units"]), len(layer["relations"])) for layer in line["layers"]] for line in lines
    ] == [
        [("alice", 2, 1)],
        [("bob", 0, 0)],
        [],
    ]
    cities = lines[0]
    assert [unit["text"] for unit in cities["layers"][0]["units"]] == [
        ["Cities should ban cars from their centres"],
        ["Traffic kills thousands every year"],
    ]
    assert lines[1]["text"] == ONE_LINE_OPED.strip()
    assert (cities["text"], cities["author"]) == (SCRAPED_BODY, "Jane Doe")

    name, brat = download(page, "brat standoff (zip)")
    assert name == "opeds-2026-brat.zip"
    stems = [f"{line['id']}-cities-should-ban-cars-from-their-centres" for line in lines[:1]]
    stems.append(f"{lines[1]['id']}-iran-deal")
    with zipfile.ZipFile(io.BytesIO(brat)) as archive:
        assert sorted(archive.namelist()) == sorted(
            [
                "annotation.conf",
                "visual.conf",
                f"{stems[0]}.article.json",
                f"alice/{stems[0]}.txt",
                f"alice/{stems[0]}.ann",
                f"{stems[1]}.article.json",
                f"bob/{stems[1]}.txt",
                f"bob/{stems[1]}.ann",
            ]
        )
        ann = archive.read(f"alice/{stems[0]}.ann").decode().splitlines()
        assert [line.split("\t")[0] for line in ann] == ["T1", "T2", "R1"]
        assert ann[2].split("\t")[1] == "supports Arg1:T2 Arg2:T1"
        assert archive.read(f"bob/{stems[1]}.ann") == b""

    name, conll = download(page, "CoNLL / BIO tokens")
    assert name == "opeds-2026-conll.conll"
    conll_lines = conll.decode().splitlines()
    assert [line for line in conll_lines if line.startswith("#")] == [
        f"# article: {lines[0]['id']} {SCRAPED_TITLE}",
        "# layer: alice",
        f"# article: {lines[1]['id']} {ONE_LINE_TITLE}",
        "# layer: bob",
    ]
    rows = [line.split("\t") for line in conll_lines if line and not line.startswith("#")]
    assert {len(row) for row in rows} == {3}
    assert [
        row[1] for row in rows if row[2] != "O"
    ] == "Cities should ban cars from their centres Traffic kills thousands every year".split()
    assert [row[2] for row in rows if row[2].startswith("B-")] == ["B-MajorClaim", "B-Premise"]

    name, table = download(page, "CSV, one row per span")
    assert name == "opeds-2026-csv.csv"
    assert table.startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    csv_rows = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))
    assert csv_rows[0] == [
        "article_id",
        "article_title",
        "layer",
        "unit_id",
        "span",
        "label",
        "start",
        "end",
        "text",
        "stance",
        "relations",
    ]
    assert [(row[1], row[2], row[5], row[8]) for row in csv_rows[1:]] == [
        (SCRAPED_TITLE, "alice", "MajorClaim", "Cities should ban cars from their centres"),
        (SCRAPED_TITLE, "alice", "Premise", "Traffic kills thousands every year"),
    ]

    name, aif = download(page, "AIF JSON (AIFdb, OVA; zip)")
    assert name == "opeds-2026-aif.zip"
    with zipfile.ZipFile(io.BytesIO(aif)) as archive:
        assert sorted(archive.namelist()) == sorted([f"alice/{stems[0]}.json", f"bob/{stems[1]}.json"])
        graph = json.loads(archive.read(f"alice/{stems[0]}.json"))
        assert [(node["type"], node["text"]) for node in graph["nodes"]] == [
            ("I", "Cities should ban cars from their centres"),
            ("I", "Traffic kills thousands every year"),
            ("RA", "Default Inference"),
        ]
        assert len(graph["edges"]) == 2

    # The brat zip goes back in through another project's Import page.
    page.goto("/p/opeds-pc/")
    upload(
        page,
        "opeds-2026-brat.zip",
        brat,
        choices=[
            ("Labels, relation types or attribute values the scheme lacks", "are added to the scheme"),
            ("Layers the project already has, with units", "are skipped: left as they are"),
        ],
        preview_counts=["2 new articles", "0 already there", "2 layers", "2 units", "1 relation"],
    )
    expect(page.locator("main table tbody tr td:first-child a")).to_have_text(titles[:2])
    expect(page.locator("main table tbody tr td:nth-child(2)")).to_have_text(["Jane Doe", ""])
    shot(page)


def one_article():
    return ["1 new article", "0 already there", "0 layers", "0 units", "0 relations"]


def assert_ticks(page, wanted, titles):
    for title in titles:
        for annotator in ("alice", "bob"):
            box = page.get_by_label(f"Assign “{title}” to {annotator}")
            if (title, annotator) in wanted:
                expect(box).to_be_checked()
            else:
                expect(box).not_to_be_checked()
