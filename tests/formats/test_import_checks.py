"""What every importer shares: normalising a text without moving its units, and the scheme check."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.formats.checks import FormatError
from annotate.formats.normalise import normalise_with_offsets
from annotate.formats.plaintext import normalise_text
from annotate.formats.records import (
    ArticleRecord,
    LabelRecord,
    LayerRecord,
    RelationRecord,
    SchemeRecord,
    SpanRecord,
    UnitRecord,
)
from annotate.formats.scheme_check import check_scheme
from tests.formats.samples import SCHEME


def test_normalising_moves_offsets_past_composed_characters_and_windows_line_ends():
    text = "Cafe\u0301\r\nn\u0304 👍🏽 A\u030a."

    normalised, move = normalise_with_offsets(text)

    assert normalised == "Café\nn\u0304 👍🏽 Å."
    # Every boundary between graphemes keeps its place; those inside a changed one have none.
    assert [move(offset) for offset in range(len(text) + 1)] == [
        0, 1, 2, 3, None, 4, None, 5, 6, 7, 8, 9, 10, 11, None, 12, 13,
    ]  # fmt: skip


def test_a_normalised_text_keeps_every_offset():
    normalised, move = normalise_with_offsets("Café 🙂")

    assert (normalised, [move(offset) for offset in range(7)]) == ("Café 🙂", list(range(7)))


@given(st.lists(st.sampled_from(["a", "e\u0301", "\r\n", "\r", "\n", "A\u030a", "🙂", "\u1100\u1161", " "])))
def test_moved_offsets_cut_the_normalised_text_where_the_original_was_cut(pieces):
    text = "".join(pieces)
    boundaries = [sum(len(piece) for piece in pieces[:index]) for index in range(len(pieces) + 1)]

    normalised, move = normalise_with_offsets(text)

    # A piece boundary inside a cluster that changes ("\r" + "\n") has no place; the others do.
    kept = [offset for offset in boundaries if move(offset) is not None]
    assert (kept[0], kept[-1], move(len(text))) == (0, len(text), len(normalised))
    for start, end in zip(kept, kept[1:], strict=False):
        assert normalised[move(start) : move(end)] == normalise_text(text[start:end])


def article_with(*units: UnitRecord, relations: list[RelationRecord] = ()) -> ArticleRecord:
    layer = LayerRecord(owner="gold", units=list(units), relations=list(relations))
    return ArticleRecord(title="Cars", text="Cars kill. Ban them. Now.", layers=[layer])


CLAIM = UnitRecord("T1", "Claim", [SpanRecord(11, 19)], attributes={"stance": "For"})
ASSUMPTION = UnitRecord("T2", "Assumption", [SpanRecord(0, 9)])
PREMISE = UnitRecord("T3", "Premise", [SpanRecord(21, 24)])
RELATIONS = [RelationRecord("R1", "supports", "T2", "T1"), RelationRecord("R2", "rephrases", "T3", "T1")]


def test_records_that_fit_the_scheme_pass_unchanged():
    article = article_with(CLAIM, PREMISE, relations=[RelationRecord("R1", "supports", "T3", "T1")])

    check = check_scheme([article], scheme=SCHEME, file_name="up.jsonl")

    assert (check.articles, check.additions, check.skipped) == ([article], SchemeRecord(), [])


def test_an_unknown_label_fails_by_default_naming_the_article_layer_and_unit():
    with pytest.raises(FormatError) as raised:
        check_scheme([article_with(CLAIM, ASSUMPTION)], scheme=SCHEME, file_name="up.jsonl")

    assert str(raised.value) == (
        "up.jsonl: article “Cars”, layer gold, unit T2: "
        "unknown label Assumption (the scheme has MajorClaim, Claim, Premise)"
    )


def test_skip_leaves_out_unknown_units_with_their_relations_unknown_relation_types_and_attribute_values():
    against = UnitRecord("T1", "Claim", [SpanRecord(11, 19)], attributes={"stance": "Neutral"})

    check = check_scheme(
        [article_with(against, ASSUMPTION, PREMISE, relations=RELATIONS)], scheme=SCHEME, unknown="skip", file_name="up"
    )

    assert check.articles[0].layers[0] == LayerRecord(
        owner="gold", units=[UnitRecord("T1", "Claim", [SpanRecord(11, 19)]), PREMISE], relations=[]
    )
    assert check.skipped == [
        "article “Cars”, layer gold, unit T1: stance Neutral is not allowed for Claim (it allows For, Against); "
        "skipped",
        "article “Cars”, layer gold, unit T2: unknown label Assumption (the scheme has MajorClaim, Claim, Premise); "
        "skipped",
        "article “Cars”, layer gold, relation R2: unknown relation type rephrases (the scheme has supports, attacks); "
        "skipped",
    ]
    assert check.additions == SchemeRecord()


def test_add_keeps_everything_and_lists_what_the_scheme_must_gain():
    assumption = UnitRecord("T2", "Assumption", [SpanRecord(0, 9)], attributes={"strength": "high"})
    article = article_with(CLAIM, assumption, PREMISE, relations=RELATIONS)
    article.layers[0].units[2] = UnitRecord("T3", "Premise", [SpanRecord(21, 24)], attributes={"kind": "fact"})

    check = check_scheme([article], scheme=SCHEME, unknown="add", file_name="up")

    assert check.articles == [article]
    assert check.additions == SchemeRecord(
        labels=[
            LabelRecord("Assumption", attributes={"strength": ["high"]}),
            LabelRecord("Premise", {"kind": ["fact"]}),
        ],
        relation_types=["rephrases"],
    )
    assert check.skipped == []


def test_the_check_leaves_the_records_it_was_given_alone():
    article = article_with(CLAIM, ASSUMPTION, relations=RELATIONS[:1])

    check_scheme([article], scheme=SCHEME, unknown="skip", file_name="up")

    assert article == article_with(CLAIM, ASSUMPTION, relations=RELATIONS[:1])


def test_an_unknown_policy_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown must be fail, skip or add, not 'ignore'"):
        check_scheme([], scheme=SCHEME, unknown="ignore", file_name="up")
