"""CSV export: one row per span of each argument unit, for spreadsheets and pandas.

After a header row, the columns are: article_id, article_title, layer (the
annotator's username or "gold"), unit_id, span, label, start, end, text, stance,
relations.

- Every row is one span: `start` and `end` are its code-point offsets into the
  article text and `text` is exactly `text[start:end]` of the article. A unit of one
  span has one row, `span` 1. A discontinuous unit has a row per span, in text order,
  numbered 1, 2, … in `span`, each with the unit's id, label, stance and relations:
  group the rows by article_id, layer and unit_id to have its units, or keep the
  rows whose `span` is 1 to count them. Nested and overlapping units are rows like
  any other, so the CSV leaves no unit or relation out.
- `relations` lists the unit's outgoing relations as "type:target", separated by
  "; " ("supports:T3; attacks:T5").
- Not written (the native JSONL export keeps them): notes, attributes other than
  stance, a layer's status and document stance, the article's metadata.
- Quoting is the csv module's (RFC 4180, "\\r\\n" row ends); a text with a line break
  stays in one quoted field. A layer without units has no rows.
- The file starts with a UTF-8 byte-order mark, so that Excel reads it as UTF-8.
- A text cell that a spreadsheet would run as a formula (one starting with "=", "+",
  "-", "@", a tab or a carriage return: OWASP's list) is written with a "'" in front,
  and so is a cell that starts with "'" itself. Dropping one leading "'" from every
  cell that has one gives the exact text back, `text[start:end]` included.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from annotate.formats.records import ArticleRecord, LayerRecord

EXTENSION = ".csv"
CONTENT_TYPE = "text/csv; charset=utf-8"
HEADER = [
    "article_id",
    "article_title",
    "layer",
    "unit_id",
    "span",
    "label",
    "start",
    "end",
    "text",
    "stance",
    "relations",
]
BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def safe(cell: str | int) -> str | int:
    """A cell a spreadsheet shows as text, never runs (see the module docstring)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def export(articles: Iterable[ArticleRecord]) -> Iterator[str]:
    """Yield the header line, then the rows of each layer as one chunk, reading `articles` lazily."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for article in articles:
        for layer in article.layers:
            writer.writerows([safe(cell) for cell in row] for row in rows(article, layer))
            if buffer.tell():
                yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def rows(article: ArticleRecord, layer: LayerRecord) -> Iterator[list[str | int]]:
    """The rows of one layer: a row per span, in the layer's unit order."""
    outgoing: dict[str, list[str]] = {}
    for relation in layer.relations:
        outgoing.setdefault(relation.source, []).append(f"{relation.type}:{relation.target}")
    for unit in layer.units:
        stance = unit.attributes.get("stance", "")
        relations = "; ".join(outgoing.get(unit.id, []))
        for number, span in enumerate(unit.spans, start=1):
            yield [
                article.id,
                article.title,
                layer.owner,
                unit.id,
                number,
                unit.label,
                span.start,
                span.end,
                article.text[span.start : span.end],
                stance,
                relations,
            ]


def _drain(buffer: io.StringIO) -> str:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk
