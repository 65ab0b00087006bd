"""The agreement measures reproduce published worked examples and hand-computed small cases.

Plain data only: no database, no Django.
"""

import itertools
import random

import pytest

from annotate.agreement import (
    PairwiseScores,
    align_pairs,
    align_units,
    character_kappa,
    cohen_kappa,
    cohen_kappa_from_labels,
    concatenate_continua,
    fleiss_kappa,
    fleiss_kappa_per_label,
    krippendorff_alpha,
    krippendorff_unitizing_alpha,
    normalize_spans,
    pairwise_macro,
    relation_f1,
    relation_f1_macro,
    span_f1,
    span_f1_macro,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders x 12 units.
_ = None
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]

# Fleiss (1971): 30 items, 6 raters each, categories 1..5; each string is one item's ratings.
FLEISS_1971_ITEMS = (
    "444444 222555 233335 555555 222444 113333 333355 113334 114444 555555 "
    "144444 124444 222333 144444 224445 333335 111455 111112 224444 133555 "
    "555555 244444 224555 114444 144445 222224 111155 224444 133333 555555"
).split()
FLEISS_1971 = [[item.count(str(category)) for category in range(1, 6)] for item in FLEISS_1971_ITEMS]

# Krippendorff (2004: 254), as in DKPro Agreement's tests: (begin, length, coder, label).
KRIPPENDORFF_2004_UNITS = [
    (225, 70, 0, "c"),
    (370, 30, 0, "c"),
    (220, 80, 1, "c"),
    (355, 20, 1, "c"),
    (400, 20, 1, "c"),
    (180, 60, 0, "k"),
    (300, 50, 0, "k"),
    (180, 60, 1, "k"),
    (300, 50, 1, "k"),
]


# --- Krippendorff's alpha on coding data --------------------------------------------------


def test_krippendorff_alpha_reproduces_krippendorff_2011_nominal():
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="nominal") == pytest.approx(0.743, abs=1e-3)


def test_krippendorff_alpha_reproduces_krippendorff_2011_ordinal():
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal") == pytest.approx(0.815, abs=1e-3)


def test_krippendorff_alpha_reproduces_krippendorff_2011_interval():
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="interval") == pytest.approx(0.849, abs=1e-3)


def test_krippendorff_alpha_reproduces_krippendorff_2011_ratio():
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="ratio") == pytest.approx(0.797, abs=1e-3)


def test_krippendorff_alpha_nominal_treats_labels_as_names_not_numbers():
    letters = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    renamed = [[letters.get(value) for value in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(renamed, level="nominal") == pytest.approx(0.743, abs=1e-3)


def test_krippendorff_alpha_ordinal_depends_on_order_not_on_distances():
    stretched = {1: 1, 2: 2, 3: 3, 4: 40, 5: 500}
    reordered = [[stretched.get(value) for value in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(reordered, level="ordinal") == pytest.approx(0.815, abs=1e-3)


def test_krippendorff_alpha_is_one_for_perfect_agreement_on_several_values():
    assert krippendorff_alpha([["x", "y", None, "x"], ["x", "y", "z", "x"], ["x", "y", "z", None]]) == 1.0


def test_krippendorff_alpha_is_undefined_for_empty_input():
    assert krippendorff_alpha([]) is None
    assert krippendorff_alpha([[], []]) is None


def test_krippendorff_alpha_is_undefined_when_no_unit_has_two_values():
    assert krippendorff_alpha([[1, None, None], [None, 2, None]], level="interval") is None


def test_krippendorff_alpha_is_undefined_when_only_one_value_is_ever_used():
    assert krippendorff_alpha([[3, 3, 3], [3, 3, None]], level="ordinal") is None


def test_krippendorff_alpha_rejects_ragged_rows_and_unknown_levels():
    with pytest.raises(ValueError, match="same number of units"):
        krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValueError, match="unknown level"):
        krippendorff_alpha([[1, 2], [1, 2]], level="cardinal")


# --- Cohen's kappa ---------------------------------------------------------------------------


def test_cohen_kappa_reproduces_cohen_1960_example_2():
    assert cohen_kappa([[88, 14, 18], [10, 40, 10], [2, 6, 12]]) == pytest.approx(0.492, abs=1e-3)


def test_cohen_kappa_from_labels_reproduces_cohen_1960_example_2():
    table = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]
    pairs = [(i, j) for i, row in enumerate(table) for j, count in enumerate(row) for _ in range(count)]
    labels_a, labels_b = zip(*pairs, strict=True)
    assert cohen_kappa_from_labels(labels_a, labels_b) == pytest.approx(0.492, abs=1e-3)


def test_cohen_kappa_from_labels_skips_units_either_annotator_left_missing():
    # Pairs kept: (x, x), (y, y), (x, y) -> p_o = 2/3, p_e = (2/3)(1/3) + (1/3)(2/3) = 4/9.
    labels_a = ["x", "y", None, "x", "x"]
    labels_b = ["x", "y", "y", None, "y"]
    assert cohen_kappa_from_labels(labels_a, labels_b) == pytest.approx((2 / 3 - 4 / 9) / (1 - 4 / 9), abs=1e-9)


def test_cohen_kappa_is_one_for_perfect_agreement():
    assert cohen_kappa([[3, 0], [0, 2]]) == 1.0
    assert cohen_kappa_from_labels(["a", "b", "a"], ["a", "b", "a"]) == 1.0


def test_cohen_kappa_is_undefined_for_empty_input_or_a_single_shared_label():
    assert cohen_kappa([]) is None
    assert cohen_kappa([[0, 0], [0, 0]]) is None
    assert cohen_kappa([[5]]) is None
    assert cohen_kappa_from_labels([], []) is None
    assert cohen_kappa_from_labels([None, "a"], ["b", None]) is None


def test_cohen_kappa_rejects_unequal_sequences_and_non_square_matrices():
    with pytest.raises(ValueError, match="differ in length"):
        cohen_kappa_from_labels(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="square"):
        cohen_kappa([[1, 2, 3], [4, 5, 6]])


# --- Fleiss' kappa ---------------------------------------------------------------------------


def test_fleiss_kappa_reproduces_fleiss_1971():
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(0.430, abs=1e-3)


def test_fleiss_kappa_per_label_reproduces_fleiss_1971():
    expected = [0.245, 0.245, 0.520, 0.471, 0.566]
    assert fleiss_kappa_per_label(FLEISS_1971) == pytest.approx(expected, abs=1e-3)


def test_fleiss_kappa_is_one_for_perfect_agreement():
    assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]) == 1.0
    assert fleiss_kappa_per_label([[3, 0], [0, 3], [3, 0]]) == [1.0, 1.0]


def test_fleiss_kappa_is_undefined_for_empty_input_one_rater_or_one_label_used():
    assert fleiss_kappa([]) is None
    assert fleiss_kappa_per_label([]) == []
    assert fleiss_kappa([[1, 0], [0, 1]]) is None
    assert fleiss_kappa([[4, 0], [4, 0]]) is None
    assert fleiss_kappa_per_label([[4, 0], [4, 0]]) == [None, None]


def test_fleiss_kappa_per_label_is_undefined_for_a_label_nobody_used():
    assert fleiss_kappa_per_label([[2, 0, 0], [0, 2, 0]]) == [1.0, 1.0, None]


def test_fleiss_kappa_rejects_units_with_different_numbers_of_raters():
    with pytest.raises(ValueError, match="same number of annotators"):
        fleiss_kappa([[2, 1], [1, 1]])


# --- Krippendorff's unitizing alpha ---------------------------------------------------------


def test_unitizing_alpha_reproduces_krippendorff_2004_per_label():
    result = krippendorff_unitizing_alpha(
        KRIPPENDORFF_2004_UNITS, continuum_begin=150, continuum_length=300, annotator_count=2
    )
    assert list(result.by_label) == ["c", "k"]
    assert result.by_label["c"].observed == pytest.approx(0.0144, abs=1e-4)
    assert result.by_label["c"].expected == pytest.approx(0.0532, abs=1e-4)
    assert result.by_label["c"].alpha == pytest.approx(0.7286, abs=1e-3)
    assert result.by_label["k"].observed == 0.0
    assert result.by_label["k"].expected == pytest.approx(0.0490, abs=1e-4)
    assert result.by_label["k"].alpha == pytest.approx(1.0, abs=1e-3)


def test_unitizing_alpha_reproduces_krippendorff_2004_overall():
    result = krippendorff_unitizing_alpha(
        KRIPPENDORFF_2004_UNITS, continuum_begin=150, continuum_length=300, annotator_count=2
    )
    assert result.overall.alpha == pytest.approx(0.8587, abs=1e-3)


def test_unitizing_alpha_reproduces_dkpro_small_case_with_observed_and_expected():
    # r0: -11111111-   r1: --1-1-1---
    units = [(1, 8, 0, "A"), (2, 1, 1, "A"), (4, 1, 1, "A"), (6, 1, 1, "A")]
    score = krippendorff_unitizing_alpha(units, continuum_length=10, annotator_count=2).by_label["A"]
    assert score.observed == pytest.approx(0.9100, abs=1e-3)
    assert score.expected == pytest.approx(0.5352, abs=1e-3)
    assert score.alpha == pytest.approx(-0.7003, abs=1e-3)


def test_unitizing_observed_disagreement_matches_dkpro_on_krippendorff_1995_example():
    # Krippendorff (1995: 57), continuum of 24; label B has adjacent one-character units.
    units = [
        (2, 8, 0, "A"), (14, 6, 0, "A"), (4, 4, 1, "A"), (15, 2, 1, "A"),
        (0, 18, 0, "B"), (0, 2, 1, "B"), (2, 1, 1, "B"), (3, 1, 1, "B"),
        (4, 1, 1, "B"), (5, 1, 1, "B"), (6, 3, 1, "B"), (9, 1, 1, "B"),
        (2, 6, 0, "C"), (10, 2, 0, "C"), (14, 4, 0, "C"), (20, 2, 0, "C"), (0, 2, 1, "C"),
        (4, 4, 1, "C"), (10, 4, 1, "C"), (16, 2, 1, "C"), (20, 2, 1, "C"),
        (0, 2, 0, "D"), (2, 8, 0, "D"), (10, 4, 0, "D"), (14, 6, 0, "D"), (20, 4, 0, "D"),
        (0, 4, 1, "D"), (4, 4, 1, "D"), (8, 7, 1, "D"), (15, 2, 1, "D"), (17, 7, 1, "D"),
    ]  # fmt: skip
    result = krippendorff_unitizing_alpha(units, continuum_length=24, annotator_count=2)
    observed = {label: score.observed for label, score in result.by_label.items()}
    assert observed == pytest.approx({"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}, abs=1e-4)


def _naive_unitizing(units, begin, length, annotators, label):
    """Krippendorff's alpha_U for one label, transcribed literally: every pair of segments."""

    def segments(coder):
        mine = sorted((b, b + n) for b, n, c, x in units if c == coder and x == label)
        result, position = [], begin
        for start, end in mine:
            if start > position:
                result.append((position, start, False))
            result.append((start, end, True))
            position = end
        if position < begin + length:
            result.append((position, begin + length, False))
        return result

    def distance(first, second):
        (b1, e1, unit1), (b2, e2, unit2) = first, second
        if unit1 and unit2:
            return (b1 - b2) ** 2 + (e1 - e2) ** 2
        if unit1 and not unit2 and b2 <= b1 and e1 <= e2:
            return (e1 - b1) ** 2
        if unit2 and not unit1 and b1 <= b2 and e2 <= e1:
            return (e2 - b2) ** 2
        return 0

    observed = 0
    for one, other in itertools.permutations(range(annotators), 2):
        for first in segments(one):
            for second in segments(other):
                if max(first[0], second[0]) < min(first[1], second[1]):
                    observed += distance(first, second)
    observed /= annotators * (annotators - 1) * length**2

    lengths = [n for _, n, _, x in units if x == label]
    gaps = [e - s for coder in range(annotators) for s, e, unit in segments(coder) if not unit]
    total = 0
    for n in lengths:
        total += (len(lengths) - 1) * (2 * n**3 - 3 * n**2 + n) / 3
        total += n**2 * sum(g - n + 1 for g in gaps if g >= n)
    pairs_possible = annotators * length * (annotators * length - 1) - sum(n * (n - 1) for n in lengths)
    expected = 2 / length * total / pairs_possible
    return observed, expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unitizing_alpha_equals_a_literal_all_pairs_computation_for_three_annotators(seed):
    rng = random.Random(seed)
    length, units = 200, []
    for coder in range(3):
        for label in ("claim", "premise"):
            position = rng.randrange(0, 10)
            while position < length - 5:
                size = rng.randrange(1, 30)
                if position + size > length:
                    break
                units.append((position, size, coder, label))
                position += size + rng.randrange(0, 15)
    result = krippendorff_unitizing_alpha(units, continuum_length=length, annotator_count=3)
    for label in ("claim", "premise"):
        observed, expected = _naive_unitizing(units, 0, length, 3, label)
        assert result.by_label[label].observed == pytest.approx(observed, rel=1e-9)
        assert result.by_label[label].expected == pytest.approx(expected, rel=1e-9)


def test_unitizing_alpha_is_one_for_identical_unitizations():
    units = [(b, n, coder, "A") for coder in (0, 1, 2) for b, n in ((0, 3), (5, 2), (9, 4))]
    result = krippendorff_unitizing_alpha(units, continuum_length=20, annotator_count=3)
    assert result.by_label["A"].alpha == 1.0
    assert result.overall.alpha == 1.0


def test_unitizing_alpha_counts_an_annotator_who_marked_nothing():
    # Coder 2 marked nothing: its whole continuum is one gap, which coder 0's unit lies in.
    result = krippendorff_unitizing_alpha([(0, 3, 0, "A"), (0, 3, 1, "A")], continuum_length=10, annotator_count=3)
    assert result.by_label["A"].observed == pytest.approx(2 * (9 + 9) / (3 * 2 * 100), abs=1e-12)


def test_unitizing_alpha_is_undefined_without_units_or_with_one_annotator():
    empty = krippendorff_unitizing_alpha([], continuum_length=20, annotator_count=3)
    assert empty.by_label == {}
    assert (empty.overall.observed, empty.overall.expected, empty.overall.alpha) == (None, None, None)
    alone = krippendorff_unitizing_alpha([(0, 2, 0, "A")], continuum_length=20, annotator_count=1)
    assert alone.by_label["A"].alpha is None
    assert alone.overall.alpha is None


def test_unitizing_alpha_is_undefined_when_expected_disagreement_is_zero():
    # Every character covered by a one-character unit: no other placement is possible.
    units = [(position, 1, coder, "A") for coder in (0, 1) for position in range(4)]
    score = krippendorff_unitizing_alpha(units, continuum_length=4, annotator_count=2).by_label["A"]
    assert (score.observed, score.expected, score.alpha) == (0.0, 0.0, None)


def test_unitizing_alpha_rejects_overlapping_units_of_one_annotator_unless_merging():
    units = [(0, 5, 0, "A"), (3, 5, 0, "A"), (0, 8, 1, "A")]
    with pytest.raises(ValueError, match="overlapping units"):
        krippendorff_unitizing_alpha(units, continuum_length=10, annotator_count=2)
    merged = krippendorff_unitizing_alpha(units, continuum_length=10, annotator_count=2, merge_overlaps=True)
    assert merged.by_label["A"].alpha == 1.0


def test_unitizing_alpha_rejects_units_outside_the_continuum_or_too_many_annotators():
    with pytest.raises(ValueError, match="inside the continuum"):
        krippendorff_unitizing_alpha([(8, 5, 0, "A")], continuum_length=10, annotator_count=2)
    with pytest.raises(ValueError, match="annotator_count"):
        krippendorff_unitizing_alpha([(0, 1, 0, "A"), (0, 1, 1, "A")], continuum_length=10, annotator_count=1)


def test_concatenate_continua_shifts_each_document_by_the_lengths_before_it():
    documents = [(10, [(1, 2, "ann", "A")]), (5, [(0, 5, "bob", "A")]), (7, [])]
    assert concatenate_continua(documents) == (22, [(1, 2, "ann", "A"), (10, 5, "bob", "A")])
    assert concatenate_continua([]) == (0, [])


# --- Span F1 ----------------------------------------------------------------------------------


def test_normalize_spans_sorts_merges_touching_spans_and_drops_empty_ones():
    assert normalize_spans([(10, 12), (0, 5), (5, 8), (3, 4), (20, 20)]) == ((0, 8), (10, 12))
    assert normalize_spans((4, 9)) == ((4, 9),)


def test_span_f1_exact_needs_same_start_end_and_label():
    units_a = [("claim", (0, 10)), ("premise", (20, 30)), ("premise", (40, 50))]
    units_b = [("claim", (0, 10)), ("premise", (21, 30)), ("claim", (40, 50))]
    assert span_f1(units_a, units_b, criterion="exact") == pytest.approx(2 * 1 / 6, abs=1e-12)


def test_span_f1_overlap_matches_where_exact_does_not():
    units_a = [("claim", (0, 10)), ("premise", (20, 30))]
    units_b = [("claim", (0, 10)), ("premise", (21, 30))]  # premise overlap 9/10
    assert span_f1(units_a, units_b, criterion="exact") == 0.5
    assert span_f1(units_a, units_b, criterion="overlap") == 1.0


def test_span_f1_overlap_of_exactly_half_does_not_match():
    assert span_f1([("claim", (0, 10))], [("claim", (5, 15))], criterion="overlap") == 0.0
    assert span_f1([("claim", (0, 10))], [("claim", (4, 14))], criterion="overlap") == 1.0


def test_span_f1_overlap_divides_by_the_longer_unit():
    # 4 shared characters of a 5-character and an 8-character unit: 4/8 = 0.5, no match.
    assert span_f1([("claim", (0, 5))], [("claim", (1, 9))], criterion="overlap") == 0.0
    assert span_f1([("claim", (0, 5))], [("claim", (1, 8))], criterion="overlap") == 1.0


def test_span_f1_overlap_requires_the_same_label():
    assert span_f1([("claim", (0, 10))], [("premise", (0, 10))], criterion="overlap") == 0.0


def test_span_f1_compares_discontinuous_units_by_all_their_characters():
    unit = ("claim", [(0, 4), (10, 16)])
    assert span_f1([unit], [("claim", [(10, 16), (0, 4)])], criterion="exact") == 1.0
    # 9 of the longer unit's 10 characters shared.
    assert span_f1([unit], [("claim", [(0, 4), (10, 15)])], criterion="exact") == 0.0
    assert span_f1([unit], [("claim", [(0, 4), (10, 15)])], criterion="overlap") == 1.0
    # 6 characters shared but the other unit spans 13: 6/13 < 0.5.
    assert span_f1([("claim", [(0, 3), (10, 13)])], [("claim", (0, 13))], criterion="overlap") == 0.0


def test_span_f1_matches_units_one_to_one():
    assert span_f1([("claim", (0, 10))] * 2, [("claim", (0, 10))], criterion="exact") == pytest.approx(2 / 3)
    units_b = [("claim", (0, 10)), ("claim", (1, 10))]
    assert span_f1([("claim", (0, 10))], units_b, criterion="overlap") == pytest.approx(2 / 3)


def test_span_f1_overlap_finds_the_largest_pairing_not_the_greedy_one():
    # a1-b1 overlap best (0.9), but taking it strands a2, whose only candidate is b1.
    units_a = {"a1": ("claim", (0, 10)), "a2": ("claim", (0, 9))}
    units_b = {"b1": ("claim", (1, 11)), "b2": ("claim", (4, 14))}
    assert span_f1(units_a, units_b, criterion="overlap") == 1.0
    assert sorted(align_units(units_a, units_b, criterion="overlap")) == [("a1", "b2"), ("a2", "b1")]


def test_span_f1_is_undefined_when_neither_annotator_has_units_and_zero_when_one_has():
    assert span_f1([], [], criterion="exact") is None
    assert span_f1({}, {}, criterion="overlap") is None
    assert span_f1([("claim", (0, 3))], [], criterion="overlap") == 0.0


def test_span_f1_rejects_an_unknown_criterion_and_backwards_spans():
    with pytest.raises(ValueError, match="unknown span criterion"):
        span_f1([("claim", (0, 3))], [("claim", (0, 3))], criterion="fuzzy")
    with pytest.raises(ValueError, match="start <= end"):
        span_f1([("claim", (5, 3))], [], criterion="exact")


def test_span_f1_macro_averages_every_annotator_pair():
    units = {
        "ann": [("claim", (0, 10)), ("premise", (20, 30))],
        "bob": [("claim", (0, 10)), ("premise", (22, 30))],
        "cat": [("claim", (0, 10))],
    }
    exact = span_f1_macro(units, criterion="exact")
    assert exact.by_pair == {("ann", "bob"): 0.5, ("ann", "cat"): pytest.approx(2 / 3), ("bob", "cat"): 2 / 3}
    assert exact.mean == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert span_f1_macro(units, criterion="overlap").mean == pytest.approx((1.0 + 2 / 3 + 2 / 3) / 3)


def test_pairwise_macro_leaves_undefined_pairs_out_of_the_mean():
    scores = pairwise_macro({"a": 1, "b": 2, "c": None}, lambda x, y: None if None in (x, y) else float(x + y))
    assert scores == PairwiseScores(by_pair={("a", "b"): 3.0, ("a", "c"): None, ("b", "c"): None}, mean=3.0)
    assert pairwise_macro({"a": 1}, lambda x, y: 1.0) == PairwiseScores(by_pair={}, mean=None)


# --- Relation F1 ----------------------------------------------------------------------------


def _relation_case():
    units_a = {1: ("claim", (0, 10)), 2: ("premise", (20, 30)), 3: ("premise", (40, 50))}
    units_b = {"x": ("claim", (0, 10)), "y": ("premise", (21, 30)), "z": ("premise", (40, 50))}
    return units_a, units_b


def test_relation_f1_matches_only_when_endpoints_match_under_the_criterion():
    units_a, units_b = _relation_case()
    relations_a = [(2, 1, "support")]
    relations_b = [("y", "x", "support")]
    kwargs = {"units_a": units_a, "relations_a": relations_a, "units_b": units_b, "relations_b": relations_b}
    assert relation_f1(**kwargs, criterion="exact") == 0.0
    assert relation_f1(**kwargs, criterion="overlap") == 1.0


def test_relation_f1_needs_the_same_type_and_direction():
    units_a, units_b = _relation_case()
    relations_a = [(3, 1, "support"), (1, 3, "attack"), (2, 1, "support")]
    relations_b = [("z", "x", "attack"), ("z", "x", "support"), ("y", "x", "support")]
    # Exact: only (3, 1, support) matches; 2 and y are not aligned.
    assert relation_f1(
        units_a=units_a, relations_a=relations_a, units_b=units_b, relations_b=relations_b, criterion="exact"
    ) == pytest.approx(2 * 1 / 6)
    assert relation_f1(
        units_a=units_a, relations_a=relations_a, units_b=units_b, relations_b=relations_b, criterion="overlap"
    ) == pytest.approx(2 * 2 / 6)


def test_relation_f1_is_undefined_without_relations_and_zero_when_one_side_has_none():
    units_a, units_b = _relation_case()
    assert relation_f1(units_a=units_a, relations_a=[], units_b=units_b, relations_b=[]) is None
    assert relation_f1(units_a=units_a, relations_a=[(2, 1, "support")], units_b=units_b, relations_b=[]) == 0.0


def test_relation_f1_rejects_a_relation_to_an_unknown_unit():
    units_a, units_b = _relation_case()
    with pytest.raises(ValueError, match="does not have"):
        relation_f1(units_a=units_a, relations_a=[(9, 1, "support")], units_b=units_b, relations_b=[])


def test_relation_f1_macro_averages_every_annotator_pair():
    units_a, units_b = _relation_case()
    annotations = {
        "ann": (units_a, [(2, 1, "support")]),
        "bob": (units_b, [("y", "x", "support")]),
        "cat": (units_a, [(2, 1, "support"), (3, 1, "attack")]),
    }
    scores = relation_f1_macro(annotations, criterion="overlap")
    assert scores.by_pair == {("ann", "bob"): 1.0, ("ann", "cat"): pytest.approx(2 / 3), ("bob", "cat"): 2 / 3}
    assert scores.mean == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


# --- Character-level kappa ------------------------------------------------------------------


def test_character_kappa_per_label_from_hand_counts():
    units_a = [("claim", (0, 4)), ("premise", (6, 10)), ("major", (8, 9))]
    units_b = [("claim", (2, 6)), ("premise", (6, 10))]
    # claim: both 2, only A 2, only B 2, neither 4 -> p_o 0.6, p_e 0.52.
    # major: only A marks 1 character -> p_o 0.9 = p_e 0.9 -> 0.
    kappas = character_kappa(units_a, units_b, text_length=10)
    assert kappas == {"claim": pytest.approx(0.08 / 0.48, abs=1e-12), "premise": 1.0, "major": 0.0}


def test_character_kappa_counts_characters_covered_by_overlapping_units_once():
    units_a = [("claim", (0, 4)), ("claim", (2, 6))]
    units_b = [("claim", [(0, 3), (3, 6)])]
    assert character_kappa(units_a, units_b, text_length=12) == {"claim": 1.0}


def test_character_kappa_is_undefined_for_an_unused_label_or_an_empty_text():
    kappas = character_kappa([("claim", (0, 2))], [("claim", (0, 2))], text_length=5, labels=["claim", "premise"])
    assert kappas == {"claim": 1.0, "premise": None}
    assert character_kappa([], [], text_length=0, labels=["claim"]) == {"claim": None}
    assert character_kappa([], [], text_length=10) == {}


def test_character_kappa_rejects_spans_past_the_end_of_the_text():
    with pytest.raises(ValueError, match="past the text length"):
        character_kappa([("claim", (0, 11))], [], text_length=10)


def test_align_pairs_gives_align_units_for_every_pair_under_each_criterion():
    units = {
        "ann": {1: ("Claim", (0, 10)), 2: ("Premise", (12, 20))},
        "ben": {3: ("Claim", (0, 10)), 4: ("Premise", (13, 20))},
        "cat": {5: ("Claim", (1, 10))},
    }

    found = align_pairs(units, criteria=("exact", "overlap"))

    assert found == {
        criterion: {
            (a, b): align_units(units[a], units[b], criterion=criterion)
            for a, b in [("ann", "ben"), ("ann", "cat"), ("ben", "cat")]
        }
        for criterion in ("exact", "overlap")
    }
    assert found["exact"][("ann", "ben")] == [(1, 3)]
    assert found["overlap"][("ann", "ben")] == [(1, 3), (2, 4)]
