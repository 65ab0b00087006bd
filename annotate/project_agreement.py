"""Agreement over a whole project: the figures the agreement page and the `agreement` command show.

Loading costs five queries however large the project (labels, articles, layers, spans with
their units, relations); the measures come from `annotate.agreement` and run on plain data
(`ArticleData`, `LayerData`), so the same computation can be timed or reused without a database.

What counts:

* Annotator layers that are finished (``include_in_progress`` adds those in progress).
  ``against_gold`` adds each article's gold layer as one more participant, "gold": it then
  appears in the pair matrix against each annotator, but never in the project figures,
  which measure the annotators against each other.
* An article is *compared* when at least two annotators' layers count on it.
* Span F1 and relation F1 pool each pair's units over the articles both annotated (a unit
  only ever matches one of the same article), then average over the annotator pairs.
* alpha_U lays the compared articles end to end as one continuum. alpha_U needs every coder
  to code the whole continuum, and articles are often annotated by different people, so the
  coders are the article's layers in annotator-name order (the measure does not depend on
  which coder is which), and the continuum holds the articles with the usual number of
  compared layers (the most frequent count; ``continuum_articles`` says how many). Per pair
  it is computed over the articles the two share, with the annotators themselves as coders.
  Overlapping units of one annotator and label are fused (alpha_U does not allow them), and
  each span of a discontinuous unit is a stretch of its own.
* Attributes (a claim's stance) are compared on matched units only (`agreement.attributes`):
  per pair, Cohen's kappa over the units the two matched exactly (same label, same
  characters: span F1 exact's pairing), with the number of such pairs; over the project,
  Fleiss' kappa over the units every annotator of an article of the alpha_U continuum
  marked alike, with their number, and the mean of the annotator pairs' kappas.

Undefined values are ``None``: no compared article, no unit, or no variation gives ``None``,
never an error. Perfect agreement gives 1.0.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass, field

from annotate import layer_content
from annotate.agreement import (
    UnitizingScore,
    align_pairs,
    concatenate_continua,
    krippendorff_unitizing_alpha,
    normalize_spans,
)
from annotate.agreement.attributes import UNSET, items_kappa, pair_kappa, paired_values
from annotate.agreement.relations import matched_relations
from annotate.agreement.spans import f1
from annotate.models import Layer, Project

GOLD = "gold"
UNDEFINED = UnitizingScore(observed=None, expected=None, alpha=None)


@dataclass(frozen=True)
class ArticleData:
    id: int
    title: str
    length: int  # in code points


@dataclass(frozen=True)
class LayerData:
    """One layer as plain data: units by id as ``(label, ((start, end), ...))`` and
    relations as ``(source unit id, target unit id, relation type)``, and the attributes of
    the units that have any by unit id. Unit ids are unique over the project (the database's are)."""

    article_id: int
    annotator: str  # a username, or GOLD
    units: dict[Hashable, tuple[Hashable, tuple[tuple[int, int], ...]]]
    relations: list[tuple[Hashable, Hashable, Hashable]] = field(default_factory=list)
    attributes: dict[Hashable, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LabelAgreement:
    label: str
    alpha_u: UnitizingScore
    span_f1_overlap: float | None  # macro over annotator pairs
    units: int  # in the compared layers


@dataclass(frozen=True)
class PairAgreement:
    annotators: tuple[str, str]
    articles: int  # compared articles the two share
    span_f1_exact: float | None
    span_f1_overlap: float | None
    relation_f1_exact: float | None
    relation_f1_overlap: float | None
    alpha_u: float | None
    # Per attribute: {"kappa": Cohen's kappa, "pairs": the matched pairs it is computed over}.
    attributes: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class AttributeAgreement:
    name: str
    fleiss_kappa: float | None  # over the units every annotator of an article marked alike
    units: int  # those units
    cohen_kappa: float | None  # mean over annotator pairs
    pairs: int  # matched pairs, summed over annotator pairs


@dataclass(frozen=True)
class ArticleAgreement:
    id: int
    title: str
    layers: int
    alpha_u: float | None
    span_f1_overlap: float | None


@dataclass(frozen=True)
class ProjectAgreement:
    include_in_progress: bool
    against_gold: bool
    annotators: list[str]
    alpha_u: UnitizingScore
    coders: int  # alpha_U coders per article of the continuum
    continuum_articles: int
    labels: list[LabelAgreement]
    span_f1_exact: float | None
    span_f1_overlap: float | None
    relation_f1_exact: float | None
    relation_f1_overlap: float | None
    pairs: list[PairAgreement]
    articles: list[ArticleAgreement]  # most contested first
    attributes: list[AttributeAgreement] = field(default_factory=list)

    def as_json(self) -> dict:
        """The report as JSON-ready data; every undefined value is ``None`` (``null``)."""
        return {
            "include_in_progress": self.include_in_progress,
            "against_gold": self.against_gold,
            "annotators": self.annotators,
            "alpha_u": {
                "overall": self.alpha_u.alpha,
                "observed": self.alpha_u.observed,
                "expected": self.alpha_u.expected,
                "coders": self.coders,
                "articles": self.continuum_articles,
                "by_label": {row.label: row.alpha_u.alpha for row in self.labels},
            },
            "labels": [{**asdict(row), "alpha_u": asdict(row.alpha_u)} for row in self.labels],
            "span_f1": {"exact": self.span_f1_exact, "overlap": self.span_f1_overlap},
            "relation_f1": {"exact": self.relation_f1_exact, "overlap": self.relation_f1_overlap},
            "pairs": [{**asdict(pair), "annotators": list(pair.annotators)} for pair in self.pairs],
            "articles": [asdict(article) for article in self.articles],
            "attributes": [asdict(row) for row in self.attributes],
        }

    @classmethod
    def from_json(cls, data: dict) -> ProjectAgreement:
        """The report ``as_json`` gave, back from its JSON data (so a stored result can be shown)."""
        overall = data["alpha_u"]
        return cls(
            include_in_progress=data["include_in_progress"],
            against_gold=data["against_gold"],
            annotators=list(data["annotators"]),
            alpha_u=UnitizingScore(
                observed=overall["observed"], expected=overall["expected"], alpha=overall["overall"]
            ),
            coders=overall["coders"],
            continuum_articles=overall["articles"],
            labels=[LabelAgreement(**{**row, "alpha_u": UnitizingScore(**row["alpha_u"])}) for row in data["labels"]],
            span_f1_exact=data["span_f1"]["exact"],
            span_f1_overlap=data["span_f1"]["overlap"],
            relation_f1_exact=data["relation_f1"]["exact"],
            relation_f1_overlap=data["relation_f1"]["overlap"],
            pairs=[PairAgreement(**{**pair, "annotators": tuple(pair["annotators"])}) for pair in data["pairs"]],
            articles=[ArticleAgreement(**article) for article in data["articles"]],
            attributes=[AttributeAgreement(**row) for row in data.get("attributes", [])],
        )


def project_agreement(
    project: Project, *, include_in_progress: bool = False, against_gold: bool = False
) -> ProjectAgreement:
    """Agreement among the project's annotators, in five queries whatever the project's size."""
    articles, layers, labels = load(project, include_in_progress=include_in_progress, against_gold=against_gold)
    return compute_agreement(
        articles, layers, labels=labels, include_in_progress=include_in_progress, against_gold=against_gold
    )


def load(
    project: Project, *, include_in_progress: bool = False, against_gold: bool = False
) -> tuple[list[ArticleData], list[LayerData], list[str]]:
    """The project's articles, the layers that count, and its label names in scheme order."""
    labels = dict(project.labels.values_list("pk", "name"))
    articles = [
        ArticleData(pk, title, length)
        for pk, title, length in project.articles.order_by("pk").values_list("pk", "title", "length")
    ]
    counted = counted_layers(project, include_in_progress=include_in_progress, against_gold=against_gold)
    return articles, layer_data(counted, labels), list(labels.values())


def layer_data(counted, labels: dict[int, str]) -> list[LayerData]:
    """The layers of the query ``counted`` as plain data, units labelled with ``labels``
    (label id -> name): three queries."""
    layers = {
        pk: LayerData(article_id, username or GOLD, {})
        for pk, article_id, username in counted.values_list("pk", "article_id", "annotator__username")
    }
    for layer_id, content in layer_content.read(counted).items():
        data = layers[layer_id]
        data.units.update((row.id, (labels[row.label_id], row.spans)) for row in content.units)
        data.attributes.update((row.id, row.attributes) for row in content.units if row.attributes)
        data.relations.extend((row.source_id, row.target_id, row.type_id) for row in content.relations)
    return list(layers.values())


def counted_layers(project: Project, *, include_in_progress: bool = False, against_gold: bool = False):
    """The layers agreement counts: the annotators' finished layers (``include_in_progress``
    adds those in progress), and with ``against_gold`` the gold layers in the same states."""
    statuses = [Layer.Status.FINISHED] + ([Layer.Status.IN_PROGRESS] if include_in_progress else [])
    counted = Layer.objects.filter(article__project=project, status__in=statuses)
    return counted if against_gold else counted.filter(annotator__isnull=False)


def compute_agreement(
    articles: list[ArticleData],
    layers: Iterable[LayerData],
    *,
    labels: list[str],
    include_in_progress: bool = False,
    against_gold: bool = False,
) -> ProjectAgreement:
    """Every figure of the report from plain data (see the module docstring for what counts)."""
    by_article: dict[int, dict[str, LayerData]] = defaultdict(dict)
    for layer in layers:
        by_article[layer.article_id][layer.annotator] = layer
    names = sorted({name for layers_of in by_article.values() for name in layers_of} - {GOLD})
    participants = names + ([GOLD] if any(GOLD in layers_of for layers_of in by_article.values()) else [])
    offsets = dict(
        zip([a.id for a in articles], itertools.accumulate([0] + [a.length for a in articles]), strict=False)
    )
    compared = [a for a in articles if len(_annotators(by_article[a.id])) >= 2]

    pooled = {name: _pooled(name, by_article, offsets) for name in participants}
    alignments = align_pairs(pooled, criteria=("exact", "overlap"))
    pairs, per_article, per_label = [], defaultdict(list), defaultdict(list)
    for one, other in itertools.combinations(participants, 2):
        shared = [a for a in articles if one in by_article[a.id] and other in by_article[a.id]]
        counterparts = {criterion: dict(found[(one, other)]) for criterion, found in alignments.items()}
        pair, matched = _pair(one, other, shared, by_article, counterparts)
        pairs.append(pair)
        if GOLD in (one, other):
            continue
        for article_id, score in matched["articles"].items():
            per_article[article_id].append(score)
        for label in labels:
            per_label[label].append(matched["labels"].get(label))
    annotator_pairs = [pair for pair in pairs if GOLD not in pair.annotators]

    continuum, coders = _continuum(compared, by_article)
    attribute_names = {
        name
        for layers_of in by_article.values()
        for layer in layers_of.values()
        for given in layer.attributes.values()
        for name in given
    }
    attribute_rows = [_attribute(name, continuum, by_article, annotator_pairs) for name in sorted(attribute_names)]
    alpha = _alpha_u(continuum, by_article, coders)
    unit_counts = Counter(
        label
        for article in compared
        for layer in _annotators(by_article[article.id]).values()
        for label, _ in layer.units.values()
    )
    label_rows = [
        LabelAgreement(label, alpha.by_label.get(label, UNDEFINED), _mean(per_label[label]), unit_counts[label])
        for label in labels
    ]
    article_rows = []
    for article in compared:
        layers_of = _annotators(by_article[article.id])
        alpha_of = _alpha_u([article], by_article, len(layers_of)).overall.alpha
        article_rows.append(
            ArticleAgreement(article.id, article.title, len(layers_of), alpha_of, _mean(per_article[article.id]))
        )
    # Most contested first: lowest alpha_U, then lowest F1; undefined values last.
    article_rows.sort(key=lambda row: (*_rank(row.alpha_u), *_rank(row.span_f1_overlap), row.id))
    return ProjectAgreement(
        include_in_progress=include_in_progress,
        against_gold=against_gold,
        annotators=participants,
        alpha_u=alpha.overall,
        coders=coders,
        continuum_articles=len(continuum),
        labels=label_rows,
        span_f1_exact=_mean([pair.span_f1_exact for pair in annotator_pairs]),
        span_f1_overlap=_mean([pair.span_f1_overlap for pair in annotator_pairs]),
        relation_f1_exact=_mean([pair.relation_f1_exact for pair in annotator_pairs]),
        relation_f1_overlap=_mean([pair.relation_f1_overlap for pair in annotator_pairs]),
        pairs=pairs,
        articles=article_rows,
        attributes=attribute_rows,
    )


def _annotators(layers_of: dict[str, LayerData]) -> dict[str, LayerData]:
    return {name: layer for name, layer in layers_of.items() if name != GOLD}


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined else None


def _rank(value: float | None) -> tuple[bool, float]:
    return (value is None, value if value is not None else 0.0)


def _pooled(name: str, by_article, offsets: dict[int, int]) -> dict:
    """A participant's units over all their articles, shifted to the article's place in the
    project, so that no unit can match one of another article."""
    pooled = {}
    for article_id, layers_of in by_article.items():
        if (layer := layers_of.get(name)) is None:
            continue
        shift = offsets[article_id]
        for unit_id, (label, spans) in layer.units.items():
            pooled[unit_id] = (label, tuple((start + shift, end + shift) for start, end in spans))
    return pooled


def _pair(one: str, other: str, shared: list[ArticleData], by_article, counterparts) -> tuple[PairAgreement, dict]:
    """The pair's figures over the articles they share, and (under the overlap criterion) its
    span F1 per article and per label. ``counterparts`` maps, per criterion, each of
    ``one``'s units to the unit of ``other`` it is paired with."""
    layers_a = [by_article[article.id][one] for article in shared]
    layers_b = [by_article[article.id][other] for article in shared]
    count_a = Counter(label for layer in layers_a for label, _ in layer.units.values())
    count_b = Counter(label for layer in layers_b for label, _ in layer.units.values())
    relations_a = [relation for layer in layers_a for relation in layer.relations]
    relations_b = [relation for layer in layers_b for relation in layer.relations]
    figures = {}
    for criterion, counterpart in counterparts.items():
        figures[f"span_f1_{criterion}"] = f1(len(counterpart), count_a.total(), count_b.total())
        matched = matched_relations(counterpart, relations_a, relations_b)
        figures[f"relation_f1_{criterion}"] = f1(matched, len(relations_a), len(relations_b))
    overlap = counterparts["overlap"]
    matched_by_label = Counter(layer.units[unit][0] for layer in layers_a for unit in layer.units if unit in overlap)
    details = {
        "articles": {
            article.id: f1(sum(unit in overlap for unit in la.units), len(la.units), len(lb.units))
            for article, la, lb in zip(shared, layers_a, layers_b, strict=True)
        },
        "labels": {label: f1(matched_by_label[label], count_a[label], count_b[label]) for label in count_a | count_b},
    }
    alpha = _alpha_u(shared, by_article, 2, coders_of=lambda layers_of: {one: layers_of[one], other: layers_of[other]})
    given_a = {unit: given for layer in layers_a for unit, given in layer.attributes.items()}
    given_b = {unit: given for layer in layers_b for unit, given in layer.attributes.items()}
    attributes = {}
    for name in sorted({name for given in [*given_a.values(), *given_b.values()] for name in given}):
        values = paired_values(counterparts["exact"], given_a, given_b, name)
        attributes[name] = {"kappa": pair_kappa(values), "pairs": len(values)}
    pair = PairAgreement((one, other), len(shared), **figures, alpha_u=alpha.overall.alpha, attributes=attributes)
    return pair, details


def _attribute(name: str, continuum: list[ArticleData], by_article, pairs: list[PairAgreement]) -> AttributeAgreement:
    """Agreement on attribute ``name``: Fleiss' kappa over the units every annotator of an
    article of the continuum marked alike (same label, same characters) and at least one
    gave the attribute, and the annotator pairs' Cohen's kappas (computed in ``_pair``)."""
    items = []
    for article in continuum:
        alike = [
            {
                (label, normalize_spans(spans)): layer.attributes.get(unit, {})
                for unit, (label, spans) in layer.units.items()
            }
            for _, layer in sorted(_annotators(by_article[article.id]).items())
        ]
        for key in sorted(set.intersection(*(set(keys) for keys in alike)), key=repr):
            values = [keys[key].get(name, UNSET) for keys in alike]
            if any(value != UNSET for value in values):
                items.append(values)
    figures = [pair.attributes[name] for pair in pairs if name in pair.attributes]
    return AttributeAgreement(
        name=name,
        fleiss_kappa=items_kappa(items),
        units=len(items),
        cohen_kappa=_mean(figure["kappa"] for figure in figures),
        pairs=sum(figure["pairs"] for figure in figures),
    )


def _continuum(compared: list[ArticleData], by_article) -> tuple[list[ArticleData], int]:
    """The articles of the project continuum and its number of coders (see the module docstring)."""
    counts = Counter(len(_annotators(by_article[article.id])) for article in compared)
    if not counts:
        return [], 0
    coders = max(counts, key=lambda count: (counts[count], count))
    return [article for article in compared if len(_annotators(by_article[article.id])) == coders], coders


def _alpha_u(articles: list[ArticleData], by_article, coders: int, *, coders_of=None):
    """alpha_U over the articles laid end to end; coders are the layers in name order unless
    ``coders_of`` picks them."""
    coders_of = coders_of or _annotators
    documents = []
    for article in articles:
        chosen = coders_of(by_article[article.id])
        stretches = [
            (start, end - start, slot, label)
            for slot, name in enumerate(sorted(chosen))
            for label, spans in chosen[name].units.values()
            for start, end in spans
        ]
        documents.append((article.length, stretches))
    length, stretches = concatenate_continua(documents)
    if length == 0:
        return krippendorff_unitizing_alpha([], continuum_length=1, annotator_count=max(coders, 1))
    return krippendorff_unitizing_alpha(stretches, continuum_length=length, annotator_count=coders, merge_overlaps=True)
