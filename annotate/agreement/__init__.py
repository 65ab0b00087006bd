"""Inter-annotator agreement measures on plain data: lists, tuples and mappings in, numbers out.

Nothing here imports Django, so the measures can be tested and reused without a database.
Undefined results (empty input, no variation) are ``None``, never NaN or an exception.

* ``coding``: Krippendorff's alpha, Cohen's kappa, Fleiss' kappa for labels given to units.
* ``unitizing``: Krippendorff's alpha_U for labelled stretches of a continuum.
* ``spans``: unit alignment, span F1 (exact and overlap) and character-level kappa.
* ``relations``: relation F1 over aligned units.
* ``attributes``: kappa on a unit's attributes (a claim's stance) over matched units.
* ``pairwise``: macro averages over every pair of annotators.
"""

from .coding import cohen_kappa, cohen_kappa_from_labels, fleiss_kappa, fleiss_kappa_per_label, krippendorff_alpha
from .pairwise import PairwiseScores, pairwise_macro
from .relations import relation_f1, relation_f1_macro
from .spans import align_pairs, align_units, character_kappa, normalize_spans, span_f1, span_f1_macro
from .unitizing import UnitizingAlpha, UnitizingScore, concatenate_continua, krippendorff_unitizing_alpha

__all__ = [
    "PairwiseScores",
    "UnitizingAlpha",
    "UnitizingScore",
    "align_pairs",
    "align_units",
    "character_kappa",
    "cohen_kappa",
    "cohen_kappa_from_labels",
    "concatenate_continua",
    "fleiss_kappa",
    "fleiss_kappa_per_label",
    "krippendorff_alpha",
    "krippendorff_unitizing_alpha",
    "normalize_spans",
    "pairwise_macro",
    "relation_f1",
    "relation_f1_macro",
    "span_f1",
    "span_f1_macro",
]
