"""UTF-16 offsets from the browser become code points, and nothing lands inside a character."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.offsets import OffsetError, code_point_to_utf16, utf16_to_code_point

TEXT = "Hi 🙂 and 👍🏽, café e\u0301."


def test_utf16_offsets_after_astral_characters_become_code_points():
    # "Hi " is 3 units; 🙂 is 2 UTF-16 units but 1 code point.
    assert utf16_to_code_point(TEXT, 3) == 3
    assert utf16_to_code_point(TEXT, 5) == 4
    # 👍🏽 is two astral code points: four UTF-16 units.
    start = TEXT.index("👍🏽")
    assert utf16_to_code_point(TEXT, code_point_to_utf16(TEXT, start) + 4) == start + 2
    assert utf16_to_code_point(TEXT, len(TEXT.encode("utf-16-le")) // 2) == len(TEXT)


def test_an_offset_between_the_halves_of_a_surrogate_pair_is_refused():
    with pytest.raises(OffsetError, match="falls inside a character"):
        utf16_to_code_point(TEXT, 4)


@pytest.mark.parametrize("text", [TEXT, "Plain words, no astral character: é, ü, ß."])
@pytest.mark.parametrize("offset", [-1, 10_000])
def test_an_offset_outside_the_text_is_refused(text, offset):
    with pytest.raises(OffsetError, match=f"The offset {offset} lies outside the text."):
        utf16_to_code_point(text, offset)


@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",))), st.data())
def test_in_a_text_without_astral_characters_the_offsets_agree(text, data):
    offset = data.draw(st.integers(min_value=0, max_value=len(text)))
    assert utf16_to_code_point(text, offset) == code_point_to_utf16(text, offset) == offset


@given(st.text(), st.data())
def test_code_points_survive_the_round_trip_through_utf16(text, data):
    offset = data.draw(st.integers(min_value=0, max_value=len(text)))
    assert utf16_to_code_point(text, code_point_to_utf16(text, offset)) == offset
