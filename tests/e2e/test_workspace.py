"""The annotation workspace in a real browser: drag-select, press a key, link, delete, undo."""

import re

from playwright.sync_api import expect

from annotate import projects, units
from annotate.models import ArgumentUnit, Article, Layer, Relation
from annotate.seeding import DEMO_PASSWORD, load_seeds
from tests.factories import make_article, make_project, make_user

# The client rectangle of the character at a UTF-16 offset of the article text.
CHARACTER_BOX = """([offset, edge]) => {
  const text = document.getElementById("article-text");
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
  let node, seen = 0;
  while ((node = walker.nextNode())) {
    if (offset < seen + node.length) break;
    seen += node.length;
  }
  const range = document.createRange();
  range.setStart(node, offset - seen);
  range.setEnd(node, offset - seen + 1);
  let box = range.getClientRects()[0];
  if (edge === "left") {  // bring the selection's start to the middle of the window
    window.scrollBy(0, box.top - window.innerHeight / 2);
    box = range.getClientRects()[0];
  }
  return {x: edge === "left" ? box.left + 1 : box.right - 1, y: box.top + box.height / 2};
}"""


def utf16(text, index):
    return len(text[:index].encode("utf-16-le")) // 2


SETTLED = """() => document.fonts.ready.then(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))
)"""


def drag_select(page, text, start, end):
    """Select text[start:end] (code points) with the mouse, as a person would, once the
    layer's relations are drawn as arcs (which make room above their lines)."""
    expect(page.locator("svg.arcs .arc")).to_have_count(page.locator(".relation-row").count())
    # The text settles where it stays: its fonts loaded and the arcs drawn after them
    # (a frame each), so the boxes measured are where the mouse lands.
    page.evaluate(SETTLED)
    first = page.evaluate(CHARACTER_BOX, [utf16(text, start), "left"])
    last = page.evaluate(CHARACTER_BOX, [utf16(text, end - 1), "right"])
    page.mouse.move(first["x"], first["y"])
    page.mouse.down()
    page.mouse.move((first["x"] + last["x"]) / 2, last["y"], steps=5)
    page.mouse.move(last["x"], last["y"], steps=5)
    page.mouse.up()
    return page.evaluate("() => getSelection().toString()")


def test_annotator_marks_a_claim_links_a_premise_deletes_it_and_undoes(page, log_in, transactional_db):
    load_seeds()
    text = Article.objects.get().text
    log_in("alice", DEMO_PASSWORD)
    page.goto("/p/demo/next/")
    expect(page.get_by_role("heading", name="Did Trump Flinch?")).to_be_visible()

    claim_text = "Israel is now the undisputed regional power"
    start = text.index(claim_text)
    selected = drag_select(page, text, start, start + len(claim_text))
    assert selected == claim_text
    page.keyboard.press("c")

    claim_row = page.locator(".unit-row").filter(has_text="Claim")
    expect(claim_row.locator(".quote")).to_have_text(claim_text)
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(claim_text)
    claim = ArgumentUnit.objects.get()
    assert [(s.start, s.end) for s in claim.spans.all()] == [(start, start + len(claim_text))]

    page.reload()
    expect(page.locator(".unit-row .quote")).to_have_text([claim_text])
    expect(page.locator(f"#u-{claim.pk}")).to_have_attribute("data-tag", "Claim")

    premise_text = "Iran is depleted and banged up"
    start = text.index(premise_text)
    assert drag_select(page, text, start, start + len(premise_text)) == premise_text
    page.keyboard.press("p")
    premise_row = page.locator(".unit-row").filter(has_text="Premise")
    expect(premise_row.locator(".quote")).to_have_text(premise_text)
    # The new premise is chosen: l starts a link, clicking the claim picks the target, s the type.
    expect(premise_row).to_have_class(re.compile("is-selected"))
    page.keyboard.press("l")
    expect(page.locator("#mode-hint")).to_contain_text("Linking from Premise")
    page.locator(f"#u-{claim.pk}").click()
    page.keyboard.press("s")
    relation_row = page.locator(".relation-row")
    expect(relation_row).to_have_count(1)
    expect(relation_row).to_contain_text("supports")
    premise = ArgumentUnit.objects.get(label__name="Premise")
    assert list(Relation.objects.values_list("source", "target", "type__name")) == [(premise.pk, claim.pk, "supports")]

    page.keyboard.press("Delete")
    expect(page.locator(".unit-row")).to_have_count(1)
    expect(relation_row).to_have_count(0)
    assert Relation.objects.count() == 0

    page.keyboard.press("Control+z")
    expect(page.locator(".unit-row")).to_have_count(2)
    expect(page.locator(".relation-row")).to_have_count(1)
    assert list(Relation.objects.values_list("source", "target")) == [(premise.pk, claim.pk)]

    # Choosing the claim shows its incoming relation and the premise at its other end.
    page.locator(".unit-row .unit-pick").filter(has_text="Claim").click()
    expect(page.locator(".relation-row")).to_have_class(re.compile("is-related"))
    expect(page.locator(f"#u-{premise.pk}")).to_have_class(re.compile("is-linked"))


def test_a_unit_after_emoji_quotes_exactly_the_selected_characters(page, log_in, transactional_db):
    annotator = make_user("emma", password="secret-pass-1")
    project = make_project(slug="emoji")
    # n with a combining macron has no precomposed form, so it stays two code points.
    article = make_article(
        project, text="Smile 🙂 and thumbs 👍🏽 up, then: n\u0304ew cities should ban cars 🚗 today."
    )
    text = article.text
    projects.set_member(project=project, user=annotator, role="annotator", by=None)
    projects.assign(article=article, annotators=[annotator], by=None)
    layer = Layer.objects.get(article=article)
    log_in("emma", "secret-pass-1")
    page.goto(f"/p/emoji/layers/{layer.pk}/")

    wanted = "n\u0304ew cities should ban cars"
    start = text.index(wanted)
    assert drag_select(page, text, start, start + len(wanted)) == wanted
    page.keyboard.press("p")

    expect(page.locator(".unit-row .quote")).to_have_text([wanted])
    unit = ArgumentUnit.objects.get()
    assert [(s.start, s.end) for s in unit.spans.all()] == [(start, start + len(wanted))]
    assert text[start : start + len(wanted)] == wanted
    assert page.locator("#article-text").inner_text() == text


def test_linking_from_the_keyboard_alone(page, log_in, transactional_db):
    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text, project = layer.article.text, layer.article.project
    claim_text, premise_text = "So will the ceasefire hold", "Iran is depleted and banged up"
    claim = units.create_unit(
        layer=layer,
        label=project.labels.get(name="Claim"),
        spans=[(text.index(claim_text), text.index(claim_text) + len(claim_text))],
        user=layer.annotator,
    ).unit
    premise = units.create_unit(
        layer=layer,
        label=project.labels.get(name="Premise"),
        spans=[(text.index(premise_text), text.index(premise_text) + len(premise_text))],
        user=layer.annotator,
    ).unit
    log_in("alice", DEMO_PASSWORD)
    page.goto(f"/p/demo/layers/{layer.pk}/")

    page.keyboard.press("]")
    page.keyboard.press("]")  # the premise, second in text order
    expect(page.locator(f"#u-{premise.pk}")).to_have_class(re.compile("is-selected"))
    page.keyboard.press("l")
    page.keyboard.press("]")  # the candidate target steps past the source to the claim
    expect(page.locator(f"#u-{claim.pk}")).to_have_class(re.compile("is-candidate"))
    page.keyboard.press("Enter")
    expect(page.locator("#mode-hint")).to_contain_text("press s supports, a attacks")
    page.keyboard.press("a")

    expect(page.locator(".relation-row")).to_contain_text("attacks")
    assert list(Relation.objects.values_list("source", "target", "type__name")) == [(premise.pk, claim.pk, "attacks")]


def test_curator_downloads_a_csv_export(page, log_in, transactional_db, tmp_path):
    load_seeds()
    layer = Layer.objects.select_related("article__project").get(annotator__username="alice")
    text = layer.article.text
    quote = "Israel is now the undisputed regional power"
    start = text.index(quote)
    units.create_unit(
        layer=layer,
        label=layer.article.project.labels.get(name="MajorClaim"),
        spans=[(start, start + len(quote))],
        user=layer.annotator,
    )
    log_in("curator", DEMO_PASSWORD)
    page.goto("/p/demo/")
    page.get_by_role("link", name="Export").click()
    page.get_by_label("Format:", exact=True).select_option(label="CSV, one row per span")
    page.get_by_label("Layers:", exact=True).select_option(label="Only alice")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()

    path = tmp_path / "export.csv"
    download.value.save_as(path)
    assert download.value.suggested_filename == "demo-csv.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert f",alice,T1,1,MajorClaim,{start},{start + len(quote)},{quote}," in lines[1]


def test_a_stance_key_right_after_the_label_key_sets_the_stance(page, log_in, transactional_db):
    load_seeds()
    text = Article.objects.get().text
    log_in("alice", DEMO_PASSWORD)
    page.goto("/p/demo/next/")
    claim_text = "Israel is now the undisputed regional power"
    start = text.index(claim_text)
    drag_select(page, text, start, start + len(claim_text))

    page.keyboard.press("c")
    expect(page.locator("#article-text mark[data-tag='Claim']")).to_have_text(claim_text)
    page.keyboard.press("1")  # before the unit panel has caught up

    expect(page.locator("#article-text mark[data-tag='Claim · For']")).to_have_text(claim_text)
    assert ArgumentUnit.objects.get().attributes == {"stance": "For"}
