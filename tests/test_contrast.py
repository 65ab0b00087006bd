"""WCAG contrast (annotate.contrast) against the specification's extremes and hand-checked
values, and the text colour each Okabe–Ito colour gets on a label tag."""

import pytest

from annotate.contrast import contrast, difference, lab, luminance, readable, text_colour

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


def test_black_on_white_is_21_to_1_and_a_colour_on_itself_1_to_1():
    assert contrast("#ffffff", "#000000") == 21.0
    assert contrast("#000000", "#ffffff") == 21.0
    assert contrast("#E69F00", "#E69F00") == 1.0


def test_luminance_of_white_black_and_pure_green():
    assert (luminance("#ffffff"), luminance("#000000"), round(luminance("#00ff00"), 4)) == (1.0, 0.0, 0.7152)


def test_white_on_the_old_premise_orange_fails_and_black_passes():
    assert contrast("#ff7f0e", "#ffffff") == 2.53
    assert text_colour("#ff7f0e") == "#000000"
    assert contrast("#ff7f0e", "#000000") == 8.29


def test_each_okabe_ito_colour_gets_the_text_colour_that_reads_best():
    assert [(colour, text_colour(colour), contrast(colour, text_colour(colour))) for colour in OKABE_ITO] == [
        ("#E69F00", "#000000", 9.32),
        ("#56B4E9", "#000000", 9.1),
        ("#009E73", "#000000", 6.14),
        ("#F0E442", "#000000", 15.88),
        ("#0072B2", "#ffffff", 5.19),
        ("#D55E00", "#000000", 5.43),
        ("#CC79A7", "#000000", 6.86),
        ("#000000", "#ffffff", 21.0),
    ]


@pytest.mark.parametrize("grey", ["#747474", "#757575", "#767676", "#777777", "#787878"])
def test_black_or_white_reaches_aa_even_on_the_middle_greys(grey):
    # The worst case is a luminance of about 0.18, where black and white both give
    # about 4.58:1: every colour has a text colour that reaches 4.5:1.
    assert readable(grey)


def test_white_in_cielab_is_lightness_100_with_no_hue():
    assert tuple(round(value, 2) for value in lab("#ffffff")) == (100.0, 0.0, 0.0)


def test_two_blues_that_pass_for_one_are_2_9_apart_and_black_and_white_100():
    assert (difference("#1f77b4", "#0072b2"), difference("#000000", "#ffffff"), difference("#E69F00", "#e69f00")) == (
        2.9,
        100.0,
        0.0,
    )
