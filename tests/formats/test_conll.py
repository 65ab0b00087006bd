"""CoNLL/BIO: the tokeniser's tokens, one a line, with valid BIO tags and Eger et al.'s encodings."""

import pytest
from hypothesis import given

from annotate.formats import conll
from annotate.formats.losses import Loss, LossReport
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SpanRecord, UnitRecord
from annotate.tokens import tokenize
from tests.formats.readers import read_conll
from tests.formats.samples import SHAPES, articles, sample_article, shapes_article, span

TEXT = "We must ban cars. Traffic kills!\n\nSo act now 🙂."


def layer_of(*units: UnitRecord, relations: list[RelationRecord] | None = None) -> LayerRecord:
    return LayerRecord(owner="gold", units=list(units), relations=relations or [])


def tags(text: str, layer: LayerRecord, **options: bool) -> list[list[str]]:
    return [[tag for _, tag in paragraph] for paragraph in conll.tagged_paragraphs(text, layer, **options)]


def test_document_has_a_header_then_one_token_a_line_with_a_blank_line_after_each_paragraph():
    article = ArticleRecord(
        id="5",
        title="Ban\ncars",
        text=TEXT,
        layers=[
            layer_of(
                UnitRecord("T1", "Major Claim", [span("We must ban cars", text=TEXT)]),
                UnitRecord("T2", "Premise", [span("Traffic kills", text=TEXT)]),
            )
        ],
    )

    assert "".join(conll.export([article])) == (
        "# article: 5 Ban cars\n"
        "# layer: gold\n"
        "1\tWe\tB-Major_Claim\n"
        "2\tmust\tI-Major_Claim\n"
        "3\tban\tI-Major_Claim\n"
        "4\tcars\tI-Major_Claim\n"
        "5\t.\tO\n"
        "6\tTraffic\tB-Premise\n"
        "7\tkills\tI-Premise\n"
        "8\t!\tO\n"
        "\n"
        "1\tSo\tO\n"
        "2\tact\tO\n"
        "3\tnow\tO\n"
        "4\t🙂\tO\n"
        "5\t.\tO\n"
        "\n"
    )


def test_stance_and_relation_distance_follow_eger_et_al():
    article = sample_article()

    gold = tags(article.text, article.layers[0], stance=True, relations=True)

    premise_t3 = ["B-Premise:-1:Support"] + ["I-Premise:-1:Support"] * 4
    assert gold == [
        ["B-MajorClaim", "I-MajorClaim", "I-MajorClaim", "I-MajorClaim", "O", "O"],
        [
            *premise_t3,  # Traffic kills thousands every year: supports T1, one segment back
            "O", "O", "O", "O", "O",  # , and most trips are: T3's second piece is left out
            # short 👍🏽.\nCritics say shops will suffer: T4, no longer hidden by T3's second piece
            "B-Premise:1:Attack", *["I-Premise:1:Attack"] * 7,
            "O", "O",  # , but
            "B-Claim:Against", *["I-Claim:Against"] * 5,  # footfall rises where streets are calm
            "O", "O", "O", "O",  # . Man̄a agrees .
        ],
    ]  # fmt: skip


def test_without_options_tags_carry_only_the_label():
    article = sample_article()

    assert tags(article.text, article.layers[1]) == [
        ["O", "O", "O", "O", "B-Premise", "O"],
        ["O"] * 27 + ["B-Claim", "I-Claim", "O"],  # Man̄a agrees .
    ]


def test_a_selection_that_cuts_a_word_tags_the_whole_word():
    layer = layer_of(UnitRecord("T1", "Claim", [SpanRecord(5, 10)]))  # "ust b" of "must ban"

    assert tags(TEXT, layer)[0][:4] == ["O", "B-Claim", "I-Claim", "O"]


def test_of_two_units_starting_together_the_longer_takes_the_tokens():
    layer = layer_of(
        UnitRecord("T1", "Premise", [span("We must", text=TEXT)]),
        UnitRecord("T2", "Claim", [span("We must ban cars", text=TEXT)]),
    )

    assert tags(TEXT, layer)[0][:5] == ["B-Claim", "I-Claim", "I-Claim", "I-Claim", "O"]


def test_adjacent_units_with_the_same_label_each_begin_with_b():
    layer = layer_of(
        UnitRecord("T1", "Premise", [span("We must ban cars.", text=TEXT)]),
        UnitRecord("T2", "Premise", [span("Traffic kills", text=TEXT)]),
    )

    assert tags(TEXT, layer)[0] == ["B-Premise", "I-Premise", "I-Premise", "I-Premise", "I-Premise", "B-Premise",
                                    "I-Premise", "O"]  # fmt: skip


def test_a_unit_crossing_a_paragraph_break_is_written_as_its_first_piece_and_the_rest_is_listed():
    layer = layer_of(UnitRecord("T1", "Claim", [span("kills!\n\nSo act", text=TEXT)]))
    article = ArticleRecord(id="5", title="Ban", text=TEXT, layers=[layer])

    tagging = conll.tag(article, layer)

    assert [[tag for _, tag in paragraph] for paragraph in tagging.paragraphs] == [
        ["O", "O", "O", "O", "O", "O", "B-Claim", "I-Claim"],
        ["O", "O", "O", "O", "O"],
    ]
    assert tagging.losses == [
        Loss("5", "gold", "split", "T1", "T1 (Claim, across a paragraph break) is written as its first piece; "
             "1 more piece left out")
    ]  # fmt: skip


def test_a_line_of_only_spaces_separates_paragraphs_but_a_single_line_break_does_not():
    text = "One two\nthree.\n  \nFour."

    assert [[token for token, _ in paragraph] for paragraph in conll.tagged_paragraphs(text, layer_of())] == [
        ["One", "two", "three", "."],
        ["Four", "."],
    ]


def test_a_unit_that_is_the_source_of_two_relations_takes_the_first():
    layer = layer_of(
        UnitRecord("T1", "Claim", [span("We must ban cars", text=TEXT)]),
        UnitRecord("T2", "Premise", [span("Traffic kills", text=TEXT)]),
        UnitRecord("T3", "Claim", [span("So act now", text=TEXT)]),
        relations=[RelationRecord("R1", "attacks", "T2", "T3"), RelationRecord("R2", "supports", "T2", "T1")],
    )

    assert tags(TEXT, layer, relations=True)[0][5:7] == ["B-Premise:1:Attack", "I-Premise:1:Attack"]
    assert [loss.says for loss in conll.tag(ArticleRecord(title="", text=TEXT), layer, relations=True).losses] == [
        "R2 (T2 supports T1): T2 has R1, and a tag holds one relation"
    ]


def test_an_article_without_layers_writes_nothing_and_an_empty_text_writes_only_its_header():
    empty = ArticleRecord(id="9", title="Empty", text=" ", layers=[LayerRecord(owner="ann")])

    assert list(conll.export([ArticleRecord(title="None", text="Text.")])) == []
    assert list(conll.export([empty])) == ["# article: 9 Empty\n# layer: ann\n\n"]


def test_export_reads_articles_one_at_a_time():
    def one_then_broken():
        yield ArticleRecord(title="One", text="Go.", layers=[LayerRecord(owner="gold")])
        raise RuntimeError("the database went away")

    documents = conll.export(one_then_broken())

    assert next(documents) == "# article:  One\n# layer: gold\n1\tGo\tO\n2\t.\tO\n\n"
    with pytest.raises(RuntimeError):
        next(documents)


def assert_valid_bio(lines: list[str]) -> None:
    previous = "O"
    for line in lines:
        if not line or line.startswith("#"):
            previous = "O"
            continue
        index, token, tag = line.split("\t")
        assert tag == "O" or tag[:2] in ("B-", "I-"), line
        if tag.startswith("I-"):
            assert previous[:2] in ("B-", "I-"), (previous, line)
            assert previous[2:] == tag[2:], (previous, line)
        previous = tag


@given(articles())
def test_every_tag_sequence_is_valid_bio_and_every_token_is_the_tokenisers(article):
    for options in ({}, {"stance": True, "relations": True}):
        lines = "".join(conll.export([article], **options)).split("\n")

        assert_valid_bio(lines)
        tokens = [line.split("\t")[1] for line in lines if line and not line.startswith("#")]
        assert tokens == [article.text[start:end] for start, end in tokenize(article.text)] * len(article.layers)


def test_the_validity_check_catches_an_i_tag_without_its_b():
    with pytest.raises(AssertionError):
        assert_valid_bio(["1\tA\tB-Claim", "2\tB\tO", "3\tC\tI-Claim"])
    with pytest.raises(AssertionError):
        assert_valid_bio(["1\tA\tB-Claim", "2\tB\tI-Premise"])


# What BIO cannot say, read back by a stranger's reader ------------------------------------


def test_a_reader_of_the_file_sees_each_written_unit_as_one_segment_and_every_relation_lands_on_its_target():
    article = shapes_article()
    report = LossReport()

    content = "".join(conll.export([article], stance=True, relations=True, report=report))

    (document,) = read_conll(content, {"a1": SHAPES})
    # Segments in text order: T1, T5 (its first piece), T3, T6 (its first piece).
    assert document.texts(SHAPES) == [
        ("Claim:For:2:Attack", "Cities should ban cars because traffic kills"),
        ("Claim:1:Attack", "Man\u0304a says"),
        ("Premise:-2:Attack", "shops suffer, yet footfall"),
        ("MajorClaim:-2:Support", "rises."),
    ]
    assert document.relations(SHAPES) == [
        ("Cities should ban cars because traffic kills", "Attack", "shops suffer, yet footfall"),  # R7
        ("Man\u0304a says", "Attack", "shops suffer, yet footfall"),  # R5
        ("shops suffer, yet footfall", "Attack", "Cities should ban cars because traffic kills"),  # R2
        ("rises.", "Support", "Man\u0304a says"),  # R6
    ]
    assert document.left_out == [
        "T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
        "T5 (Claim, discontinuous) is written as its first piece; 1 more piece left out",
        "T4 (Premise) overlaps T3 (Premise); BIO gives a token one unit",
        "T6 (MajorClaim, across a paragraph break) is written as its first piece; 1 more piece left out",
        "R1 (T2 supports T1): T2 is not written",
        "R3 (T3 supports T6): T3 has R2, and a tag holds one relation",
        "R4 (T1 supports T4): T4 is not written",
    ]
    assert (report.summary(), [loss.item for loss in report.losses]) == (
        "1 nested unit, 1 overlapping unit, 2 units written in part, 3 relations",
        ["T2", "T5", "T4", "T6", "R1", "R3", "R4"],
    )


def test_without_the_relations_option_no_relation_is_listed_as_left_out():
    report = LossReport()

    content = "".join(conll.export([shapes_article()], report=report))

    assert [line for line in content.split("\n") if line.startswith("# left out")] == [
        "# left out: T2 (Premise) lies inside T1 (Claim); BIO gives a token one unit",
        "# left out: T5 (Claim, discontinuous) is written as its first piece; 1 more piece left out",
        "# left out: T4 (Premise) overlaps T3 (Premise); BIO gives a token one unit",
        "# left out: T6 (MajorClaim, across a paragraph break) is written as its first piece; 1 more piece left out",
    ]
    assert report.summary() == "1 nested unit, 1 overlapping unit, 2 units written in part"


def test_the_reader_catches_a_relation_distance_counted_over_units_the_file_does_not_show():
    # What the export used to write: a hidden unit counted, so the distance falls outside the segments.
    content = "# article: a1 S\n# layer: gold\n1\tA\tB-Claim\n2\tB\tB-Premise:-2:Support\n\n"

    (document,) = read_conll(content, {"a1": "A B"})

    with pytest.raises(AssertionError, match="Premise:-2:Support points at no other segment"):
        document.relations("A B")
