"""brat standoff: the exact lines brat and the published corpora use, both ways."""

import hashlib
import io
import zipfile

import pytest
from hypothesis import given, settings

from annotate.formats import brat
from annotate.formats.checks import FormatError
from annotate.formats.losses import Loss, LossReport
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SpanRecord, UnitRecord
from tests.formats.samples import SCHEME, TEXT, articles, sample_article, span

# The opening of essay001 of the Argument Annotated Essays (v2), up to its major claim,
# then its first claim and premise as the corpus has them, so the corpus offsets hold.
ESSAY001_TEXT = (
    "Should students be taught to compete or to cooperate?\n\n"
    "It is always said that competition can effectively promote the development of economy. In order to survive "
    "in the competition, companies continue to improve their products and service, and as a result, the whole "
    "society prospers. However, when we discuss the issue of competition or cooperation, what we are concerned "
    "about is not the whole society, but the development of an individual's whole life. From this point of view, "
    "I firmly believe that we should attach more importance to cooperation during primary education.\n"
    "First of all, through cooperation, children can learn about interpersonal skills which are significant in "
    "the future life of all students. What we acquired from team work is not only how to achieve the same goal "
    "with others but more importantly, how to get along with others.\n"
)
# As distributed: TAB-separated, and the R line ends with a stray tab.
ESSAY001_ANN = (
    "T1\tMajorClaim 503 575\twe should attach more importance to cooperation during primary education\n"
    "T3\tClaim 591 714\tthrough cooperation, children can learn about interpersonal skills which are significant "
    "in the future life of all students\n"
    "A1\tStance T3 For\n"
    "T4\tPremise 716 851\tWhat we acquired from team work is not only how to achieve the same goal with others but "
    "more importantly, how to get along with others\n"
    "R1\tsupports Arg1:T4 Arg2:T3\t\n"
)
ESSAY001_GOLD = LayerRecord(
    owner="gold",
    units=[
        UnitRecord("T1", "MajorClaim", [SpanRecord(503, 575)]),
        UnitRecord("T3", "Claim", [SpanRecord(591, 714)], attributes={"stance": "For"}),
        UnitRecord("T4", "Premise", [SpanRecord(716, 851)]),
    ],
    relations=[RelationRecord("R1", "supports", "T4", "T3")],
)


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def unzip(chunks) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


# Export -----------------------------------------------------------------------------------


def test_ann_has_discontinuous_fragments_stance_relations_and_notes():
    article = sample_article()

    assert brat.ann_text(article.text, article.layers[0]) == (
        "T1\tMajorClaim 0 22\tCities should ban cars\n"
        "T2\tClaim 127 164\tfootfall rises where streets are calm\n"
        "A1\tStance T2 Against\n"
        "T3\tPremise 27 61;67 90\tTraffic kills thousands every year most trips are short 👍🏽\n"
        "T4\tPremise 82 91;92 121\tshort 👍🏽. Critics say shops will suffer\n"
        "R1\tsupports Arg1:T3 Arg2:T1\n"
        "R2\tattacks Arg1:T4 Arg2:T2\n"
        "#1\tAnnotatorNotes T3\tTwo reasons in one sentence.\n"
        "#2\tAnnotatorNotes T3\tKept together.\n"
    )


def test_a_unit_crossing_a_line_break_is_written_as_fragments_split_at_it():
    article = sample_article()
    t4 = article.layers[0].units[3]

    assert brat.fragments(article.text, t4.spans[0]) == [(82, 91), (92, 121)]
    assert article.text[91] == "\n"


def test_ids_that_are_not_brat_ids_are_numbered_in_order():
    article = sample_article()

    assert brat.ann_text(article.text, article.layers[1]) == (
        "T1\tClaim 166 178\tMan\u0304a agrees\nA1\tStance T1 For\nT2\tPremise 23 24\t🙂\nR1\tsupports Arg1:T2 Arg2:T1\n"
    )


def test_a_layer_without_units_has_an_empty_ann_file():
    assert brat.ann_text(TEXT, LayerRecord(owner="bob")) == ""


def test_annotation_conf_lists_the_scheme_and_allows_overlaps():
    assert brat.annotation_conf(SCHEME) == (
        "[entities]\nMajorClaim\nClaim\nPremise\n\n"
        "[relations]\n"
        "supports\tArg1:MajorClaim|Claim|Premise, Arg2:MajorClaim|Claim|Premise\n"
        "attacks\tArg1:MajorClaim|Claim|Premise, Arg2:MajorClaim|Claim|Premise\n"
        "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>\n\n"
        "[events]\n\n"
        "[attributes]\n"
        "Stance\tArg:Claim, Value:For|Against\n"
    )


def test_zip_holds_a_folder_per_owner_with_a_txt_and_an_ann_per_article():
    files = unzip(brat.export([sample_article(), ArticleRecord(title="No layers", text="Nothing.")], scheme=SCHEME))

    name = "17-cities-cars-a-modest-proposal"
    assert list(files) == [
        "annotation.conf",
        "visual.conf",
        f"{name}.article.json",
        f"gold/{name}.txt",
        f"gold/{name}.ann",
        f"ann/{name}.txt",
        f"ann/{name}.ann",
        f"bob/{name}.txt",
        f"bob/{name}.ann",
    ]
    assert files[f"gold/{name}.txt"] == files[f"ann/{name}.txt"] == TEXT
    assert files[f"bob/{name}.ann"] == ""
    assert files["annotation.conf"] == brat.annotation_conf(SCHEME)
    assert files["visual.conf"] == (
        "[labels]\n\n[drawing]\n"
        "SPAN_DEFAULT\tfgColor:black, bgColor:lightgreen, borderColor:darken\n"
        "ARC_DEFAULT\tcolor:black, arrowHead:triangle-5\n"
        "MajorClaim\tbgColor:#9467bd\nClaim\tbgColor:#1f77b4\nPremise\tbgColor:#ff7f0e\n"
    )


def test_articles_with_the_same_title_get_different_file_names():
    twins = [ArticleRecord(title="Same", text="One.", layers=[LayerRecord("gold")]) for _ in range(2)]

    assert [path for path, _ in brat.entries(twins, scheme=SCHEME)][2:] == [
        "same.article.json",
        "gold/same.txt",
        "gold/same.ann",
        "same-2.article.json",
        "gold/same-2.txt",
        "gold/same-2.ann",
    ]


def test_zip_streams_an_article_at_a_time_and_the_same_data_gives_the_same_bytes():
    def one_then_broken():
        yield sample_article()
        raise RuntimeError("the database went away")

    chunks = brat.export(one_then_broken(), scheme=SCHEME)
    first_chunks = [next(chunks) for _ in range(3)]  # annotation.conf, visual.conf, a .txt

    assert all(isinstance(chunk, bytes) and chunk for chunk in first_chunks)
    with pytest.raises(RuntimeError):
        list(chunks)
    assert b"".join(brat.export([sample_article()], scheme=SCHEME)) == b"".join(
        brat.export([sample_article()], scheme=SCHEME)
    )


def test_directory_export_writes_the_same_files_as_the_zip(tmp_path):
    brat.export_directory([sample_article()], scheme=SCHEME, path=tmp_path)

    written = {
        path.relative_to(tmp_path).as_posix(): path.read_bytes().decode("utf-8")
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    assert written == unzip(brat.export([sample_article()], scheme=SCHEME))


# Import -----------------------------------------------------------------------------------


def test_essay001_lines_as_distributed_parse_into_claims_a_premise_and_a_relation():
    files = [("essay001.txt", ESSAY001_TEXT.encode()), ("essay001.ann", ESSAY001_ANN.encode())]

    assert brat.parse_files(files, file_name="upload") == [
        ArticleRecord(title="essay001", text=ESSAY001_TEXT, layers=[ESSAY001_GOLD])
    ]


def test_a_corpus_zip_is_read_as_gold_when_the_owner_is_given():
    content = zip_of(
        {
            "ArgumentAnnotatedEssays-2.0/brat-project-final/essay001.txt": ESSAY001_TEXT,
            "ArgumentAnnotatedEssays-2.0/brat-project-final/essay001.ann": ESSAY001_ANN,
            "ArgumentAnnotatedEssays-2.0/README.txt": "Read me.",
            "__MACOSX/ArgumentAnnotatedEssays-2.0/brat-project-final/._essay001.ann": b"\x00\x05\x16\x07",
        }
    )

    assert brat.parse_zip(content, file_name="aae.zip", owner="gold") == [
        ArticleRecord(title="essay001", text=ESSAY001_TEXT, layers=[ESSAY001_GOLD])
    ]


def test_export_then_import_gives_back_the_units_and_relations():
    article = sample_article()

    [parsed] = brat.parse_zip(b"".join(brat.export([article], scheme=SCHEME)), file_name="export.zip")

    gold, annotator, _ = article.layers
    renumbered = LayerRecord(
        owner="ann",
        units=[
            UnitRecord("T1", "Claim", annotator.units[0].spans, attributes={"stance": "For"}),
            UnitRecord("T2", "Premise", annotator.units[1].spans),
        ],
        relations=[RelationRecord("R1", "supports", "T2", "T1")],
    )
    # brat keeps no layer status or document stance; the article's fields come back from its .article.json.
    assert parsed.text == article.text
    assert (parsed.id, parsed.title, parsed.author, parsed.published) == (
        "17",
        "Cities & cars: a “modest” proposal",
        article.author,
        article.published,
    )
    assert parsed.layers == [
        LayerRecord(owner="gold", units=gold.units, relations=gold.relations),
        renumbered,
        LayerRecord(owner="bob"),
    ]


@settings(max_examples=60)
# An article without layers is not written at all.
@given(articles(brat_safe=True, min_layers=1))
def test_round_trip_keeps_random_units_relations_stances_and_notes(article):
    [parsed] = brat.parse_zip(b"".join(brat.export([article], scheme=SCHEME)), file_name="export.zip")

    assert (parsed.title, parsed.text, parsed.layers) == (article.title, article.text, article.layers)


def test_without_an_article_json_the_title_is_the_file_name_less_the_id_prefix_the_export_wrote():
    article_id = hashlib.sha256(CARS.encode()).hexdigest()[:12]
    files = {f"gold/{article_id}-ban-cars.txt": CARS, f"gold/{article_id}-ban-cars.ann": ""}

    [parsed] = brat.parse_zip(zip_of(files), file_name="upload.zip")

    assert parsed.title == "ban-cars"


def test_a_hex_prefix_that_is_not_the_texts_id_stays_in_the_title():
    files = {"gold/0123456789ab-ban-cars.txt": CARS, "gold/0123456789ab-ban-cars.ann": ""}

    [parsed] = brat.parse_zip(zip_of(files), file_name="upload.zip")

    assert parsed.title == "0123456789ab-ban-cars"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "essay.article.json: not valid JSON (Expecting property name enclosed in double quotes at line 1)"),
        ('{"author": "Ann"}', "essay.article.json: article: missing field “title”"),
        ('{"title": "T", "text": "x"}', "essay.article.json: the file: unknown field “text”"),
        ('{"title": "T", "published": "May"}', "essay.article.json: article: “published” must be a date like "
         "2024-05-01, not “May”"),
    ],
)  # fmt: skip
def test_a_bad_article_json_is_refused_naming_it(content, message):
    files = {"essay.article.json": content, "gold/essay.txt": CARS, "gold/essay.ann": ""}

    with pytest.raises(FormatError) as raised:
        brat.parse_zip(zip_of(files), file_name="upload.zip")

    assert str(raised.value) == message


def test_directory_import_reads_the_folders_as_layers(tmp_path):
    brat.export_directory([sample_article()], scheme=SCHEME, path=tmp_path)

    [parsed] = brat.parse_directory(tmp_path)

    assert [layer.owner for layer in parsed.layers] == ["ann", "bob", "gold"]


def test_two_spans_separated_by_a_line_break_alone_come_back_as_one_span():
    text = "Cars kill.\nBan them."
    layer = LayerRecord("gold", units=[UnitRecord("T1", "Claim", [SpanRecord(0, 10), SpanRecord(11, 20)])])

    [parsed] = brat.parse_files([("a.txt", text), ("a.ann", brat.ann_text(text, layer))], file_name="up")

    assert parsed.layers[0].units == [UnitRecord("T1", "Claim", [SpanRecord(0, 20)])]


def test_a_byte_order_mark_and_windows_line_ends_are_dropped_and_the_offsets_follow():
    # brat counts the byte-order mark and both characters of "\r\n"; the stored text has neither.
    text = "\ufeffCafe\u0301 owners agree.\r\nCars must go.\r\n"
    ann = "T1\tClaim 22 35\tCars must go.\r\nT2\tPremise 1 19\tCafe\u0301 owners agree\r\n"

    [parsed] = brat.parse_files([("a.txt", text.encode()), ("a.ann", ann.encode())], file_name="up")

    assert parsed.text == "Café owners agree.\nCars must go.\n"
    assert parsed.layers[0].units == [
        UnitRecord("T1", "Claim", [SpanRecord(19, 32)]),
        UnitRecord("T2", "Premise", [SpanRecord(0, 17)]),
    ]


def test_attributes_relations_and_notes_may_come_before_their_unit():
    text = "Cars kill. Ban them."
    ann = (
        "#1\tAnnotatorNotes T2\tcheck\nR1\tsupports Arg1:T1 Arg2:T2\nA1\tStance T2\n"
        "T1\tPremise 0 9\tCars kill\nT2\tClaim 11 19\tBan them\n"
    )

    [parsed] = brat.parse_files([("a.txt", text), ("a.ann", ann)], file_name="up")

    assert parsed.layers == [
        LayerRecord(
            owner="gold",
            units=[
                UnitRecord("T1", "Premise", [SpanRecord(0, 9)]),
                UnitRecord("T2", "Claim", [SpanRecord(11, 19)], attributes={"stance": "true"}, note="check"),
            ],
            relations=[RelationRecord("R1", "supports", "T1", "T2")],
        )
    ]


# Bad files --------------------------------------------------------------------------------

CARS = "Cars kill. Ban them."


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        ("T1\tClaim 11 99\tBan them.", "essay.ann line 2: offsets 11–99 lie past the end of the text (20 characters)"),
        ("T1\tClaim 11 19\tBan then",
         "essay.ann line 2: the quoted text “Ban then” does not match the text at 11 19 (“Ban them”)"),
        ("T1\tClaim 0 4;11 19\tCars Ban",
         "essay.ann line 2: the quoted text “Cars Ban” does not match the text at 0 4;11 19 (“Cars Ban them”)"),
        ("T1\tClaim 10 11\t ", "essay.ann line 2: offsets 10–11 hold only white space"),
        ("T1\tClaim 0 9;5 19\tCars kill kill. Ban them",
         "essay.ann line 2: the spans 0–9 and 5–19 overlap or are out of text order"),
        ("T1\tClaim eleven 19\tBan them", "essay.ann line 2: malformed line “T1\\tClaim eleven 19\\tBan them”"),
        ("T1 Claim 11 19 Ban them", "essay.ann line 2: malformed line “T1 Claim 11 19 Ban them”"),
        ("R1\tsupports Arg1:T9 Arg2:T0", "essay.ann line 2: relation R1: its source T9 is not a unit of this layer"),
        ("R1\tsupports Arg1:T0 Arg2:T0", "essay.ann line 2: relation R1: it links T0 to itself"),
        ("A1\tStance T9 For", "essay.ann line 2: attribute A1: T9 is not a unit in this file"),
        ("A1\tStance T0 For\nA2\tStance T0 Against",
         "essay.ann line 3: attribute A2: T0 has a second Stance attribute"),
        ("#1\tAnnotatorNotes T9\tcheck", "essay.ann line 2: the note is on T9, which is not a unit in this file"),
        ("T0\tClaim 11 19\tBan them", "essay.ann line 2: the id T0 is used twice"),
        ("E1\tArgue:T0", "essay.ann line 2: brat E lines (events, normalisations, equivalences) are not supported"),
    ],
)  # fmt: skip
def test_a_bad_ann_line_is_refused_naming_the_file_and_line(ann, message):
    files = [("essay.txt", CARS), ("essay.ann", f"T0\tPremise 0 9\tCars kill\n{ann}\n")]

    with pytest.raises(FormatError) as raised:
        brat.parse_files(files, file_name="upload.zip")

    assert str(raised.value) == message


@pytest.mark.parametrize("path", ["../essay.ann", "corpus/../../essay.ann", "/etc/essay.ann", "C:\\essay.ann"])
def test_a_zip_entry_with_an_unsafe_path_is_refused(path):
    content = zip_of({"essay.txt": CARS, "essay.ann": "", path: ""})

    with pytest.raises(FormatError) as raised:
        brat.parse_zip(content, file_name="upload.zip")

    assert str(raised.value) == f"upload.zip: the entry {path} has an unsafe path"


def test_a_zip_that_expands_past_the_limit_is_refused():
    content = zip_of({"essay.txt": "a" * 5000, "essay.ann": ""})

    with pytest.raises(FormatError) as raised:
        brat.parse_zip(content, file_name="upload.zip", limits=brat.ArchiveLimits(total_bytes=4096))

    assert str(raised.value) == (
        "upload.zip: the archive unpacks to more than 4 KB (the limit, ANNOTATE_MAX_UNCOMPRESSED_BYTES); "
        "reading stopped in the entry essay.txt"
    )


def test_a_zip_entry_that_understates_its_size_is_refused():
    content = bytearray(zip_of({"essay.txt": "a" * 5000, "essay.ann": ""}))
    # Declare essay.txt (the first entry of the central directory) as 10 bytes long.
    entry = content.index(b"PK\x01\x02")
    content[entry + 24 : entry + 28] = (10).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(content)).getinfo("essay.txt").file_size == 10

    with pytest.raises(FormatError) as raised:
        brat.parse_zip(bytes(content), file_name="upload.zip", limits=brat.ArchiveLimits(total_bytes=4096))

    assert str(raised.value) == "upload.zip: the entry essay.txt cannot be read (Bad CRC-32 for file 'essay.txt')"


def test_something_that_is_not_a_zip_is_refused():
    with pytest.raises(FormatError) as raised:
        brat.parse_zip(b"T1\tClaim 0 4\tCars\n", file_name="essay.ann")

    assert str(raised.value) == "essay.ann: not a zip file"


def test_an_ann_without_its_txt_is_refused():
    with pytest.raises(FormatError) as raised:
        brat.parse_zip(zip_of({"gold/essay.ann": ""}), file_name="upload.zip")

    assert str(raised.value) == "gold/essay.ann: there is no essay.txt beside it"


def test_a_zip_without_ann_files_is_refused():
    with pytest.raises(FormatError) as raised:
        brat.parse_zip(zip_of({"essay.txt": CARS}), file_name="upload.zip")

    assert str(raised.value) == "upload.zip: there is no .ann file in it"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"essay.txt": b"Caf\xe9 owners.", "essay.ann": b""}, "essay.txt line 1: not valid UTF-8 (byte 0xe9)"),
        ({"essay.txt": CARS, "essay.ann": b"T1\tClaim 0 4\tCars\n#1\tAnnotatorNotes T1\t\xff\n"},
         "essay.ann line 2: not valid UTF-8 (byte 0xff)"),
    ],
)  # fmt: skip
def test_files_that_are_not_utf8_are_refused_naming_the_line(files, message):
    with pytest.raises(FormatError) as raised:
        brat.parse_zip(zip_of(files), file_name="upload.zip")

    assert str(raised.value) == message


def test_the_same_article_with_different_texts_in_two_folders_is_refused():
    files = {"gold/essay.txt": CARS, "gold/essay.ann": "", "ann/essay.txt": CARS + "!", "ann/essay.ann": ""}

    with pytest.raises(FormatError) as raised:
        brat.parse_zip(zip_of(files), file_name="upload.zip")

    assert str(raised.value) == "ann/essay.txt: the text differs from gold/essay.txt, the same article"


def test_a_span_starting_on_the_byte_order_mark_is_refused():
    files = [("a.txt", "\ufeffCars kill."), ("a.ann", "T1\tPremise 0 5\t\ufeffCars\n")]

    with pytest.raises(FormatError) as raised:
        brat.parse_files(files, file_name="up")

    assert str(raised.value) == "a.ann line 1: offsets 0–5 include the byte-order mark at the start of the text"


def test_offsets_inside_a_character_that_normalisation_changes_are_refused():
    files = [("a.txt", "Cafe\u0301 owners agree."), ("a.ann", "T1\tPremise 0 4\tCafe\n")]

    with pytest.raises(FormatError) as raised:
        brat.parse_files(files, file_name="up")

    assert str(raised.value) == "a.ann line 1: offsets 0–4 fall inside characters that normalisation changes"


def test_the_units_brat_changes_at_line_breaks_are_reported_and_listed_in_left_out_txt():
    text = "Cars out.\nStreets calm.\n\nShops gain."
    layer = LayerRecord(
        owner="gold",
        units=[
            UnitRecord("T1", "Claim", [span("\nStreets calm", text=text)]),  # starts with a line break
            UnitRecord("T2", "Premise", [span("Streets calm.", text=text), span("Shops gain", text=text)]),
            UnitRecord("T3", "Premise", [span("out.\nStreets", text=text)]),  # across a line break: exact
            UnitRecord("T4", "MajorClaim", [span("Shops gain.", text=text)]),
        ],
    )
    article = ArticleRecord(id="a1", title="Calm", text=text, layers=[layer])
    report = LossReport()

    files = unzip(brat.export([article], scheme=SCHEME, report=report))

    assert report.losses == [
        Loss("a1", "gold", "line break", "T1", "T1 (Claim) 9–22 comes back as 10–22"),
        Loss("a1", "gold", "line break", "T2", "T2 (Premise) 10–23, 25–35 comes back as 10–35"),
    ]
    assert files["LEFT-OUT.txt"] == (
        "Units this export changes: a .ann line cannot hold a line break, so a span loses the line breaks at its\n"
        "edges, and spans with only line breaks between them are read back as one. Offsets are code points.\n"
        "article a1, layer gold: T1 (Claim) 9–22 comes back as 10–22\n"
        "article a1, layer gold: T2 (Premise) 10–23, 25–35 comes back as 10–35\n"
    )
    [parsed] = brat.parse_zip(b"".join(brat.export([article], scheme=SCHEME)), file_name="export.zip")
    assert [unit.spans for unit in parsed.layers[0].units] == [
        [SpanRecord(10, 22)],
        [SpanRecord(10, 35)],
        [SpanRecord(5, 17)],
        [SpanRecord(25, 36)],
    ]


def test_an_export_that_changes_nothing_has_no_left_out_txt():
    report = LossReport()

    files = unzip(brat.export([sample_article()], scheme=SCHEME, report=report))

    assert (report.total, "LEFT-OUT.txt" in files) == (0, False)
