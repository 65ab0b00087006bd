"""The highlighted text keeps the article's characters exactly; structure checks and the outline."""

import re
from html import unescape

from hypothesis import given
from hypothesis import strategies as st

from annotate.structure import Finding, Link, Scheme, SchemeLabel, Unit, check, outline, plural
from annotate.views.highlight import Highlight, lanes, line_starts, render

AAE = Scheme(
    labels=(
        SchemeLabel("MajorClaim", "main"),
        SchemeLabel("Claim", "claim", stance=True),
        SchemeLabel("Premise", "premise"),
    ),
    relation_types=("supports", "attacks"),
)
WEBIS = Scheme(
    labels=(
        SchemeLabel("assumption", "claim"),
        SchemeLabel("anecdote", "premise"),
        SchemeLabel("testimony", "premise"),
        SchemeLabel("statistics", "premise"),
        SchemeLabel("common-ground", "premise"),
        SchemeLabel("other", "other"),
    ),
)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_highlighted_text_holds_exactly_the_article_characters():
    text = "A <b> & 🙂 B\n\nC 👍🏽 e\u0301 D"
    html = render(text, [Highlight(1, 7, "Claim", ((0, 5),)), Highlight(2, 8, "Premise", ((2, 9), (14, 17)))])

    assert text_of(html) == text


def test_overlapping_units_nest_and_a_discontinuous_unit_is_one_unit():
    text = "abcdefghij"
    html = render(text, [Highlight(1, 7, "Claim", ((0, 6),)), Highlight(2, 8, "Premise", ((4, 8),))])

    assert html == (
        '<span class="line" dir="auto" id="line-0">'
        '<mark class="u label-7 lane-0" data-unit="1" id="u-1" data-tag="Claim">abcd</mark>'
        '<mark class="u label-7 lane-0" data-unit="1"><mark class="u label-8 lane-1" data-unit="2" id="u-2" '
        'data-tag="Premise">ef</mark></mark>'
        '<mark class="u label-8 lane-1" data-unit="2">gh</mark>ij</span>'
    )
    discontinuous = render(text, [Highlight(3, 7, "Premise", ((0, 2), (5, 7)))])
    assert discontinuous == (
        '<span class="line" dir="auto" id="line-0">'
        '<mark class="u label-7 lane-0" data-unit="3" id="u-3" data-tag="Premise">ab</mark>cde'
        '<mark class="u label-7 lane-0 later" data-unit="3">fg</mark>hij</span>'
    )


def test_only_a_units_later_spans_are_marked_later_not_a_span_cut_by_another_unit_or_a_line_break():
    """`later` (drawn dashed) marks the second and later spans of a discontinuous unit;
    the pieces of one span, cut where a nested unit starts or ends or at a line break,
    are that span and stay unmarked (solid)."""
    text = "one two three\nfour five six seven"
    claim = Highlight(1, 7, "Claim", ((0, 18),))  # "one two three\nfour": one span over a line break
    premise = Highlight(2, 8, "Premise", ((4, 7),))  # "two", nested in the claim
    discontinuous = Highlight(3, 9, "Premise", ((19, 23), (24, 34)))  # "five", then "six seven"
    inside = Highlight(4, 7, "Claim", ((28, 31),))  # "sev", nested in the later span

    html = render(text, [claim, premise, discontinuous, inside])

    assert marked(html) == [
        (1, "one ", False), (1, "two", False), (2, "two", False), (1, " three\n", False),
        (1, "four", False), (3, "five", False),
        (3, "six ", True), (3, "sev", True), (4, "sev", False), (3, "en", True),
    ]  # fmt: skip
    # A line drawn alone (as a change's answer draws it) marks the same pieces.
    assert marked(render(text, [claim, premise, discontinuous, inside], within=(14, 34))) == marked(html)[4:]


def marked(html: str) -> list[tuple[int, str, bool]]:
    """Each piece of text each unit's marks hold: (unit, text, whether it is marked later)."""
    pieces, open_marks = [], []
    for tag, chunk in re.findall(r"(<[^>]+>)|([^<]+)", html):
        if tag.startswith("<mark"):
            unit = int(re.search(r'data-unit="(\d+)"', tag)[1])
            open_marks.append((unit, "later" in re.search(r'class="([^"]*)"', tag)[1].split()))
        elif tag == "</mark>":
            open_marks.pop()
        elif chunk:
            pieces += [(unit, unescape(chunk), later) for unit, later in open_marks]
    return pieces


@given(
    st.text(alphabet="ab \n", min_size=1, max_size=40),
    st.lists(st.lists(st.integers(0, 40), min_size=2, max_size=6, unique=True), max_size=5),
    st.data(),
)
def test_a_piece_is_marked_later_exactly_when_it_lies_past_its_units_first_span(text, raw_units, data):
    items = []
    for number, raw in enumerate(raw_units, start=1):
        cuts = sorted(offset for offset in raw if offset <= len(text))
        spans = tuple((start, end) for start, end in zip(cuts[::2], cuts[1::2], strict=False) if start < end)
        if spans:
            items.append(Highlight(number, 7, f"L{number}", spans))
    first_end = {item.unit_id: item.spans[0][1] for item in items}
    whole = render(text, items)
    line = data.draw(st.sampled_from(line_starts(text)))

    assert render(text, items, within=(line, line + 1)) in whole
    offset = 0
    for tag, chunk in re.findall(r"(<[^>]+>)|([^<]+)", whole):
        if tag.startswith("<mark"):
            unit = int(re.search(r'data-unit="(\d+)"', tag)[1])
            assert ("later" in re.search(r'class="([^"]*)"', tag)[1].split()) == (offset >= first_end[unit])
        offset += len(unescape(chunk))
    assert text_of(whole) == text


def test_each_line_is_drawn_on_its_own_with_lanes_of_its_own():
    text = "ab cd\nef gh\n\nij"
    items = [Highlight(1, 7, "Claim", ((1, 8),)), Highlight(2, 8, "Premise", ((3, 5),))]

    assert line_starts(text) == (0, 6, 12, 13)
    assert render(text, items) == (
        '<span class="line" dir="auto" id="line-0">'
        'a<mark class="u label-7 lane-0" data-unit="1" id="u-1" data-tag="Claim">b '
        '</mark><mark class="u label-7 lane-0" data-unit="1"><mark class="u label-8 lane-1" data-unit="2" id="u-2" '
        'data-tag="Premise">cd</mark></mark><mark class="u label-7 lane-0" data-unit="1">\n</mark></span>'
        '<span class="line" dir="auto" id="line-6"><mark class="u label-7 lane-0" data-unit="1">ef</mark> gh\n</span>'
        '<span class="line" dir="auto" id="line-12">\n</span>'
        '<span class="line" dir="auto" id="line-13">ij</span>'
    )
    # The second line alone, as the answer to a change sends it: the unit's id and tag
    # stay where it starts, on the first line.
    assert render(text, items, within=(6, 12), oob=True) == (
        '<span class="line" dir="auto" id="line-6" hx-swap-oob="true">'
        '<mark class="u label-7 lane-0" data-unit="1">ef</mark>'
        " gh\n</span>"
    )


@given(
    st.text(alphabet="ab \n🙂", min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12)), max_size=6),
    st.data(),
)
def test_a_line_drawn_alone_is_that_line_of_the_whole_text(text, raw_spans, data):
    items = [
        Highlight(number, number % 3, f"L{number}", ((start, min(start + length, len(text))),))
        for number, (start, length) in enumerate(raw_spans, start=1)
        if start < len(text)
    ]
    whole = render(text, items)
    line = data.draw(st.sampled_from(line_starts(text)))

    alone = render(text, items, within=(line, line + 1))

    assert alone in whole
    assert alone.startswith(f'<span class="line" dir="auto" id="line-{line}">')
    assert text_of(whole) == text


def test_units_that_do_not_overlap_share_a_lane():
    items = [Highlight(1, 1, "", ((0, 5),)), Highlight(2, 1, "", ((5, 9),)), Highlight(3, 1, "", ((3, 7),))]

    assert lanes(items) == {1: 0, 3: 1, 2: 0}


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 10)), max_size=25))
def test_each_unit_takes_the_lowest_lane_no_overlapping_unit_before_it_took(extents):
    items = [Highlight(number, 1, "", ((start, start + length),)) for number, (start, length) in enumerate(extents)]
    given_lanes = lanes(items)

    placed = []  # (start, end, lane) in the order lanes are given: by start, longer first
    for item in sorted(items, key=lambda h: (h.spans[0][0], -h.spans[0][1], h.unit_id)):
        ((start, end),) = item.spans
        taken = {lane for other_start, other_end, lane in placed if other_start < end and start < other_end}
        assert given_lanes[item.unit_id] == min(set(range(len(taken) + 1)) - taken)
        placed.append((start, end, given_lanes[item.unit_id]))


def units(*rows):
    return [Unit(id, label, attributes, f"text {id}", start) for id, label, attributes, start in rows]


def test_a_well_formed_layer_has_no_findings():
    layer = units((1, "MajorClaim", {}, 0), (2, "Claim", {"stance": "For"}, 10), (3, "Premise", {}, 20))

    assert check(layer, [Link(3, 2, "supports")], scheme=AAE) == []


def test_structure_checks_report_every_problem_with_its_units():
    layer = units(
        (1, "MajorClaim", {}, 0),
        (2, "MajorClaim", {}, 5),
        (3, "Claim", {}, 10),
        (4, "Premise", {}, 20),
        (5, "Premise", {}, 30),
        (6, "Premise", {}, 40),
    )
    links = [Link(5, 6, "supports"), Link(6, 5, "supports")]

    assert check(layer, links, scheme=AAE) == [
        Finding("There should be exactly one MajorClaim; there are 2.", (1, 2)),
        Finding("1 Premise not linked to any other unit.", (4,)),
        Finding("These units support each other in a circle.", (5, 6)),
        Finding("1 Claim without a stance.", (3,)),
    ]


def test_attacks_in_a_circle_are_not_a_support_cycle():
    layer = units((1, "MajorClaim", {}, 0), (2, "Premise", {}, 5), (3, "Premise", {}, 9))

    assert check(layer, [Link(2, 3, "attacks"), Link(3, 2, "supports")], scheme=AAE) == []


def shape(nodes):
    return [(node.unit.id, node.edge, shape(node.children)) for node in nodes]


def test_outline_hangs_claims_under_the_major_claim_by_stance_and_premises_under_their_targets():
    layer = units(
        (1, "MajorClaim", {}, 50),
        (2, "Claim", {"stance": "Against"}, 10),
        (3, "Claim", {"stance": "For"}, 0),
        (4, "Premise", {}, 20),
        (5, "Premise", {}, 30),
        (6, "Premise", {}, 40),
    )
    links = [Link(4, 2, "attacks"), Link(5, 4, "supports")]

    tree = outline(layer, links, scheme=AAE)

    assert shape(tree.roots) == [(1, "", [(3, "For", []), (2, "Against", [(4, "attacks", [(5, "supports", [])])])])]
    assert [unit.id for unit in tree.loose] == [6]


def test_outline_without_a_major_claim_starts_from_the_tops_of_chains():
    layer = units((1, "Claim", {"stance": "For"}, 0), (2, "Premise", {}, 10))

    tree = outline(layer, [Link(2, 1, "supports")], scheme=AAE)

    assert shape(tree.roots) == [(1, "", [(2, "supports", [])])]
    assert tree.loose == []


def test_a_main_conclusion_label_that_is_not_first_in_the_scheme_is_the_main_conclusion():
    scheme = Scheme(
        labels=(SchemeLabel("Reason", "premise"), SchemeLabel("Thesis", "main")), relation_types=("supports",)
    )
    layer = units((1, "Reason", {}, 0), (2, "Thesis", {}, 10))

    assert check(layer, [Link(1, 2, "supports")], scheme=scheme) == []
    assert check(layer[:1], [], scheme=scheme) == [
        Finding("There should be exactly one Thesis; there are 0.", ()),
        Finding("1 Reason not linked to any other unit.", (1,)),
    ]
    assert shape(outline(layer, [Link(1, 2, "supports")], scheme=scheme).roots) == [(2, "", [(1, "supports", [])])]


def test_a_scheme_without_relation_types_never_asks_for_links_or_a_main_conclusion():
    layer = units(
        (1, "assumption", {}, 0),
        (2, "assumption", {}, 10),
        (3, "assumption", {}, 20),
        (4, "statistics", {}, 30),
        (5, "anecdote", {}, 40),
        (6, "other", {}, 50),
    )

    assert check(layer, [], scheme=WEBIS) == []


def test_a_scheme_without_relation_types_has_no_support_cycle_to_find():
    scheme = Scheme(labels=(SchemeLabel("Claim", "claim"), SchemeLabel("Premise", "premise")))
    layer = units((1, "Premise", {}, 0), (2, "Premise", {}, 10))

    assert check(layer, [Link(1, 2, "supports"), Link(2, 1, "supports")], scheme=scheme) == []


def test_claims_without_a_stance_attribute_need_a_link_and_other_units_never_do():
    scheme = Scheme(
        labels=(SchemeLabel("Claim", "claim"), SchemeLabel("Premise", "premise"), SchemeLabel("Aside", "other")),
        relation_types=("attacks",),
    )
    layer = units((1, "Claim", {}, 0), (2, "Claim", {}, 10), (3, "Aside", {}, 20))

    assert check(layer, [], scheme=scheme) == [Finding("2 Claims not linked to any other unit.", (1, 2))]


def test_units_of_several_labels_are_counted_as_units():
    layer = units((1, "MajorClaim", {}, 0), (2, "Premise", {}, 10), (3, "Premise", {}, 20))
    scheme = Scheme(
        labels=(SchemeLabel("MajorClaim", "main"), SchemeLabel("Claim", "claim"), SchemeLabel("Premise", "premise")),
        relation_types=("supports",),
    )

    assert check(layer + units((4, "Claim", {}, 30)), [], scheme=scheme) == [
        Finding("3 units not linked to any other unit.", (2, 3, 4)),
    ]
    assert check(layer, [], scheme=scheme) == [Finding("2 Premises not linked to any other unit.", (2, 3))]


def test_only_claim_labels_with_a_stance_attribute_are_asked_for_a_stance():
    scheme = Scheme(
        labels=(SchemeLabel("Claim", "claim", stance=True), SchemeLabel("Evidence", "premise", stance=True)),
    )
    layer = units((1, "Claim", {}, 0), (2, "Evidence", {}, 10), (3, "Claim", {}, 20))

    assert check(layer, [], scheme=scheme) == [Finding("2 Claims without a stance.", (1, 3))]


def test_a_scheme_with_two_main_conclusion_labels_asks_for_one_main_conclusion_of_either():
    scheme = Scheme(labels=(SchemeLabel("Thesis", "main"), SchemeLabel("Verdict", "main")))
    layer = units((1, "Thesis", {}, 0), (2, "Verdict", {}, 10))

    assert check(layer, [], scheme=scheme) == [
        Finding("There should be exactly one main conclusion; there are 2.", (1, 2))
    ]
    assert check(layer[:1], [], scheme=scheme) == []


def test_a_cycle_of_support_relations_is_found_whatever_the_case_of_their_name():
    scheme = Scheme(labels=(SchemeLabel("Premise", "premise"),), relation_types=("Support", "Attack"))
    layer = units((1, "Premise", {}, 0), (2, "Premise", {}, 10))

    assert check(layer, [Link(1, 2, "Support"), Link(2, 1, "Support")], scheme=scheme) == [
        Finding("These units support each other in a circle.", (1, 2)),
    ]
    assert check(layer, [Link(1, 2, "Attack"), Link(2, 1, "Support")], scheme=scheme) == []


def test_the_outline_of_a_scheme_without_a_main_conclusion_lists_every_unlinked_unit_as_loose():
    layer = units((1, "assumption", {}, 0), (2, "statistics", {}, 10))

    tree = outline(layer, [], scheme=WEBIS)

    assert (tree.roots, [unit.id for unit in tree.loose]) == ([], [1, 2])


def test_the_tops_of_chains_are_ordered_claims_before_premises_whatever_the_scheme_order():
    scheme = Scheme(
        labels=(SchemeLabel("Premise", "premise"), SchemeLabel("Claim", "claim")), relation_types=("supports",)
    )
    layer = units((1, "Premise", {}, 0), (2, "Premise", {}, 10), (3, "Claim", {}, 20), (4, "Premise", {}, 30))

    tree = outline(layer, [Link(2, 1, "supports"), Link(4, 3, "supports")], scheme=scheme)

    assert shape(tree.roots) == [(3, "", [(4, "supports", [])]), (1, "", [(2, "supports", [])])]


def test_label_names_are_counted_in_english_plurals():
    names = ["Premise", "MajorClaim", "statistics", "testimony", "anecdote", "Day", "Box"]

    assert [plural(name) for name in names] == [
        "Premises", "MajorClaims", "statistics", "testimonies", "anecdotes", "Days", "Boxes",
    ]  # fmt: skip


def test_text_and_tags_are_escaped_on_the_lines_that_need_it_and_left_as_they_are_on_the_others():
    text = "Tom & <Jerry> argue.\nPlain words here.\n"
    items = [Highlight(1, 7, 'Claim · "A&B"', ((0, 3),)), Highlight(2, 7, 'Claim · "A&B"', ((21, 26),))]
    assert render(text, items) == (
        '<span class="line" dir="auto" id="line-0"><mark class="u label-7 lane-0" data-unit="1" id="u-1" '
        'data-tag="Claim · &quot;A&amp;B&quot;">Tom</mark> &amp; &lt;Jerry&gt; argue.\n</span>'
        '<span class="line" dir="auto" id="line-21"><mark class="u label-7 lane-0" data-unit="2" id="u-2" '
        'data-tag="Claim · &quot;A&amp;B&quot;">Plain</mark> words here.\n</span>'
    )
