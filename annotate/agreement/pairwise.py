"""Macro averages of a two-annotator measure over every pair of annotators."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PairwiseScores:
    """A measure's value for each unordered annotator pair, and their mean.

    ``by_pair`` is keyed by ``(annotator, annotator)`` in the order the annotators were
    given; ``mean`` averages the pairs whose value is defined, and is ``None`` when none is.
    """

    by_pair: dict[tuple[Hashable, Hashable], float | None]
    mean: float | None


def pairwise_macro(annotations: Mapping[Hashable, T], measure: Callable[[T, T], float | None]) -> PairwiseScores:
    """Applies ``measure`` to every unordered pair of annotators and macro-averages the results.

    Takes a mapping from annotator to that annotator's annotation (whatever ``measure``
    takes) and a two-annotator measure returning a float or ``None`` (undefined). Pairs where
    the measure is undefined are reported but left out of the mean; with fewer than two
    annotators, or no defined pair, the mean is ``None``.
    """
    by_pair = {(a, b): measure(annotations[a], annotations[b]) for a, b in itertools.combinations(annotations, 2)}
    defined = [value for value in by_pair.values() if value is not None]
    return PairwiseScores(by_pair=by_pair, mean=sum(defined) / len(defined) if defined else None)
