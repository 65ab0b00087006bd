"""Agreement as sums kept per article, folded into the project's figures.

`compute_agreement` (annotate/project_agreement.py) reads the whole project at once.
Here the same figures come in two steps, so that a change to one layer recomputes one
article and a whole project is read one article at a time:

* `article_sums` reduces one article's counted layers to JSON-ready sums: per pair of
  participants the matched and unmatched counts of span F1 and relation F1 (overall and
  per label), the pair's alpha_U observed disagreement per label (an integer) and the
  tallies of attribute values on its matched units; per participant and label the
  stretches alpha_U's expected disagreement needs (the lengths of its units, the gaps
  between them, and the gaps before the first and after the last, which join the gaps
  of the neighbouring articles when articles are laid end to end); the units per label;
  Fleiss' items; the article's own alpha_U and span F1.
* `fold` adds up the sums of every article, in article order, without keeping them.

alpha_U's expected disagreement sums over every pair of a unit and a gap of the whole
continuum, so it cannot be summed per article; its sufficient statistics can: the
histogram of unit lengths and the histogram of gap lengths (a gap that runs across an
article's end is joined while folding). The sums are kept in integers, so the figures
are those of `compute_agreement` exactly as long as its own sums in floating point are
exact (every partial sum below 2^53; see docs/agreement-results.md).

Nothing here reads the database: it takes `ArticleData` and `LayerData`, whose labels must
be strings (they become JSON keys).
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable

from annotate.agreement import UnitizingScore, align_pairs, normalize_spans
from annotate.agreement.attributes import UNSET, items_kappa, pair_kappa, paired_values
from annotate.agreement.relations import matched_relations
from annotate.agreement.spans import f1
from annotate.agreement.unitizing import _score
from annotate.project_agreement import (
    GOLD,
    UNDEFINED,
    ArticleAgreement,
    ArticleData,
    AttributeAgreement,
    LabelAgreement,
    LayerData,
    PairAgreement,
    ProjectAgreement,
    _mean,
    _rank,
)


def article_sums(article: ArticleData, layers_of: dict[str, LayerData]) -> dict:
    """One article's sums (see the module docstring) from its counted layers, by participant."""
    names = sorted(name for name in layers_of if name != GOLD)
    participants = names + ([GOLD] if GOLD in layers_of else [])
    stretches = {name: _fused(layers_of[name]) for name in participants}
    alignments = align_pairs({name: layers_of[name].units for name in participants}, criteria=("exact", "overlap"))
    pairs, f1s = [], []
    for one, other in itertools.combinations(participants, 2):
        counterparts = {criterion: dict(found[(one, other)]) for criterion, found in alignments.items()}
        pair = _pair_sums(layers_of[one], layers_of[other], counterparts)
        pair["distance"] = _distances(stretches[one][1], stretches[other][1], article.length)
        pairs.append([one, other, pair])
        if GOLD not in (one, other):
            f1s.append(f1(pair["overlap"], *pair["count"]))
    coders = {name: _coder(*stretches[name], article.length) for name in participants}
    alpha = None
    if len(names) >= 2:
        continuum = Continuum()
        continuum.add(article.length, [coders[name] for name in names], _annotator_distance(pairs))
        alpha = continuum.score(len(names))[1].alpha
    return {
        "length": article.length,
        "names": participants,
        "attributes": sorted(
            {name for layer in layers_of.values() for given in layer.attributes.values() for name in given}
        ),
        "units": dict(Counter(label for name in names for label, _ in layers_of[name].units.values())),
        "items": _items([layers_of[name] for name in names]) if len(names) >= 2 else {},
        "coders": coders,
        "pairs": pairs,
        "alpha": alpha,
        "f1": _mean(f1s),
    }


def _pair_sums(a: LayerData, b: LayerData, counterparts: dict[str, dict]) -> dict:
    exact, overlap = counterparts["exact"], counterparts["overlap"]
    count_a = Counter(label for label, _ in a.units.values())
    count_b = Counter(label for label, _ in b.units.values())
    matched = Counter(a.units[unit][0] for unit in overlap)
    names = sorted({name for given in [*a.attributes.values(), *b.attributes.values()] for name in given})
    return {
        "exact": len(exact),
        "overlap": len(overlap),
        "count": [len(a.units), len(b.units)],
        "labels": {label: [matched[label], count_a[label], count_b[label]] for label in count_a | count_b},
        "relations": [
            len(a.relations),
            len(b.relations),
            matched_relations(exact, a.relations, b.relations),
            matched_relations(overlap, a.relations, b.relations),
        ],
        "attributes": {name: _tally(paired_values(exact, a.attributes, b.attributes, name)) for name in names},
    }


def _tally(values: list[tuple[str, str]]) -> list[list]:
    """Attribute value pairs as ``[value, value, how many]``."""
    return [[*pair, n] for pair, n in Counter(values).items()]


def _annotator_distance(pairs: list) -> Counter:
    """alpha_U's observed disagreement per label, summed over the annotator pairs (gold left out)."""
    total = Counter()
    for one, other, pair in pairs:
        if GOLD not in (one, other):
            total.update(pair["distance"])
    return total


def _items(layers: list[LayerData]) -> dict[str, list[list[str]]]:
    """Fleiss' items per attribute: the values each annotator (in name order) gave a unit they
    all marked alike (same label, same characters), where one of them gave any."""
    alike = []
    for layer in layers:
        given, units = layer.attributes, layer.units.items()
        alike.append({(label, normalize_spans(spans)): given.get(unit, {}) for unit, (label, spans) in units})
    names = sorted({name for layer in layers for given in layer.attributes.values() for name in given})
    keys = sorted(set.intersection(*(set(keys) for keys in alike)), key=repr)
    items = {}
    for name in names:
        found = []
        for key in keys:
            values = [of[key].get(name, UNSET) for of in alike]
            if any(value != UNSET for value in values):
                found.append(values)
        if found:
            items[name] = found
    return items


def _fused(layer: LayerData) -> tuple[list[str], dict[str, list[list[int]]]]:
    """The layer's labels in order of first appearance, and per label its spans as alpha_U
    takes them: sorted, and overlapping ones fused (touching ones stay apart)."""
    order, spans = {}, defaultdict(list)
    for label, unit_spans in layer.units.values():
        for start, end in unit_spans:
            order.setdefault(label, None)
            spans[label].append((start, end))
    fused = {}
    for label, found in spans.items():
        merged: list[list[int]] = []
        for start, end in sorted(found, key=lambda span: span[0]):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        fused[label] = merged
    return list(order), fused


def _coder(order: list[str], fused: dict[str, list[list[int]]], length: int) -> dict:
    """A participant's stretches as alpha_U's expected disagreement needs them: per label,
    [gap before the first unit, gap after the last, unit lengths, gaps between units]."""
    labels = {}
    for label, spans in fused.items():
        between = [start - end for (_, end), (start, _) in itertools.pairwise(spans) if start > end]
        labels[label] = [spans[0][0], length - spans[-1][1], [end - start for start, end in spans], between]
    return {"order": order, "labels": labels}


def _segments(spans: list[list[int]] | None, length: int) -> list[tuple[int, int, bool]]:
    segments, position = [], 0
    for start, end in spans or ():
        if start > position:
            segments.append((position, start, False))
        segments.append((start, end, True))
        position = end
    if position < length:
        segments.append((position, length, False))
    return segments


def _distances(one: dict[str, list], other: dict[str, list], length: int) -> dict[str, int]:
    """alpha_U's observed disagreement of two participants on one article, per label (as
    `unitizing._pair_distance` sums it): the two partitions are walked side by side."""
    found = {}
    for label in {*one, *other}:
        first, second = _segments(one.get(label), length), _segments(other.get(label), length)
        i = j = total = 0
        while i < len(first) and j < len(second):
            b1, e1, u1 = first[i]
            b2, e2, u2 = second[j]
            if u1 and u2:
                total += (b1 - b2) ** 2 + (e1 - e2) ** 2
            elif u1 and b2 <= b1 and e1 <= e2:
                total += (e1 - b1) ** 2
            elif u2 and b1 <= b2 and e2 <= e1:
                total += (e2 - b2) ** 2
            i, j = i + (e1 <= e2), j + (e2 <= e1)
        if total:
            found[label] = total
    return found


class Continuum:
    """Articles laid end to end for alpha_U, added one at a time: what alpha_U needs of them
    (unit and gap length histograms per label, observed disagreement sums), not the articles."""

    def __init__(self) -> None:
        self.length = 0
        self.order: dict[str, None] = {}
        self.last_end: dict[tuple[str, int], int] = {}
        self.gaps: dict[str, Counter] = defaultdict(Counter)
        self.units: dict[str, Counter] = defaultdict(Counter)
        self.distance: Counter = Counter()

    def add(self, length: int, slots: list[dict], distance: dict[str, int]) -> None:
        """One article: its length, its coders' stretches (`_coder`) in slot order, and
        its observed disagreement summed over its pairs of coders."""
        for slot, coder in enumerate(slots):
            for label in coder["order"]:
                self.order.setdefault(label, None)
            for label, (before, after, lengths, between) in coder["labels"].items():
                gap = self.length + before - self.last_end.get((label, slot), 0)
                if gap > 0:
                    self.gaps[label][gap] += 1
                self.gaps[label].update(between)
                self.units[label].update(lengths)
                self.last_end[(label, slot)] = self.length + length - after
        self.distance.update(distance)
        self.length += length

    def score(self, coders: int) -> tuple[dict[str, UnitizingScore], UnitizingScore]:
        """alpha_U per label (in order of first appearance) and overall, as
        `krippendorff_unitizing_alpha` gives them with ``merge_overlaps``."""
        length = self.length
        if length == 0:
            return {}, UNDEFINED
        if coders < 2:
            return dict.fromkeys(self.order, UNDEFINED), UNDEFINED
        by_label = {}
        for label in self.order:
            gaps = Counter(self.gaps[label])
            for slot in range(coders):
                if (gap := length - self.last_end.get((label, slot), 0)) > 0:
                    gaps[gap] += 1
            observed = 2.0 * float(self.distance[label]) / (coders * (coders - 1) * float(length) ** 2)
            by_label[label] = _score(observed, _expected(self.units[label], gaps, length, coders))
        if not by_label:
            return {}, UNDEFINED
        mean_observed = sum(score.observed for score in by_label.values()) / len(by_label)
        mean_expected = sum(score.expected for score in by_label.values()) / len(by_label)
        return by_label, _score(mean_observed, mean_expected)


def _expected(units: Counter, gaps: Counter, length: int, coders: int) -> float:
    """`unitizing._expected` from the histograms of unit and gap lengths, in integers."""
    count = sum(units.values())
    if count == 0:
        return 0.0
    beside = (count - 1) * sum(n * u * (u - 1) * (2 * u - 1) for u, n in units.items()) // 3
    values = sorted(gaps)
    suffix_sum, suffix_count = [0] * (len(values) + 1), [0] * (len(values) + 1)
    for index in range(len(values) - 1, -1, -1):
        suffix_sum[index] = suffix_sum[index + 1] + values[index] * gaps[values[index]]
        suffix_count[index] = suffix_count[index + 1] + gaps[values[index]]
    in_gaps = 0
    for unit, n in units.items():
        first = bisect.bisect_left(values, unit)
        in_gaps += n * unit * unit * (suffix_sum[first] - suffix_count[first] * (unit - 1))
    squares = sum(n * unit * (unit - 1) for unit, n in units.items())
    denominator = coders * length * (coders * length - 1.0) - float(squares)
    if denominator <= 0:
        return 0.0
    return float(2.0 / length * float(beside + in_gaps) / denominator)


class _Pair:
    def __init__(self, one: str, other: str) -> None:
        self.slots = sorted((one, other))
        self.articles = self.exact = self.overlap = 0
        self.count = [0, 0]
        self.relations = [0, 0, 0, 0]
        self.labels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        self.attributes: dict[str, Counter] = {}
        self.continuum = Continuum()

    def add(self, sums: dict, pair: dict) -> None:
        self.articles += 1
        self.exact += pair["exact"]
        self.overlap += pair["overlap"]
        self.count = [a + b for a, b in zip(self.count, pair["count"], strict=True)]
        self.relations = [a + b for a, b in zip(self.relations, pair["relations"], strict=True)]
        for label, counts in pair["labels"].items():
            self.labels[label] = [a + b for a, b in zip(self.labels[label], counts, strict=True)]
        for name, tally in pair["attributes"].items():
            found = self.attributes.setdefault(name, Counter())
            for value_a, value_b, n in tally:
                found[(value_a, value_b)] += n
        self.continuum.add(sums["length"], [sums["coders"][name] for name in self.slots], pair["distance"])

    def agreement(self, one: str, other: str) -> PairAgreement:
        attributes = {}
        for name in sorted(self.attributes):
            values = [pair for pair, n in self.attributes[name].items() for _ in range(n)]
            attributes[name] = {"kappa": pair_kappa(values), "pairs": len(values)}
        return PairAgreement(
            (one, other),
            self.articles,
            span_f1_exact=f1(self.exact, *self.count),
            span_f1_overlap=f1(self.overlap, *self.count),
            relation_f1_exact=f1(self.relations[2], *self.relations[:2]),
            relation_f1_overlap=f1(self.relations[3], *self.relations[:2]),
            alpha_u=self.continuum.score(2)[1].alpha,
            attributes=attributes,
        )


def continuum_coders(counts: Iterable[int]) -> int:
    """alpha_U's coders per article of the project continuum: the most frequent number of
    annotator layers among the compared articles (the larger on a tie), 0 when none is."""
    counted = Counter(count for count in counts if count >= 2)
    return max(counted, key=lambda count: (counted[count], count)) if counted else 0


def fold(
    article_sums: Iterable[dict],
    *,
    coders: int,
    labels: list[str],
    names: dict[str, str] | None = None,
    include_in_progress: bool = False,
    against_gold: bool = False,
) -> ProjectAgreement:
    """The project's figures from its articles' sums, read once in article order (the
    continuum's order): every figure of `compute_agreement` but the per-article rows, which
    come from the sums themselves (`article_rows`). ``coders`` is `continuum_coders` of the
    articles' annotator counts; ``labels`` are the label keys in the scheme's order and
    ``names`` their names, when the keys are not the names."""
    names = names or {}
    annotators, gold, attribute_names = set(), False, set()
    unit_counts, items = Counter(), defaultdict(list)
    continuum, pairs = Continuum(), {}
    continuum_articles = 0
    for sums in article_sums:
        on_article = [name for name in sums["names"] if name != GOLD]
        annotators.update(on_article)
        gold = gold or GOLD in sums["names"]
        attribute_names.update(sums["attributes"])
        if len(on_article) >= 2:
            unit_counts.update(sums["units"])
        if coders >= 2 and len(on_article) == coders:
            continuum_articles += 1
            continuum.add(
                sums["length"], [sums["coders"][name] for name in on_article], _annotator_distance(sums["pairs"])
            )
            for name, found in sums["items"].items():
                items[name].extend(found)
        for one, other, pair in sums["pairs"]:
            if (one, other) not in pairs:
                pairs[(one, other)] = _Pair(one, other)
            pairs[(one, other)].add(sums, pair)
    participants = sorted(annotators) + ([GOLD] if gold else [])
    pair_rows = [
        pairs[(one, other)].agreement(one, other) if (one, other) in pairs else _Pair(one, other).agreement(one, other)
        for one, other in itertools.combinations(participants, 2)
    ]
    annotator_pairs = [(row, pairs.get(row.annotators)) for row in pair_rows if GOLD not in row.annotators]
    by_label, overall = continuum.score(coders) if continuum_articles else ({}, UNDEFINED)
    label_rows = []
    for label in labels:
        per_pair = [
            f1(*found.labels[label]) if found is not None and label in found.labels else None
            for _, found in annotator_pairs
        ]
        label_rows.append(
            LabelAgreement(names.get(label, label), by_label.get(label, UNDEFINED), _mean(per_pair), unit_counts[label])
        )
    attribute_rows = []
    for name in sorted(attribute_names):
        figures = [row.attributes[name] for row, _ in annotator_pairs if name in row.attributes]
        attribute_rows.append(
            AttributeAgreement(
                name=name,
                fleiss_kappa=items_kappa(items[name]),
                units=len(items[name]),
                cohen_kappa=_mean(figure["kappa"] for figure in figures),
                pairs=sum(figure["pairs"] for figure in figures),
            )
        )
    rows = [row for row, _ in annotator_pairs]
    return ProjectAgreement(
        include_in_progress=include_in_progress,
        against_gold=against_gold,
        annotators=participants,
        alpha_u=overall,
        coders=coders,
        continuum_articles=continuum_articles,
        labels=label_rows,
        span_f1_exact=_mean(row.span_f1_exact for row in rows),
        span_f1_overlap=_mean(row.span_f1_overlap for row in rows),
        relation_f1_exact=_mean(row.relation_f1_exact for row in rows),
        relation_f1_overlap=_mean(row.relation_f1_overlap for row in rows),
        pairs=pair_rows,
        articles=[],
        attributes=attribute_rows,
    )


def pairs_of(name: str, article_sums: Iterable[dict]) -> dict[str, PairAgreement]:
    """Participant ``name``'s figures with each other participant it shares an article with,
    keyed by the other, over the articles of ``article_sums`` only: the rows `fold` gives
    for those pairs when those are all the articles."""
    pairs: dict[tuple[str, str], _Pair] = {}
    for sums in article_sums:
        for one, other, pair in sums["pairs"]:
            if name in (one, other):
                if (one, other) not in pairs:
                    pairs[(one, other)] = _Pair(one, other)
                pairs[(one, other)].add(sums, pair)
    return {(other if one == name else one): found.agreement(one, other) for (one, other), found in pairs.items()}


def article_row(article: ArticleData, sums: dict) -> ArticleAgreement:
    """The article's row of the report's table (for an article at least two annotators compared)."""
    layers = sum(name != GOLD for name in sums["names"])
    return ArticleAgreement(article.id, article.title, layers, sums["alpha"], sums["f1"])


def article_order(row: ArticleAgreement) -> tuple:
    """Most contested first: lowest alpha_U, then lowest span F1; undefined values last."""
    return (*_rank(row.alpha_u), *_rank(row.span_f1_overlap), row.id)
