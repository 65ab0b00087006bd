"""Right-to-left and mixed text in the workspace: each paragraph runs in the direction
of its first strong character; marks and their tags never move a word; units are made
by mouse and by keyboard in Arabic and Hebrew; the caret stands at the right edge of
the character after it in right-to-left words; arcs land on the units' boxes, an arc
from one right-to-left row to another as one line."""

import regex
from playwright.sync_api import expect

from annotate import projects, relations, units
from annotate.models import Layer
from tests.e2e.test_arcs import arcs_become
from tests.e2e.test_keyboard import CARET, caret, tab_to_text, unit_quote, utf16
from tests.e2e.test_workspace import SETTLED
from tests.factories import make_article, make_project, make_user, scheme_of

ARABIC = "قال الوزير إن الحكومة ستخفض الضرائب على الوقود في العام المقبل."
HEBREW = "הַמֶּמְשָׁלָה הודיעה כי מחירי הדלק יֵרְדוּ בשנה הבאה."
MIXED_ARABIC = "قال الرئيس Donald Trump إن الحرب انتهت، وأضاف: «نحن منتصرون»."
MIXED_ENGLISH = "The minister said قال الوزير إن الضرائب ستنخفض and then left."
TEXT = "\n".join([ARABIC, HEBREW, MIXED_ARABIC, MIXED_ENGLISH])
RIGHT_TO_LEFT = regex.compile(r"[\p{Script=Arabic}\p{Script=Hebrew}]")

# The words of each line of the text (or of `root`'s lines) in the order they are seen:
# on each row of the line, from the side its paragraph starts on (right to left in a
# right-to-left paragraph); with the line's direction and its number of rows.
VISUAL_WORDS = """(root) => {
  const lines = [...document.querySelectorAll(root)];
  return lines.map((line) => {
    const rtl = getComputedStyle(line).direction === "rtl";
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let node, seen = 0;
    while ((node = walker.nextNode())) { nodes.push([node, seen]); seen += node.length; }
    const point = (offset) => {
      for (const [n, start] of nodes) if (offset < start + n.length) return [n, offset - start];
      const [n, start] = nodes[nodes.length - 1];
      return [n, n.length];
    };
    const words = [];
    for (const match of line.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(...point(match.index));
      range.setEnd(...point(match.index + match[0].length));
      const boxes = [...range.getClientRects()].filter((box) => box.width > 0);
      const left = Math.min(...boxes.map((box) => box.left));
      const right = Math.max(...boxes.map((box) => box.right));
      words.push({ word: match[0], row: Math.round(boxes[0].bottom / 8), x: (left + right) / 2 });
    }
    const rows = [...new Set(words.map((word) => word.row))].sort((a, b) => a - b);
    words.sort((a, b) => a.row - b.row || (rtl ? b.x - a.x : a.x - b.x));
    return { direction: rtl ? "rtl" : "ltr", rows: rows.length, words: words.map((word) => word.word) };
  });
}"""

# A bare copy of each line of the text, without marks or tags: its plain characters in
# a paragraph of their own, in the same column, as the browser lays out the logical order.
BARE_COPY = """() => {
  const copy = document.createElement("div");
  copy.className = "article-text bare-copy";
  for (const line of document.querySelectorAll("#article-text .line")) {
    const paragraph = document.createElement("p");
    paragraph.dir = "auto";
    paragraph.className = "bare-line";
    paragraph.textContent = line.textContent.replace(/\\n$/, "");
    copy.append(paragraph);
  }
  document.querySelector(".arcs-frame").after(copy);
}"""

# The box of the character at a UTF-16 offset of the text: where a drag starts (its
# leading edge: the right one in a right-to-left word) or ends (its trailing edge).
CHARACTER_POINT = """([offset, edge, rtl]) => {
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
  const box = range.getClientRects()[0];
  const atRight = (edge === "leading") === rtl;
  return {x: atRight ? box.right - 1 : box.left + 1, y: box.top + box.height / 2, left: box.left, right: box.right};
}"""


def workspace(page, log_in, *, snapping=True):
    annotator = make_user("layla", password="secret-pass-1")
    project = make_project(slug="rtl", snapping=snapping)
    article = make_article(project, text=TEXT, title="مقال")
    projects.set_member(project=project, user=annotator, role="annotator", by=None)
    projects.assign(article=article, annotators=[annotator], by=None)
    layer = Layer.objects.get(article=article)
    log_in("layla", "secret-pass-1")
    page.set_viewport_size({"width": 1400, "height": 900})
    return layer


def drag(page, start, end):
    """Select TEXT[start:end] (code points, within one run of one direction) with the mouse."""
    page.evaluate(SETTLED)
    rtl = bool(RIGHT_TO_LEFT.match(TEXT[start]))
    first = page.evaluate(CHARACTER_POINT, [utf16(TEXT, start), "leading", rtl])
    last = page.evaluate(CHARACTER_POINT, [utf16(TEXT, end - 1), "trailing", rtl])
    page.mouse.move(first["x"], first["y"])
    page.mouse.down()
    page.mouse.move((first["x"] + last["x"]) / 2, last["y"], steps=5)
    page.mouse.move(last["x"], last["y"], steps=5)
    page.mouse.up()
    return page.evaluate("() => getSelection().toString()")


def visual_order_is_the_bare_one(page):
    """The words of every line, as seen, are those of a bare copy of it without marks."""
    page.evaluate(BARE_COPY)
    marked = page.evaluate(VISUAL_WORDS, "#article-text .line")
    bare = page.evaluate(VISUAL_WORDS, ".bare-copy .bare-line")
    page.evaluate("() => document.querySelector('.bare-copy').remove()")
    assert [line["rows"] for line in marked] == [1, 1, 1, 1]  # each on one row, as its bare copy
    assert marked == bare
    return marked


def test_each_paragraph_runs_in_its_own_direction_and_marks_never_move_a_word(page, log_in, transactional_db):
    layer = workspace(page, log_in)
    page.goto(f"/p/rtl/layers/{layer.pk}/")
    expect(page.locator("#article-text .line")).to_have_count(4)

    unmarked = visual_order_is_the_bare_one(page)
    assert [line["direction"] for line in unmarked] == ["rtl", "rtl", "rtl", "ltr"]
    # A right-to-left paragraph is read from its right: its words in their logical order.
    assert unmarked[0]["words"] == ARABIC.split()
    assert unmarked[1]["words"] == HEBREW.split()
    # The English words in an Arabic paragraph read left to right, in place.
    assert unmarked[2]["words"] == [
        "قال", "الرئيس", "Trump", "Donald", "إن", "الحرب", "انتهت،", "وأضاف:", "«نحن", "منتصرون».",
    ]  # fmt: skip
    assert unmarked[3]["words"] == [
        "The", "minister", "said", "ستنخفض", "الضرائب", "إن", "الوزير", "قال", "and", "then", "left.",
    ]  # fmt: skip

    # By mouse, a unit in the middle of each paragraph (the words before it are the ones
    # that jumped to the other side), one with an English word in it.
    made = []
    for line, quote, key, tag in [
        (ARABIC, "الحكومة ستخفض الضرائب", "c", "Claim"),
        (HEBREW, "מחירי הדלק יֵרְדוּ", "p", "Premise"),
        (MIXED_ARABIC, "الحرب انتهت", "m", "MajorClaim"),
        (MIXED_ENGLISH, "الوزير إن الضرائب", "p", "Premise"),
    ]:
        start = TEXT.index(line) + line.index(quote)
        assert drag(page, start, start + len(quote)) == quote
        page.keyboard.press(key)
        expect(page.locator(".unit-row")).to_have_count(len(made) + 1)
        mark = page.locator(f"#article-text mark[data-tag='{tag}']").last
        unit = mark.get_attribute("data-unit")
        assert unit_quote(page, unit) == quote
        expect(page.locator(f".unit-row[data-unit='{unit}'] .quote")).to_have_text(quote)
        made.append(unit)

    page.evaluate(SETTLED)
    page.screenshot(path="/tmp/rtl-marked.png", caret="initial")
    assert visual_order_is_the_bare_one(page) == unmarked
    # A tag stands before its unit's first word as it is read: right of it in Arabic and
    # Hebrew words, in an English paragraph too.
    for unit, direction in zip(made, ["rtl", "rtl", "rtl", "rtl"], strict=True):
        sides = page.evaluate(
            """(id) => {
              const mark = document.getElementById(`u-${id}`);
              const tag = getComputedStyle(mark, "::before");
              const box = [...mark.getClientRects()].find((rect) => rect.width > 0);
              const range = document.createRange();
              range.selectNodeContents(mark);
              const words = range.getClientRects()[0];
              return box.right - words.right > parseFloat(tag.paddingLeft) ? "rtl" : "ltr";
            }""",
            unit,
        )
        assert sides == direction


def test_units_are_made_from_the_keyboard_in_arabic_and_hebrew_and_the_caret_stands_at_the_right(
    page, log_in, transactional_db
):
    layer = workspace(page, log_in, snapping=False)
    page.goto(f"/p/rtl/layers/{layer.pk}/")
    tab_to_text(page)
    assert caret(page) == 0
    # At the start of an Arabic paragraph, the caret stands at the right edge of its first letter.
    first = page.evaluate(CHARACTER_POINT, [0, "leading", True])
    caret_left = page.evaluate("() => document.querySelector('.text-caret').getBoundingClientRect().left")
    assert abs(caret_left + 1 - first["right"]) <= 1

    # Left goes on through a right-to-left paragraph, Right goes back.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert caret(page) == 2
    page.keyboard.press("ArrowRight")
    assert caret(page) == 1
    # Ctrl+Left to the start of the next word, Ctrl+Shift+Left to the end of words.
    page.keyboard.press("ArrowRight")
    for _ in range(3):
        page.keyboard.press("Control+ArrowLeft")
    quote = "الحكومة ستخفض"
    start = ARABIC.index(quote)
    assert caret(page) == utf16(TEXT, start)
    page.keyboard.press("Control+Shift+ArrowLeft")
    page.keyboard.press("Control+Shift+ArrowLeft")
    assert page.evaluate("() => getSelection().toString()") == quote
    page.keyboard.press("c")
    claim = page.locator("#article-text mark[data-tag='Claim']")
    expect(claim).to_have_count(1)
    assert unit_quote(page, claim.get_attribute("data-unit")) == quote
    end = utf16(TEXT, start + len(quote))
    assert page.evaluate(CARET) == {"focus": end, "anchor": end}

    # Down to the Hebrew paragraph, Home to its start (its right edge), then a word with
    # its niqqud by characters: Shift+Left extends forward through it.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    hebrew = TEXT.index(HEBREW)
    assert caret(page) == utf16(TEXT, hebrew)
    first = page.evaluate(CHARACTER_POINT, [utf16(TEXT, hebrew), "leading", True])
    caret_left = page.evaluate("() => document.querySelector('.text-caret').getBoundingClientRect().left")
    assert abs(caret_left + 1 - first["right"]) <= 1
    word = HEBREW.split()[0]  # הַמֶּמְשָׁלָה: letters with their points
    press = 0
    while page.evaluate("() => getSelection().toString()") != word and press < 40:
        page.keyboard.press("Shift+ArrowLeft")
        press += 1
    assert page.evaluate("() => getSelection().toString()") == word
    assert press == len(regex.findall(r"\X", word))  # a letter and its points are one character
    page.keyboard.press("p")
    premise = page.locator("#article-text mark[data-tag='Premise']")
    expect(premise).to_have_count(1)
    assert unit_quote(page, premise.get_attribute("data-unit")) == word

    # In the mixed paragraph, across the English name inside the Arabic words.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    page.keyboard.press("Control+ArrowLeft")
    quote = "الرئيس Donald Trump"
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowLeft")
    assert page.evaluate("() => getSelection().toString()") == quote
    page.keyboard.press("m")
    major = page.locator("#article-text mark[data-tag='MajorClaim']")
    expect(major).to_have_count(1)
    assert unit_quote(page, major.get_attribute("data-unit")) == quote

    page.evaluate(SETTLED)
    page.screenshot(path="/tmp/rtl-keyboard.png", caret="initial")
    visual_order_is_the_bare_one(page)


def test_arcs_between_units_in_right_to_left_paragraphs_land_on_their_boxes(page, log_in, transactional_db):
    layer = workspace(page, log_in)
    scheme = scheme_of(layer.article.project)

    def unit(line, quote, label):
        start = TEXT.index(line) + line.index(quote)
        return units.create_unit(
            layer=layer, label=scheme[label], spans=[(start, start + len(quote))], user=layer.annotator
        ).unit

    major = unit(ARABIC, "الحكومة ستخفض الضرائب", "MajorClaim")
    reason = unit(ARABIC, "في العام المقبل", "Premise")
    claim = unit(HEBREW, "מחירי הדלק יֵרְדוּ", "Claim")
    linked = [
        relations.create_relation(
            layer=layer, type=scheme["supports"], source=reason, target=major, user=layer.annotator
        ).relation,
        relations.create_relation(
            layer=layer, type=scheme["supports"], source=major, target=claim, user=layer.annotator
        ).relation,
    ]
    page.goto(f"/p/rtl/layers/{layer.pk}/")

    arcs_become(page, [(r.pk, r.source_id, r.target_id) for r in linked])
    # The arc from the Arabic row down to the Hebrew one is one line with one label.
    drawn = page.evaluate(
        """(id) => {
          const arc = document.querySelector(`svg.arcs .arc[data-relation="${id}"]`);
          return [arc.querySelectorAll(".arc-line").length, arc.querySelectorAll(".arc-label").length];
        }""",
        str(linked[1].pk),
    )
    assert drawn == [1, 1]
    page.evaluate(SETTLED)
    page.screenshot(path="/tmp/rtl-arcs.png", caret="initial")
    visual_order_is_the_bare_one(page)
