"""The CSV export opened in LibreOffice Calc (headless, converted to .ods): every cell is
the text the csv module reads, formula-looking cells stay text, and UTF-8 is read right."""

import csv
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from annotate.formats import csv_rows
from annotate.formats.records import ArticleRecord, LayerRecord, RelationRecord, SpanRecord, UnitRecord

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: scripts/test installs libreoffice-calc-nogui"
)

# Comma-separated, '"' quotes, character set 76 (UTF-8), from line 1; everything else is
# LibreOffice's default, which evaluates formulas. The character set has to be given:
# without it LibreOffice 7.4 reads the locale's encoding, byte-order mark or not (Latin-1
# under LC_ALL=C, the mark showing as "ï»¿" in the first cell).
CSV_FILTER = "CSV:44,34,76,1"

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}
TABLE, TEXT, OFFICE = (f"{{{NS[prefix]}}}" for prefix in ("table", "text", "office"))

NON_ASCII = "Zürich – “quoted” 東京 😀"
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-3",
    "@SUM(1)",
    "\tindented",
    "\rreturned",
    NON_ASCII,
    "a line\nbreak",
    'commas, and "double quotes"',
]


def hostile_articles() -> list[ArticleRecord]:
    """Three articles titled with hostile cells, each with a unit quoting every hostile
    piece of its text and labelled with another one."""
    text = " ".join(HOSTILE)
    starts = [text.index(piece) for piece in HOSTILE]
    articles = []
    for article_id, title, owner in [
        ("3f9a0c1b2d4e", HOSTILE[0], "gold"),
        ("a1b2c3d4e5f6", HOSTILE[1], "@ann"),
        ("b7c8d9eafb0c", NON_ASCII, "-bob"),
    ]:
        units = [
            UnitRecord(
                f"T{number}",
                HOSTILE[(number + 3) % len(HOSTILE)],
                [SpanRecord(start, start + len(piece))],
                attributes={"stance": "+For"} if number == 3 else {},
            )
            for number, (start, piece) in enumerate(zip(starts, HOSTILE, strict=True), start=1)
        ]
        layer = LayerRecord(owner, units=units, relations=[RelationRecord("R1", "=supports", "T2", "T1")])
        articles.append(ArticleRecord(id=article_id, title=title, text=text, layers=[layer]))
    return articles


def csv_cells(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.removeprefix(csv_rows.BYTE_ORDER_MARK), newline="")))


def unguarded_export(articles: list[ArticleRecord]) -> str:
    """The export as it would be without `safe()`: the control that shows LibreOffice runs formulas here."""
    buffer = io.StringIO()
    buffer.write(csv_rows.BYTE_ORDER_MARK)
    writer = csv.writer(buffer)
    writer.writerow(csv_rows.HEADER)
    for article in articles:
        for layer in article.layers:
            writer.writerows(csv_rows.rows(article, layer))
    return buffer.getvalue()


def convert_to_ods(tmp_path: Path, *names: str) -> None:
    """Open the CSV files in LibreOffice Calc and save them as .ods beside them. LC_ALL=C,
    so that UTF-8 comes from the filter's character set, not from the machine's locale."""
    subprocess.run(  # LibreOffice on our own temporary files
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            f"--infilter={CSV_FILTER}",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            *(str(tmp_path / name) for name in names),
        ],
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "LC_ALL": "C"},
    )


def paragraph_text(element: ElementTree.Element) -> str:
    """A text:p's text, with its runs of spaces, tabs and line breaks spelled out."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{TEXT}s":
            parts.append(" " * int(child.get(f"{TEXT}c", "1")))
        elif child.tag == f"{TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{TEXT}line-break":
            parts.append("\n")
        else:
            parts.append(paragraph_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def sheet_cells(ods: Path) -> list[list[ElementTree.Element]]:
    """The cells of the first sheet, row by row, repeated cells spelled out."""
    with zipfile.ZipFile(ods) as archive:
        content = ElementTree.fromstring(archive.read("content.xml"))
    sheet = content.find(".//table:table", NS)
    return [
        [
            cell
            for cell in row.findall("table:table-cell", NS)
            for _ in range(int(cell.get(f"{TABLE}number-columns-repeated", "1")))
        ]
        for row in sheet.findall("table:table-row", NS)
    ]


def shown(cell: ElementTree.Element) -> str:
    """The cell's text as LibreOffice shows it: its paragraphs, one per line."""
    return "\n".join(paragraph_text(paragraph) for paragraph in cell.findall("text:p", NS))


def test_libreoffice_reads_every_cell_as_the_csv_module_does_and_runs_no_formula(tmp_path):
    articles = hostile_articles()
    export = "".join(csv_rows.export(articles))
    (tmp_path / "export.csv").write_bytes(export.encode())
    (tmp_path / "unguarded.csv").write_bytes(unguarded_export(articles).encode())

    convert_to_ods(tmp_path, "export.csv", "unguarded.csv")

    cells = sheet_cells(tmp_path / "export.ods")
    expected = csv_cells(export)
    assert len(expected) == 1 + 3 * len(HOSTILE)
    # LibreOffice keeps the apostrophe in the cell's text and shows it, and makes a
    # carriage return inside a cell a line break.
    assert [[shown(cell) for cell in row] for row in cells] == [
        [value.replace("\r", "\n") for value in row] for row in expected
    ]
    assert [shown(cell) for cell in cells[1][:6]] == [
        "3f9a0c1b2d4e",
        '\'=HYPERLINK("http://x","y")',
        "gold",
        "T1",
        "1",
        "'@SUM(1)",
    ]
    unit_quoting_non_ascii = cells[-3]  # the third article's T8
    assert [shown(cell) for cell in unit_quoting_non_ascii[:3]] == ["b7c8d9eafb0c", NON_ASCII, "'-bob"]
    assert shown(unit_quoting_non_ascii[8]) == NON_ASCII
    assert [cell.attrib for row in cells for cell in row if f"{TABLE}formula" in cell.attrib] == []
    # Text everywhere but in the offsets, which are numbers; an empty cell is empty.
    assert [[cell.get(f"{OFFICE}value-type") for cell in row] for row in cells[1:]] == [
        [None if value == "" else "float" if column in (4, 6, 7) else "string" for column, value in enumerate(row)]
        for row in expected[1:]
    ]

    # The control: without the apostrophes, LibreOffice runs the cells that start with "="
    # as formulas (and reads "+1+2", "-3" and "@SUM(1)" as text or a number).
    unguarded = csv_cells(unguarded_export(articles))
    assert {
        unguarded[row_number][column]
        for row_number, row in enumerate(sheet_cells(tmp_path / "unguarded.ods"))
        for column, cell in enumerate(row)
        if f"{TABLE}formula" in cell.attrib
    } == {'=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "=supports:T1"}
