"""Native JSON Lines: lossless both ways, byte-identical on re-export, strict on bad input."""

import json

import pytest
from hypothesis import given

from annotate.formats import jsonl
from annotate.formats.checks import FormatError
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SpanRecord, UnitRecord
from tests.formats.samples import TEXT, articles, sample_article


def export_text(records) -> str:
    return "".join(jsonl.export(records))


def test_export_writes_one_line_per_article_with_every_field_in_a_fixed_order():
    line = export_text([sample_article()])

    assert line.count("\n") == 1
    assert line.endswith("}\n")
    assert json.loads(line) == {
        "id": "17",
        "title": "Cities & cars: a “modest” proposal",
        "author": "Jane Roe",
        "outlet": "The Daily View",
        "url": "https://example.org/opinion/cities",
        "published": "2024-05-03",
        "metadata": {"section": "Opinion", "tags": ["cars", "cities"], "words": 42},
        "text": TEXT,
        "layers": [
            {
                "owner": "gold",
                "status": "finished",
                "document_stance": "",
                "units": [
                    {"id": "T1", "label": "MajorClaim", "spans": [[0, 22]], "text": ["Cities should ban cars"],
                     "attributes": {}, "note": ""},
                    {"id": "T2", "label": "Claim", "spans": [[127, 164]],
                     "text": ["footfall rises where streets are calm"], "attributes": {"stance": "Against"},
                     "note": ""},
                    {"id": "T3", "label": "Premise", "spans": [[27, 61], [67, 90]],
                     "text": ["Traffic kills thousands every year", "most trips are short 👍🏽"], "attributes": {},
                     "note": "Two reasons in one sentence.\nKept together."},
                    {"id": "T4", "label": "Premise", "spans": [[82, 121]],
                     "text": ["short 👍🏽.\nCritics say shops will suffer"], "attributes": {}, "note": ""},
                ],
                "relations": [
                    {"id": "R1", "type": "supports", "source": "T3", "target": "T1"},
                    {"id": "R2", "type": "attacks", "source": "T4", "target": "T2"},
                ],
            },
            {
                "owner": "ann",
                "status": "in_progress",
                "document_stance": "For",
                "units": [
                    {"id": "u7", "label": "Claim", "spans": [[166, 178]], "text": ["Man\u0304a agrees"],
                     "attributes": {"stance": "For"}, "note": ""},
                    {"id": "u9", "label": "Premise", "spans": [[23, 24]], "text": ["🙂"], "attributes": {}, "note": ""},
                ],
                "relations": [{"id": "r1", "type": "supports", "source": "u9", "target": "u7"}],
            },
            {"owner": "bob", "status": "not_started", "document_stance": "", "units": [], "relations": []},
        ],
    }  # fmt: skip
    assert list(json.loads(line)) == list(jsonl.ARTICLE_FIELDS)


def test_export_writes_non_ascii_characters_as_they_are_rather_than_escaped():
    line = export_text([ArticleRecord(title="Man\u0304a 🙂", text="👍🏽")])

    assert line == (
        '{"id":"","title":"Man\u0304a 🙂","author":"","outlet":"","url":"","published":"",'
        '"metadata":{},"text":"👍🏽","layers":[]}\n'
    )


def test_parse_of_an_export_gives_back_the_same_records_and_the_same_bytes():
    records = [sample_article(), ArticleRecord(title="Second", text="Another op-ed.")]
    exported = export_text(records)

    parsed = jsonl.parse(exported.encode("utf-8"), file_name="data.jsonl")

    assert parsed == records
    assert export_text(parsed) == exported


@given(articles())
def test_round_trip_is_lossless_for_random_articles(article):
    exported = export_text([article])

    parsed = jsonl.parse(exported.encode("utf-8"), file_name="data.jsonl")

    assert parsed == [article]
    assert export_text(parsed) == exported


@given(articles())
def test_every_exported_span_quotes_exactly_the_text_at_its_offsets(article):
    data = json.loads(export_text([article]))

    for layer in data["layers"]:
        for unit in layer["units"]:
            assert unit["text"] == [data["text"][start:end] for start, end in unit["spans"]]


def test_astral_characters_and_combining_marks_survive_the_round_trip():
    article = sample_article()

    [parsed] = jsonl.parse(export_text([article]).encode("utf-8"), file_name="data.jsonl")

    quoted = [
        parsed.text[span.start : span.end] for layer in parsed.layers for unit in layer.units for span in unit.spans
    ]
    assert quoted == [
        "Cities should ban cars",
        "footfall rises where streets are calm",
        "Traffic kills thousands every year",
        "most trips are short 👍🏽",
        "short 👍🏽.\nCritics say shops will suffer",
        "Man\u0304a agrees",
        "🙂",
    ]


def test_a_line_without_layers_imports_the_article_alone():
    content = '{"title": "Cities should ban cars", "text": "Traffic kills.", "author": "Jane Roe"}\n'

    assert jsonl.parse(content, file_name="articles.jsonl") == [
        ArticleRecord(title="Cities should ban cars", text="Traffic kills.", author="Jane Roe")
    ]


def test_parse_skips_blank_lines_and_a_byte_order_mark_and_accepts_windows_line_ends():
    content = '\ufeff{"title": "One", "text": "First."}\r\n\r\n{"title": "Two", "text": "Second."}\r\n'

    assert jsonl.parse(content.encode("utf-8"), file_name="articles.jsonl") == [
        ArticleRecord(title="One", text="First."),
        ArticleRecord(title="Two", text="Second."),
    ]


def test_a_line_separator_inside_a_text_does_not_split_the_line():
    article = ArticleRecord(title="Sep", text="One\u2028two\u2029three\x85four")

    assert jsonl.parse(export_text([article]), file_name="data.jsonl") == [article]


def test_a_text_not_in_normal_form_is_normalised_and_its_offsets_move_with_it():
    # "e" + combining acute (NFD) and a Windows line end: the stored text has "é" and "\n",
    # so "Cars" starts two code points earlier than in the file.
    text = "Cafe\u0301 owners agree.\r\nCars must go."
    unit = {"id": "T1", "label": "Claim", "spans": [[21, 34]], "text": ["Cars must go."]}
    line = json.dumps({"title": "Caf", "text": text, "layers": [{"owner": "gold", "units": [unit]}]})

    [article] = jsonl.parse(line, file_name="data.jsonl")

    assert article.text == "Café owners agree.\nCars must go."
    assert article.layers == [LayerRecord(owner="gold", units=[UnitRecord("T1", "Claim", [SpanRecord(19, 32)])])]


def test_a_span_inside_a_character_that_normalisation_changes_is_refused():
    text = "Cafe\u0301 owners agree."
    unit = {"id": "T1", "label": "Claim", "spans": [[0, 4]], "text": ["Cafe"]}
    line = json.dumps({"title": "Caf", "text": text, "layers": [{"owner": "gold", "units": [unit]}]})

    with pytest.raises(FormatError) as raised:
        jsonl.parse(line, file_name="data.jsonl")

    assert str(raised.value) == (
        "data.jsonl line 1: layer gold, unit T1: the span 0–4 starts or ends inside characters "
        "that Unicode normalisation changes"
    )


GOOD_LINE = '{"title": "Fine", "text": "A fine article."}'
TEXT_LINE = '{"title": "T", "text": "Cars kill. Ban them.", "layers": [%s]}'
UNIT = '{"id": "T1", "label": "Claim", "spans": [[11, 19]], "text": ["Ban them"]}'
UNIT_2 = '{"id": "T2", "label": "Premise", "spans": [[0, 9]], "text": ["Cars kill"]}'


def layer(units: str = UNIT, relations: str = "", **fields: str) -> str:
    extra = "".join(f', "{key}": {value}' for key, value in fields.items())
    return TEXT_LINE % f'{{"owner": "gold", "units": [{units}], "relations": [{relations}]{extra}}}'


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"title": "T", "text": ', "not valid JSON (Expecting value at column 24)"),
        ('["T", "text"]', "the line must be a JSON object"),
        ('{"title": "T"}', "article: missing field “text”"),
        ('{"title": "T", "text": ""}', "article: “text” must not be empty"),
        ('{"title": 5, "text": "x"}', "article: “title” must be a string"),
        ('{"title": "T", "text": "x", "autor": "Jane"}', "the line: unknown field “autor”"),
        ('{"title": "T", "text": "x", "published": "last May"}',
         "article: “published” must be a date like 2024-05-01, not “last May”"),
        ('{"title": "T", "text": "x", "layers": {}}', "article: “layers” must be a list"),
        (layer(status='"done"'), "layer gold: “status” must be one of not_started, in_progress, finished, not “done”"),
        (TEXT_LINE % f'{{"owner": "gold", "units": [{UNIT}]}}, {{"owner": "gold"}}', "two layers belong to gold"),
        (layer(UNIT.replace("[[11, 19]]", "[[11, 25]]")),
         "layer gold, unit T1: offsets 11–25 lie past the end of the text (20 characters)"),
        (layer(UNIT.replace("[[11, 19]]", "[[-1, 19]]")),
         "layer gold, unit T1: offsets -1–19 lie before the start of the text"),
        (layer(UNIT.replace("[[11, 19]]", "[[19, 11]]")),
         "layer gold, unit T1: offsets 19–11 do not make a span (the start must come before the end)"),
        (layer(UNIT.replace("[[11, 19]]", "[[10, 11]]").replace('"Ban them"', '" "')),
         "layer gold, unit T1: offsets 10–11 hold only white space"),
        (layer(UNIT.replace("[[11, 19]]", "[[11, true]]")),
         "layer gold, unit T1: span 1 must be a pair of whole numbers [start, end]"),
        (layer(UNIT.replace("[[11, 19]]", "[[11, 19.0]]")),
         "layer gold, unit T1: span 1 must be a pair of whole numbers [start, end]"),
        (layer(UNIT.replace("[[11, 19]]", "[]").replace('["Ban them"]', "[]")),
         "layer gold, unit T1: a unit needs at least one span"),
        (layer(UNIT.replace("[[11, 19]]", "[[11, 15], [14, 19]]").replace('["Ban them"]', '["Ban ", "them"]')),
         "layer gold, unit T1: the spans 11–15 and 14–19 overlap or are out of text order"),
        (layer(UNIT.replace('"Ban them"', '"Ban then"')),
         "layer gold, unit T1: the quoted text “Ban then” does not match the text at 11–19 (“Ban them”)"),
        (layer(UNIT.replace('["Ban them"]', '"Ban them"')),
         "layer gold, unit T1: “text” must be a list"),
        (layer(UNIT.replace('["Ban them"]', '["Ban", "them"]')),
         "layer gold, unit T1: “text” must be a list of one quoted text (a string) per span"),
        (layer(UNIT.replace("}", ', "attributes": {"stance": 1}}')),
         "layer gold, unit T1: attribute “stance” must have a string value"),
        (layer(f"{UNIT}, {UNIT}"), "layer gold: two units have the id T1"),
        (layer(relations='{"id": "R1", "type": "supports", "source": "T2", "target": "T1"}'),
         "layer gold, relation R1: its source T2 is not a unit of this layer"),
        (layer(f"{UNIT}, {UNIT_2}", '{"id": "R1", "type": "supports", "source": "T2", "target": "T9"}'),
         "layer gold, relation R1: its target T9 is not a unit of this layer"),
        (layer(relations='{"id": "R1", "type": "supports", "source": "T1", "target": "T1"}'),
         "layer gold, relation R1: it links T1 to itself"),
        (layer(f"{UNIT}, {UNIT_2}", '{"id": "R1", "type": "supports", "source": "T2", "target": "T1"}, '
                                    '{"id": "R2", "type": "attacks", "source": "T2", "target": "T1"}'),
         "layer gold, relation R2: T2 is already linked to T1"),
        (layer(f"{UNIT}, {UNIT_2}", '{"id": "R1", "type": "supports", "source": "T2", "target": "T1"}, '
                                    '{"id": "R1", "type": "attacks", "source": "T1", "target": "T2"}'),
         "layer gold: two relations have the id R1"),
    ],
)  # fmt: skip
def test_parse_refuses_a_bad_line_naming_it(bad_line, message):
    content = f"{GOOD_LINE}\n\n{bad_line}\n{GOOD_LINE}\n"

    with pytest.raises(FormatError) as raised:
        jsonl.parse(content.encode("utf-8"), file_name="data.jsonl")

    assert str(raised.value) == f"data.jsonl line 3: {message}"
    assert (raised.value.file_name, raised.value.line) == ("data.jsonl", 3)


def test_parse_refuses_bytes_that_are_not_utf8_naming_the_line():
    content = GOOD_LINE.encode() + b'\n{"title": "Caf\xe9", "text": "x"}\n'

    with pytest.raises(FormatError) as raised:
        jsonl.parse(content, file_name="latin1.jsonl")

    assert str(raised.value) == "latin1.jsonl line 2: not valid UTF-8 (byte 0xe9)"


def test_export_reads_articles_one_at_a_time():
    def one_then_broken():
        yield ArticleRecord(title="One", text="First.")
        raise RuntimeError("the database went away")

    lines = jsonl.export(one_then_broken())

    assert next(lines) == (
        '{"id":"","title":"One","author":"","outlet":"","url":"","published":"","metadata":{},'
        '"text":"First.","layers":[]}\n'
    )
    with pytest.raises(RuntimeError):
        next(lines)


def test_relations_may_name_any_unit_of_their_layer():
    record = ArticleRecord(
        title="T",
        text="Cars kill. Ban them.",
        layers=[
            LayerRecord(
                owner="gold",
                units=[
                    UnitRecord("T1", "Claim", [SpanRecord(11, 19)]),
                    UnitRecord("T2", "Premise", [SpanRecord(0, 9)]),
                ],
                relations=[RelationRecord("R1", "supports", "T2", "T1")],
            )
        ],
    )

    assert jsonl.parse(export_text([record]), file_name="data.jsonl") == [record]
