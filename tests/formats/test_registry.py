"""The registry: every format once, with one calling convention for export and import."""

import pytest

from annotate.formats import conll as conll_module
from annotate.formats import registry
from annotate.formats.checks import FormatError
from annotate.formats.records import ArticleRecord
from tests.formats.samples import SCHEME, sample_article


def test_the_table_says_what_each_format_does():
    assert [
        (format.name, format.exports, format.imports, format.extension, format.binary, list(format.options))
        for format in registry.FORMATS.values()
    ] == [
        ("jsonl", True, True, ".jsonl", False, []),
        ("brat", True, True, ".zip", True, []),
        ("conll", True, False, ".conll", False, ["stance", "relations"]),
        ("csv", True, False, ".csv", False, []),
        ("aif", True, False, ".zip", True, []),
        ("html", False, True, "", False, []),
        ("text", False, True, "", False, []),
    ]


@pytest.mark.parametrize("name", ["jsonl", "brat", "conll", "csv", "aif"])
def test_every_exporter_streams_chunks_of_its_declared_kind(name):
    format = registry.get(name)

    chunks = list(registry.exporter(name)(iter([sample_article()]), scheme=SCHEME))

    assert len(chunks) >= 1
    assert {type(chunk) for chunk in chunks} == {bytes if format.binary else str}


def test_export_options_are_passed_on_and_unknown_ones_refused():
    conll = registry.exporter("conll")

    article = sample_article()

    assert "".join(conll([article], stance=True)) == "".join(
        conll_module.document(article, layer, stance=True) for layer in article.layers
    )
    with pytest.raises(TypeError, match="csv has no option stance"):
        registry.exporter("csv")([sample_article()], stance=True)


def test_brat_export_needs_the_scheme():
    with pytest.raises(TypeError, match="brat needs the project's scheme"):
        registry.exporter("brat")([sample_article()])


def test_an_export_imports_back_through_the_registry():
    exported = b"".join(registry.exporter("brat")([sample_article()], scheme=SCHEME))

    [article] = registry.importer("brat")(exported, file_name="export.zip")

    assert article.text == sample_article().text


def test_a_text_file_imports_cleaned_with_its_name_as_the_fallback_title():
    content = "\ufeffCities should ban cars\nby Jane Roe\n\nTraffic kills.\n".encode()

    assert registry.importer("text")(content, file_name="drafts/ban-cars.txt") == [
        ArticleRecord(title="Cities should ban cars", author="Jane Roe", text="Traffic kills.")
    ]


def test_a_one_line_text_file_is_the_article_text_titled_after_the_file_name():
    content = "\ufeffIran must never get the bomb.\n".encode()

    assert registry.importer("text")(content, file_name="drafts/iran-deal.txt") == [
        ArticleRecord(title="Iran deal", text="Iran must never get the bomb.")
    ]


def test_an_empty_text_file_is_refused():
    with pytest.raises(FormatError, match="^empty.md: the file holds no article text$"):
        registry.importer("text")(b"\n\n", file_name="empty.md")


@pytest.mark.parametrize(
    ("file_name", "format_name"),
    [("articles.jsonl", "jsonl"), ("AAE.ZIP", "brat"), ("page.htm", "html"), ("page.html", "html"),
     ("op-ed.md", "text"), ("op-ed.txt", "text")],
)  # fmt: skip
def test_the_import_format_follows_the_file_extension(file_name, format_name):
    assert registry.for_file(file_name).name == format_name


def test_a_file_no_format_reads_is_refused():
    with pytest.raises(FormatError) as raised:
        registry.for_file("essay.docx")

    assert str(raised.value) == "essay.docx: no import format reads .docx (known: .jsonl, .zip, .html, .htm, .txt, .md)"


def test_unknown_names_and_missing_directions_are_refused():
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        registry.get("xml")
    with pytest.raises(ValueError, match="CSV, one row per span cannot be imported"):
        registry.importer("csv")
    with pytest.raises(ValueError, match=r"Web page \(HTML\) cannot be exported"):
        registry.exporter("html")
