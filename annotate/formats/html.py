"""HTML import: an op-ed's main text, title and author from a saved web page.

trafilatura, a maintained main-text extractor, finds the article body and leaves out
what surrounds it on a news site: navigation, cookie banners, share buttons, related
links, comments, footers. Title, author, site name (→ outlet), canonical URL and
publication date come from the page's metadata (meta tags, JSON-LD, then the page
itself) as trafilatura reads them; a date is only taken from where the page states it,
never guessed from a copyright line.

Each block of the body (paragraph, heading, quotation, list) becomes one paragraph of
the text, paragraphs separated by a blank line as in a plain-text import; a `<br>`
stays a line break within its paragraph, and a list keeps one item a line. A heading
that repeats the title is left out. The text is normalised like every imported text
(`plaintext.normalise_text`: Unicode NFC, "\\n" line ends).
"""

import functools
import re
from pathlib import PurePosixPath

from annotate.formats.checks import FormatError
from annotate.formats.plaintext import normalise_text
from annotate.formats.records import ArticleRecord

EXTENSIONS = (".html", ".htm")
HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
BLOCKS = ("p", "head", "quote", "list", "code", "table")
# Navigation, footers and asides are never article text. trafilatura leaves them out of
# a page that has a body, but falls back to them on a page that has nothing else (a
# page of `<nav>menu</nav>` would become an article "menu"): they go before it looks.
NOT_ARTICLE = ["//nav", "//footer", "//aside", "//menu", "//*[@role='navigation']", "//*[@role='contentinfo']"]


def parse_html(content: bytes | str, *, file_name: str) -> ArticleRecord:
    """The article of an HTML page: title, author, outlet, URL and date from its metadata,
    and its main text. Raises `FormatError` when the page holds no article text."""
    # trafilatura takes half a second to load, so it is only loaded when a page comes in.
    import trafilatura

    document = trafilatura.bare_extraction(
        content,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        prune_xpath=NOT_ARTICLE,
        config=_config(),
    )
    blocks = [] if document is None or document.body is None else list(document.body)
    paragraphs = [paragraph for block in blocks for paragraph in _paragraphs(block)]
    title = " ".join((document.title or "").split()) if document else ""
    if paragraphs and title and " ".join(paragraphs[0].split()) == title:
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise FormatError("no article text found in the page", file_name=file_name)
    return ArticleRecord(
        title=title or PurePosixPath(file_name.replace("\\", "/")).stem,
        text=normalise_text("\n\n".join(paragraphs)),
        author=document.author or "",
        outlet=document.sitename or "",
        url=document.url or "",
        published=document.date or "",
    )


@functools.cache
def _config():
    from trafilatura.settings import use_config

    config = use_config()
    # Without this, a page without a stated date gets one guessed from anything that
    # looks like a date (a copyright year, a date in a link): not a publication date.
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")
    return config


def _paragraphs(block) -> list[str]:
    """The paragraphs of one block of trafilatura's body, each line trimmed."""
    paragraphs = []
    for chunk in _inner_text(block).split("\n\n"):
        if lines := [line.strip() for line in chunk.split("\n") if line.strip()]:
            paragraphs.append("\n".join(lines))
    return paragraphs


def _inner_text(element) -> str:
    # White space in HTML source is a space; a line break is only what the markup says.
    parts = [HTML_SPACE.sub(" ", element.text or "")]
    for child in element:
        # trafilatura marks a <br> as <lb/> (two in a row are a paragraph break, as on
        # many sites); a list item starts a line, a block nested in a block a paragraph.
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag == "item":
            parts.append("\n" + _inner_text(child))
        elif child.tag in BLOCKS:
            parts.append("\n\n" + _inner_text(child) + "\n\n")
        else:
            parts.append(_inner_text(child))
        parts.append(HTML_SPACE.sub(" ", child.tail or ""))
    return "".join(parts)
