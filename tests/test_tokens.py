"""The tokeniser keeps graphemes whole; snapping widens to tokens, trims the edges, and is idempotent."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.tokens import snap, tokenize


def words(text):
    return [text[start:end] for start, end in tokenize(text)]


def test_tokens_are_words_and_single_punctuation_marks():
    assert words("Cities don’t need face-saving cars, in the U.S. (mostly).") == [
        "Cities", "don’t", "need", "face-saving", "cars", ",", "in", "the", "U.S", ".", "(", "mostly", ")", ".",
    ]  # fmt: skip


def test_emoji_with_skin_tone_and_combining_marks_are_never_split():
    assert words("Great 👍🏽 idea 🙂 cafe\u0301!") == ["Great", "👍🏽", "idea", "🙂", "cafe\u0301", "!"]


def test_snap_widens_a_selection_to_whole_words():
    text = "Traffic kills thousands every year."
    # "ffic kills thous" → "Traffic kills thousands"
    assert snap(text, 3, 19) == (0, 23)


def test_snap_trims_white_space_and_outer_punctuation():
    text = "He said: “Ban cars now.” Then he left."
    start, end = snap(text, text.index(":"), text.index("Then"))
    assert text[start:end] == "Ban cars now"


def test_snap_keeps_a_per_cent_sign_and_inner_punctuation():
    text = "Footfall rose 12% in the U.S. city."
    start, end = snap(text, text.index("rose") + 2, text.index("%") + 1)
    assert text[start:end] == "rose 12%"


def test_snap_never_cuts_an_emoji_or_a_combining_mark():
    text = "We agree 👍🏽 and say cafe\u0301 ok"
    thumb = text.index("👍🏽")
    # A selection ending between 👍 and its skin tone takes the whole grapheme.
    assert snap(text, thumb, thumb + 1) == (thumb, thumb + 2)
    cafe = text.index("cafe")
    assert snap(text, cafe, cafe + 4) == (cafe, cafe + 5)


def test_a_selection_of_only_punctuation_is_left_as_it_was():
    text = "Yes -- no."
    assert snap(text, 4, 6) == (4, 6)


@given(st.text(alphabet=st.sampled_from(list("ab c,.'’-👍🏽🙂e\u0301\n"))), st.data())
def test_snapping_is_idempotent(text, data):
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))
    once = snap(text, start, end)
    assert snap(text, *once) == once


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_blank_text_has_no_tokens(text):
    assert tokenize(text) == []
