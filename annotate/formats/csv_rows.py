"""CSV export: one row per argument unit, for spreadsheets and pandas.

After a header row, the columns are: article_id, article_title, layer (the
annotator's username or "gold"), unit_id, label, start, end, text, stance, relations.

- `start` and `end` are code-point offsets into the article text. A discontinuous
  unit has one row: `start` is the start of its first span, `end` the end of its
  last, and `text` its spans' quoted texts joined by " … " (so the gap shows; the
  native JSONL export keeps every span).
- `relations` lists the unit's outgoing relations as "type:target", separated by
  "; " ("supports:T3; attacks:T5").
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
HEADER = ["article_id", "article_title", "layer", "unit_id", "label", "start", "end", "text", "stance", "relations"]
GAP = " … "
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
    """The rows of one layer, in the layer's unit order."""
    outgoing: dict[str, list[str]] = {}
    for relation in layer.relations:
        outgoing.setdefault(relation.source, []).append(f"{relation.type}:{relation.target}")
    for unit in layer.units:
        yield [
            article.id,
            article.title,
            layer.owner,
            unit.id,
            unit.label,
            min(span.start for span in unit.spans),
            max(span.end for span in unit.spans),
            GAP.join(article.text[span.start : span.end] for span in unit.spans),
            unit.attributes.get("stance", ""),
            "; ".join(outgoing.get(unit.id, [])),
        ]


def _drain(buffer: io.StringIO) -> str:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk
