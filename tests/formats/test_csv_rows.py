"""CSV: one row per span of each unit, quoted by the csv module, readable back with csv.reader."""

import csv
import io

import pytest

from annotate.formats import csv_rows
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SpanRecord, UnitRecord
from tests.formats.readers import read_csv
from tests.formats.samples import TEXT, sample_article, shapes_article

TITLE = "Cities & cars: a “modest” proposal"


def read(chunks) -> list[list[str]]:
    text = "".join(chunks)
    return list(csv.reader(io.StringIO(text.removeprefix(csv_rows.BYTE_ORDER_MARK), newline="")))


def test_one_row_per_span_after_a_header():
    assert read(csv_rows.export([sample_article()])) == [
        ["article_id", "article_title", "layer", "unit_id", "span", "label", "start", "end", "text", "stance",
         "relations"],
        ["17", TITLE, "gold", "T1", "1", "MajorClaim", "0", "22", "Cities should ban cars", "", ""],
        ["17", TITLE, "gold", "T2", "1", "Claim", "127", "164", "footfall rises where streets are calm", "Against", ""],
        ["17", TITLE, "gold", "T3", "1", "Premise", "27", "61", "Traffic kills thousands every year", "",
         "supports:T1"],
        ["17", TITLE, "gold", "T3", "2", "Premise", "67", "90", "most trips are short 👍🏽", "", "supports:T1"],
        ["17", TITLE, "gold", "T4", "1", "Premise", "82", "121", "short 👍🏽.\nCritics say shops will suffer", "",
         "attacks:T2"],
        ["17", TITLE, "ann", "u7", "1", "Claim", "166", "178", "Man\u0304a agrees", "For", ""],
        ["17", TITLE, "ann", "u9", "1", "Premise", "23", "24", "🙂", "", "supports:u7"],
    ]  # fmt: skip


def test_several_outgoing_relations_are_listed_in_one_cell():
    article = sample_article()
    gold = article.layers[0]
    gold.relations.append(RelationRecord("R3", "supports", "T3", "T2"))

    rows = read(csv_rows.export([article]))

    assert [row[10] for row in rows[1:6]] == ["", "", "supports:T1; supports:T2", "supports:T1; supports:T2",
                                              "attacks:T2"]  # fmt: skip


def test_rows_end_with_crlf_and_a_line_break_inside_a_text_stays_in_its_quoted_field():
    output = "".join(csv_rows.export([sample_article()]))

    assert output.count("\r\n") == 8
    assert '"short 👍🏽.\nCritics say shops will suffer"' in output


def test_the_file_starts_with_a_byte_order_mark_so_that_excel_reads_utf8():
    assert "".join(csv_rows.export([sample_article()])).startswith("\ufeffarticle_id,")


def test_no_articles_give_the_header_alone():
    assert list(csv_rows.export([])) == [
        "\ufeffarticle_id,article_title,layer,unit_id,span,label,start,end,text,stance,relations\r\n"
    ]


def test_export_yields_a_chunk_per_layer_and_reads_articles_one_at_a_time():
    def one_then_broken():
        yield ArticleRecord(title="Empty", text="x", layers=[LayerRecord("gold")])
        yield sample_article()
        raise RuntimeError("the database went away")

    chunks = csv_rows.export(one_then_broken())

    assert read([next(chunks)]) == [csv_rows.HEADER]
    assert [row[2] for row in read([next(chunks)])] == ["gold"] * 5
    assert [row[2] for row in read([next(chunks)])] == ["ann"] * 2
    with pytest.raises(RuntimeError):
        next(chunks)


def test_cells_a_spreadsheet_would_run_are_written_as_text_and_give_the_exact_text_back():
    text = '=HYPERLINK("http://x") +1 -2 @SUM(A1) \'quoted\tcmd'
    starts = [text.index(piece) for piece in ("=HYP", "+1", "-2", "@SUM", "'quoted", "\tcmd")]
    units = [UnitRecord(f"T{n}", "=1+2", [SpanRecord(start, start + 2)]) for n, start in enumerate(starts, 1)]
    article = ArticleRecord(title="=cmd|' /C calc'!A0", text=text, layers=[LayerRecord("@gold", units=units)])

    rows = read(csv_rows.export([article]))

    assert [(row[1], row[2], row[5], row[8]) for row in rows[1:]] == [
        ("'=cmd|' /C calc'!A0", "'@gold", "'=1+2", "'=H"),
        ("'=cmd|' /C calc'!A0", "'@gold", "'=1+2", "'+1"),
        ("'=cmd|' /C calc'!A0", "'@gold", "'=1+2", "'-2"),
        ("'=cmd|' /C calc'!A0", "'@gold", "'=1+2", "'@S"),
        ("'=cmd|' /C calc'!A0", "'@gold", "'=1+2", "''q"),
        ("'=cmd|' /C calc'!A0", "'@gold", "'=1+2", "'\tc"),
    ]
    assert [row[8][1:] for row in rows[1:]] == [text[start : start + 2] for start in starts]


def every_unit_whole(articles: list[ArticleRecord]) -> dict:
    """What a reader of the CSV must find, as `read_csv` gives it: every unit of every
    layer with its label, stance, relations and each span with its exact slice."""
    return {
        (article.id, layer.owner, unit.id): {
            "label": unit.label,
            "stance": unit.attributes.get("stance", ""),
            "relations": [(r.type, r.target) for r in layer.relations if r.source == unit.id],
            "spans": [(span.start, span.end, article.text[span.start : span.end]) for span in unit.spans],
        }
        for article in articles
        for layer in article.layers
        for unit in layer.units
    }


def test_every_quoted_text_is_its_slice_of_the_article_and_a_spreadsheet_user_can_group_a_units_rows():
    shapes = shapes_article()  # nested, overlapping, discontinuous and across paragraphs
    articles = [sample_article(), shapes]

    units = read_csv("".join(csv_rows.export(articles)))

    texts = {"17": TEXT, "a1": shapes.text}
    quotes = [(quoted, texts[key[0]][start:end]) for key, unit in units.items() for start, end, quoted in unit["spans"]]
    assert [quoted for quoted, _ in quotes] == [sliced for _, sliced in quotes]
    assert units == every_unit_whole(articles)
    assert units[("a1", "gold", "T5")]["spans"] == [(49, 59, "Man\u0304a says"), (87, 92, "rises")]
