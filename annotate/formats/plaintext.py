"""Plain-text (and Markdown) article import, with the cleaning scraped op-eds need.

Scraped pages carry chrome around the argument: a title line, a byline, a view
counter, a cookie-consent banner, runs of blank lines. `parse_plain_text` keeps the
argument text exactly (only normalised to NFC with "\\n" line ends) and says which
lines it dropped, so an import preview can show them.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from annotate.formats.records import ArticleRecord

BYLINE = re.compile(r"^\s*by\s+(?P<author>\S.{0,100}?)\s*$", re.IGNORECASE)
VIEW_COUNTER = re.compile(r"^\s*[\d.,]+\s*[KkMm]?\s+(views?|reads?)\s*$", re.IGNORECASE)
COOKIE_BANNER = re.compile(r"\bcookies?\b.*\b(accept|opt[- ]out|consent|privacy|agree)\b", re.IGNORECASE)
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
# How far into the article a byline or a view counter may appear (in non-blank lines).
HEADER_LINES = 4


def normalise_text(text: str) -> str:
    """Unicode NFC with "\\n" line ends: the one form article text is stored in."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class CleanedText:
    record: ArticleRecord
    dropped_lines: list[str] = field(default_factory=list)


def title_from_file_name(file_name: str) -> str:
    """A readable title from a file's name: its stem with each run of "-", "_" and white
    space made one space and the first letter capitalised ("iran-deal.txt" → "Iran deal")."""
    stem = PurePosixPath(file_name.replace("\\", "/")).stem
    title = " ".join(_SEPARATORS.sub(" ", stem).split())
    return title[:1].upper() + title[1:] or "Untitled"


_SEPARATORS = re.compile(r"[-_\s]+")


def parse_plain_text(raw: str, *, fallback_title: str = "Untitled") -> CleanedText:
    """Clean a scraped article: first line → title, `by NAME` → author, chrome dropped.

    Dropped: a view counter and a byline near the top, and a cookie-consent banner as
    the last paragraph. Runs of blank lines collapse to one paragraph break; leading
    and trailing blank lines go. Everything else is kept character for character.
    A text of one line is all argument: it stays the text, and the title is
    `fallback_title` (the import takes it from the file name).
    """
    lines = normalise_text(raw).split("\n")
    dropped: list[str] = []
    title, author = "", ""

    content = [i for i, line in enumerate(lines) if line.strip()]
    if len(content) > 1:
        first = content[0]
        title = MARKDOWN_HEADING.sub("", lines[first]).strip()
        dropped.append(lines[first])
        lines[first] = None
        for i in content[1 : 1 + HEADER_LINES]:
            if not author and (match := BYLINE.match(lines[i])):
                author = match["author"]
            elif not VIEW_COUNTER.match(lines[i]):
                continue
            dropped.append(lines[i])
            lines[i] = None
        last = content[-1]
        if lines[last] is not None and COOKIE_BANNER.search(lines[last]):
            dropped.append(lines[last])
            lines[last] = None

    paragraphs, current = [], []
    for line in lines:
        if line is None:
            continue
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))

    record = ArticleRecord(title=title or fallback_title, author=author, text="\n\n".join(paragraphs))
    return CleanedText(record=record, dropped_lines=dropped)
