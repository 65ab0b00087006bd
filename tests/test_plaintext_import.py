"""Plain-text import cleans scraped op-eds and keeps the argument text exactly."""

import unicodedata
from pathlib import Path

import pytest

from annotate.formats.plaintext import parse_plain_text, title_from_file_name

SEED = Path(__file__).resolve().parent.parent / "seeds" / "did-trump-flinch.txt"


def test_seed_import_drops_exactly_the_title_byline_view_counter_and_cookie_banner():
    cleaned = parse_plain_text(SEED.read_text(encoding="utf-8"))

    assert cleaned.dropped_lines == [
        "Did Trump Flinch?",
        "by David Mark",
        "1.1K views",
        "This website uses cookies to improve your experience. We'll assume you're ok with this, "
        "but you can opt-out if you wish. Accept Read More",
    ]
    assert (cleaned.record.title, cleaned.record.author) == ("Did Trump Flinch?", "David Mark")


def test_seed_import_keeps_every_argument_paragraph_character_for_character():
    raw = SEED.read_text(encoding="utf-8")
    dropped = {"Did Trump Flinch?", "by David Mark", "1.1K views"}
    paragraphs = [line for line in raw.split("\n") if line.strip() and line not in dropped][:-1]

    text = parse_plain_text(raw).record.text

    assert text == "\n\n".join(paragraphs)
    assert len(paragraphs) == 14  # 12 argument paragraphs and 2 sub-headings
    assert text.startswith("Trump’s sudden announcement of a ceasefire")
    assert text.endswith("whether Trump likes it or not.")
    # The en-spaces and curly quotes of the original survive.
    assert text.count("\u2002") == raw.count("\u2002")
    assert text.count("“") == raw.count("“") == 1


def test_plain_text_import_collapses_blank_line_runs_to_one_paragraph_break():
    cleaned = parse_plain_text("Title\n\n\n\nFirst paragraph.\n \n\t\n\nSecond paragraph.\n\n\n")

    assert cleaned.record.text == "First paragraph.\n\nSecond paragraph."


def test_plain_text_import_normalises_to_nfc_and_unix_line_ends():
    decomposed = "Cafe\u0301 culture"

    cleaned = parse_plain_text(f"Title\r\n\r\n{decomposed} matters.\r\nA second line.\r\n")

    assert cleaned.record.text == unicodedata.normalize("NFC", decomposed) + " matters.\nA second line."
    assert cleaned.record.text == "Caf\u00e9 culture matters.\nA second line."


def test_plain_text_import_keeps_a_cookie_sentence_that_is_not_the_last_paragraph():
    raw = "Title\n\nWe accept that cookies are tasty, and consent to eat them.\n\nThe end."

    cleaned = parse_plain_text(raw)

    assert cleaned.record.text == "We accept that cookies are tasty, and consent to eat them.\n\nThe end."
    assert cleaned.dropped_lines == ["Title"]


def test_plain_text_import_keeps_astral_characters_and_combining_marks():
    raw = "Emoji\n\nGreat 🙂 news 👍🏽 for cafe\u0301s."

    cleaned = parse_plain_text(raw)

    assert cleaned.record.text == "Great 🙂 news 👍🏽 for caf\u00e9s."


def test_a_one_line_text_is_the_article_text_and_the_fallback_is_the_title():
    cleaned = parse_plain_text("Iran must never get the bomb.\n", fallback_title="Iran deal")

    assert (cleaned.record.title, cleaned.record.text, cleaned.dropped_lines) == (
        "Iran deal",
        "Iran must never get the bomb.",
        [],
    )


def test_a_title_line_and_one_paragraph_are_still_title_and_text():
    cleaned = parse_plain_text("Iran deal\n\nIran must never get the bomb.", fallback_title="ignored")

    assert (cleaned.record.title, cleaned.record.text) == ("Iran deal", "Iran must never get the bomb.")


@pytest.mark.parametrize(
    ("file_name", "title"),
    [
        ("iran-deal.txt", "Iran deal"),
        ("drafts/why_cities__should-ban-cars.md", "Why cities should ban cars"),
        ("C:\\op-eds\\eu-2024.txt", "Eu 2024"),
        ("ñandú-op-ed.txt", "Ñandú op ed"),
        ("---.txt", "Untitled"),
    ],
)
def test_a_title_from_a_file_name_has_spaces_for_dashes_and_underscores_and_a_capital(file_name, title):
    assert title_from_file_name(file_name) == title
