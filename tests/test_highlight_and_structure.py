"""The highlighted text keeps the article's characters exactly; structure checks and the outline."""

import re
from html import unescape

from hypothesis import given
from hypothesis import strategies as st

from annotate.highlight import Highlight, lanes, line_starts, render
from annotate.structure import Finding, Link, Unit, check, outline

AAE = {"labels": ["MajorClaim", "Claim", "Premise"], "stance_labels": {"Claim"}}


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
        '<span class="line" id="line-0">'
        '<mark class="u label-7 lane-0" data-unit="1" id="u-1" data-tag="Claim">abcd</mark>'
        '<mark class="u label-7 lane-0" data-unit="1"><mark class="u label-8 lane-1" data-unit="2" id="u-2" '
        'data-tag="Premise">ef</mark></mark>'
        '<mark class="u label-8 lane-1" data-unit="2">gh</mark>ij</span>'
    )
    discontinuous = render(text, [Highlight(3, 7, "Premise", ((0, 2), (5, 7)))])
    assert discontinuous == (
        '<span class="line" id="line-0">'
        '<mark class="u label-7 lane-0" data-unit="3" id="u-3" data-tag="Premise">ab</mark>cde'
        '<mark class="u label-7 lane-0" data-unit="3">fg</mark>hij</span>'
    )


def test_each_line_is_drawn_on_its_own_with_lanes_of_its_own():
    text = "ab cd\nef gh\n\nij"
    items = [Highlight(1, 7, "Claim", ((1, 8),)), Highlight(2, 8, "Premise", ((3, 5),))]

    assert line_starts(text) == [0, 6, 12, 13]
    assert render(text, items) == (
        '<span class="line" id="line-0">a<mark class="u label-7 lane-0" data-unit="1" id="u-1" data-tag="Claim">b '
        '</mark><mark class="u label-7 lane-0" data-unit="1"><mark class="u label-8 lane-1" data-unit="2" id="u-2" '
        'data-tag="Premise">cd</mark></mark><mark class="u label-7 lane-0" data-unit="1">\n</mark></span>'
        '<span class="line" id="line-6"><mark class="u label-7 lane-0" data-unit="1">ef</mark> gh\n</span>'
        '<span class="line" id="line-12">\n</span>'
        '<span class="line" id="line-13">ij</span>'
    )
    # The second line alone, as the answer to a change sends it: the unit's id and tag
    # stay where it starts, on the first line.
    assert render(text, items, within=(6, 12), oob=True) == (
        '<span class="line" id="line-6" hx-swap-oob="true"><mark class="u label-7 lane-0" data-unit="1">ef</mark>'
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
    assert alone.startswith(f'<span class="line" id="line-{line}">')
    assert text_of(whole) == text


def test_units_that_do_not_overlap_share_a_lane():
    items = [Highlight(1, 1, "", ((0, 5),)), Highlight(2, 1, "", ((5, 9),)), Highlight(3, 1, "", ((3, 7),))]

    assert lanes(items) == {1: 0, 3: 1, 2: 0}


def units(*rows):
    return [Unit(id, label, attributes, f"text {id}", start) for id, label, attributes, start in rows]


def test_a_well_formed_layer_has_no_findings():
    layer = units((1, "MajorClaim", {}, 0), (2, "Claim", {"stance": "For"}, 10), (3, "Premise", {}, 20))

    assert check(layer, [Link(3, 2, "supports")], **AAE) == []


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

    assert check(layer, links, **AAE) == [
        Finding("There should be exactly one MajorClaim; there are 2.", (1, 2)),
        Finding("1 Premise not linked to any other unit.", (4,)),
        Finding("These units support each other in a circle.", (5, 6)),
        Finding("1 Claim without a stance.", (3,)),
    ]


def test_attacks_in_a_circle_are_not_a_support_cycle():
    layer = units((1, "MajorClaim", {}, 0), (2, "Premise", {}, 5), (3, "Premise", {}, 9))

    assert check(layer, [Link(2, 3, "attacks"), Link(3, 2, "supports")], **AAE) == []


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

    tree = outline(layer, links, **AAE)

    assert shape(tree.roots) == [(1, "", [(3, "For", []), (2, "Against", [(4, "attacks", [(5, "supports", [])])])])]
    assert [unit.id for unit in tree.loose] == [6]


def test_outline_without_a_major_claim_starts_from_the_tops_of_chains():
    layer = units((1, "Claim", {"stance": "For"}, 0), (2, "Premise", {}, 10))

    tree = outline(layer, [Link(2, 1, "supports")], **AAE)

    assert shape(tree.roots) == [(1, "", [(2, "supports", [])])]
    assert tree.loose == []
