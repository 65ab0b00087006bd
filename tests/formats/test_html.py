"""HTML import: the op-ed's own paragraphs, title and author, without the page around them."""

import pytest

from annotate.formats.checks import FormatError
from annotate.formats.html import parse_html
from annotate.formats.records import ArticleRecord

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Cities should ban cars from their centres | The Daily View</title>
  <meta name="author" content="Jane Roe">
  <meta property="og:title" content="Cities should ban cars from their centres">
  <meta property="og:site_name" content="The Daily View">
  <meta property="og:url" content="https://dailyview.example/opinion/ban-cars">
  <meta property="article:published_time" content="2024-05-03T07:30:00+00:00">
  <link rel="stylesheet" href="/static/site.css">
  <script>window.dataLayer = [];</script>
</head>
<body>
  <header>
    <a class="logo" href="/">The Daily View</a>
    <nav><ul><li><a href="/news">News</a></li><li><a href="/opinion">Opinion</a></li>
      <li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
  </header>
  <div id="cookie-consent" class="cookie-banner">
    <p>We use cookies to improve your experience. By continuing to browse you agree to our
      <a href="/cookies">cookie policy</a>.</p>
    <button>Accept all</button>
  </div>
  <main>
    <article>
      <h1>Cities should ban cars from their centres</h1>
      <p class="byline">By <a rel="author" href="/authors/jane-roe">Jane Roe</a> · 3 May 2024</p>
      <div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
      <p>Traffic kills thousands of people every year, and most of them
        die in cities.</p>
      <p>A city centre without cars is quieter, cleaner and safer – Oslo and
        Pontevedra have shown that it works 🙂.</p>
      <p>Shopkeepers fear they will lose customers.<br>They are wrong: footfall rose by 10&nbsp;% in both cities.</p>
    </article>
    <aside class="related"><h2>Read more</h2><ul><li><a href="/a">Ten reasons to cycle</a></li>
      <li><a href="/b">Parking prices rise again</a></li></ul></aside>
  </main>
  <footer>
    <p>© 2024 The Daily View. All rights reserved.</p>
    <a href="/privacy">Privacy</a> <a href="/terms">Terms</a>
  </footer>
</body>
</html>
"""


def test_the_article_comes_out_without_navigation_banner_share_links_or_footer():
    assert parse_html(PAGE.encode("utf-8"), file_name="ban-cars.html") == ArticleRecord(
        title="Cities should ban cars from their centres",
        author="Jane Roe",
        outlet="The Daily View",
        url="https://dailyview.example/opinion/ban-cars",
        published="2024-05-03",
        text=(
            "Traffic kills thousands of people every year, and most of them die in cities.\n\n"
            "A city centre without cars is quieter, cleaner and safer – Oslo and Pontevedra have shown that it "
            "works 🙂.\n\n"
            "Shopkeepers fear they will lose customers.\nThey are wrong: footfall rose by 10\u00a0% in both cities."
        ),
    )


def test_the_text_is_normalised_like_every_imported_text():
    page = PAGE.replace("Pontevedra", "Ma\u0301laga")

    record = parse_html(page, file_name="ban-cars.html")

    assert record.text.split("\n\n")[1] == (
        "A city centre without cars is quieter, cleaner and safer – Oslo and Málaga have shown that it works 🙂."
    )


def test_a_page_without_a_stated_date_gets_none_guessed_from_its_copyright_line():
    page = PAGE.replace('<meta property="article:published_time" content="2024-05-03T07:30:00+00:00">', "")
    page = page.replace(" · 3 May 2024", "")

    assert parse_html(page, file_name="ban-cars.html").published == ""


def test_a_page_without_any_text_is_refused():
    page = "<html><head><title>Loading…</title></head><body><div id='app'></div><script>start()</script></body></html>"

    with pytest.raises(FormatError) as raised:
        parse_html(page.encode("utf-8"), file_name="app.html")

    assert str(raised.value) == "app.html: no article text found in the page"


def test_a_page_in_a_legacy_encoding_is_read_as_its_meta_tag_says():
    page = PAGE.replace(" 🙂", "").replace('charset="utf-8"', 'charset="windows-1252"').replace("Pontevedra", "Málaga")

    record = parse_html(page.encode("cp1252"), file_name="ban-cars.html")

    assert record.text.split("\n\n")[1] == (
        "A city centre without cars is quieter, cleaner and safer – Oslo and Málaga have shown that it works."
    )
