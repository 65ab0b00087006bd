"""The tokeniser keeps graphemes whole; snapping widens to tokens, trims the edges, and is idempotent."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.tokens import snap, tokenize, trim


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


# Keeping the punctuation that belongs to the sentence (Project.snap_keeps_punctuation).


def snapped(text, selection, *, keep_punctuation=True, occurrence=0):
    """The text a selection of `selection` (its first occurrence after `occurrence`) snaps to."""
    start = text.index(selection, occurrence)
    begin, end = snap(text, start, start + len(selection), keep_punctuation=keep_punctuation)
    return text[begin:end]


def test_a_selected_quotation_keeps_its_quotation_marks_and_full_stop():
    text = "He said: “Ban cars now.” Then he left."

    assert snapped(text, "“Ban cars now.”") == "“Ban cars now.”"
    assert snapped(text, ": “Ban cars now.” ") == "“Ban cars now.”"
    assert snapped(text, "“Ban cars now.”", keep_punctuation=False) == "Ban cars now"


def test_a_selection_ending_just_before_the_full_stop_keeps_it():
    text = "Traffic kills thousands every year. Critics disagree."

    assert snapped(text, "Traffic kills thousands every year") == "Traffic kills thousands every year."
    assert snapped(text, "Critics disag") == "Critics disagree."


def test_a_selection_begun_after_the_opening_quotation_mark_keeps_no_closing_one():
    text = "He said: “Ban cars now.” Then he left."

    assert snapped(text, "Ban cars now") == "Ban cars now."


def test_punctuation_inside_a_quotation_is_kept_with_its_closing_quotation_mark():
    text = "“Cities, too,” he said, “must act!”"

    assert snapped(text, "“Cities, too") == "“Cities, too,”"
    assert snapped(text, "“must act") == "“must act!”"


def test_a_comma_or_a_bracket_closed_outside_the_unit_is_not_kept():
    text = "Shops suffer (mostly), critics say; footfall rises."

    assert snapped(text, "mostly") == "mostly"
    assert snapped(text, "(mostly") == "(mostly)"
    assert snapped(text, "critics say") == "critics say"


def test_straight_quotation_marks_are_kept_in_pairs_and_an_apostrophe_is_no_quotation_mark():
    text = "She wrote \"it's over.\" and 'that's that'."

    assert snapped(text, "\"it's over") == '"it\'s over."'
    assert snapped(text, "it's over") == "it's over."
    assert snapped(text, "'that's that") == "'that's that'."


def test_keeping_punctuation_never_cuts_an_emoji_or_a_combining_mark():
    text = "Good 👍🏽. Next “cafe\u0301”. And «🙂»!"

    # A selection ending between 👍 and its skin tone takes the whole emoji.
    assert snapped(text, "Good 👍") == "Good 👍🏽."
    assert snapped(text, "“caf") == "“cafe\u0301”."
    assert snapped(text, "«🙂") == "«🙂»!"


# Whole graphemes (the browser selects between graphemes): the emoji with its skin tone,
# the letter with its combining accent.
GRAPHEMES = [*"ab c,.!?'’\"“”‘«»()[]\n", "👍🏽", "🙂", "e\u0301"]


@given(st.lists(st.sampled_from(GRAPHEMES), min_size=1), st.data())
def test_snapping_with_punctuation_kept_is_idempotent_and_keeps_graphemes_whole(graphemes, data):
    text = "".join(graphemes)
    boundaries = [0, *itertools.accumulate(len(grapheme) for grapheme in graphemes)]
    start = data.draw(st.sampled_from(boundaries))
    end = data.draw(st.sampled_from([boundary for boundary in boundaries if boundary >= start]))

    once = snap(text, start, end, keep_punctuation=True)

    assert snap(text, *once, keep_punctuation=True) == once
    assert (once[0] in boundaries, once[1] in boundaries) == (True, True)


@given(st.lists(st.sampled_from(GRAPHEMES), min_size=1), st.data(), st.booleans())
def test_trimming_a_span_on_whole_tokens_is_snapping_it(graphemes, data, keep_punctuation):
    # A tagger's spans are on whole tokens: suggestions trim them rather than snap them.
    text = "".join(graphemes)
    found = tokenize(text)
    if not found:
        return
    first = data.draw(st.integers(0, len(found) - 1))
    last = data.draw(st.integers(first, len(found) - 1))
    span = (found[first][0], found[last][1])

    assert trim(text, *span, keep_punctuation=keep_punctuation) == snap(text, *span, keep_punctuation=keep_punctuation)


# Right-to-left scripts: a word with its diacritics, joiners and inner marks is one token.

ARABIC = "كَتَبَ الطَّالِبُ الدَّرْسَ بِسْمِ اللّٰهِ"  # harakat (U+064B–U+065F) and a superscript alef
HEBREW = "בְּרֵאשִׁית בָּרָא אֱלֹהִים"  # niqqud (U+05B0–U+05C7)


def test_arabic_words_with_harakat_and_tatweel_are_one_token_each():
    assert words(ARABIC) == ["كَتَبَ", "الطَّالِبُ", "الدَّرْسَ", "بِسْمِ", "اللّٰهِ"]
    assert words("كـــتاب جميـل") == ["كـــتاب", "جميـل"]  # the tatweel (U+0640) stretches a word


def test_hebrew_words_with_niqqud_maqaf_geresh_and_gershayim_are_one_token_each():
    assert words(HEBREW) == ["בְּרֵאשִׁית", "בָּרָא", "אֱלֹהִים"]
    assert words("בית־ספר של צה״ל וצה\"ל, ג׳ וזהו.") == [
        "בית־ספר", "של", "צה״ל", "וצה\"ל", ",", "ג׳", "וזהו", ".",
    ]  # fmt: skip


def test_zero_width_joiner_and_non_joiner_stay_inside_their_word():
    assert words("من می\u200cخواهم بروم") == ["من", "می\u200cخواهم", "بروم"]
    assert words("क्\u200dष ok") == ["क्\u200dष", "ok"]


def test_a_straight_quotation_mark_around_hebrew_words_is_still_a_quotation_mark():
    assert words('he said "שלום" then') == ["he", "said", '"', "שלום", '"', "then"]


@pytest.mark.parametrize("text", [ARABIC, HEBREW])
def test_snap_never_splits_a_word_from_its_diacritics(text):
    # Every selection that starts or ends inside a word, even between a letter and its
    # marks, widens to the whole word.
    tokens = tokenize(text)
    for token_start, token_end in tokens:
        for inside in range(token_start + 1, token_end):
            assert snap(text, token_start, inside) == (token_start, token_end)
            assert snap(text, inside, token_end) == (token_start, token_end)


def test_arabic_and_hebrew_sentence_marks_and_the_arabic_per_cent_sign_are_kept():
    arabic = "هل ترتفع الأسعار؟ ارتفعت ٣٠٪ فقط."
    hebrew = "המחירים עלו׃ זה הכל"

    assert snapped(arabic, "هل ترتفع الأسع") == "هل ترتفع الأسعار؟"
    assert snapped(arabic, "ارتفعت ٣٠٪", keep_punctuation=False) == "ارتفعت ٣٠٪"
    assert snapped(hebrew, "המחירים על") == "המחירים עלו׃"


RTL_GRAPHEMES = [" ", "،", "؟", ".", '"', "«", "»", "\u200c", "ـ", "كَ", "تَ", "بُ", "שׁ", "בְּ", "׳", "־", "״", "٣", "a"]


@given(st.lists(st.sampled_from(RTL_GRAPHEMES), min_size=1), st.data())
def test_snapping_right_to_left_text_is_idempotent(graphemes, data):
    text = "".join(graphemes)
    boundaries = [0, *itertools.accumulate(len(grapheme) for grapheme in graphemes)]
    start = data.draw(st.sampled_from(boundaries))
    end = data.draw(st.sampled_from([boundary for boundary in boundaries if boundary >= start]))

    once = snap(text, start, end, keep_punctuation=True)

    assert snap(text, *once, keep_punctuation=True) == once
    assert snap(text, *snap(text, start, end)) == snap(text, start, end)
