"""The per-article sums, folded, give exactly the figures of `compute_agreement` (today's
whole-project computation), over random projects of every shape."""

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.agreement_sums import article_order, article_row, article_sums, continuum_coders, fold
from annotate.project_agreement import GOLD, ArticleData, LayerData, compute_agreement

LABELS = ["MajorClaim", "Claim", "Premise"]
TYPES = ["supports", "attacks"]
PEOPLE = ["ann", "ben", "cat", "dan", GOLD]


@st.composite
def projects(draw):
    """Articles (in id order) and layers: each article gets some of the people, each layer
    random units (nested, overlapping, discontinuous, duplicated, touching), relations and
    stances."""
    ids = iter(range(1, 10_000))
    articles, layers = [], []
    for number in range(draw(st.integers(0, 6))):
        length = draw(st.integers(1, 40))
        article = ArticleData(number + 1, f"Article {number + 1}", length)
        articles.append(article)
        for name in draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=5)):
            units, attributes = {}, {}
            for _ in range(draw(st.integers(0, 5))):
                spans = []
                for _ in range(draw(st.integers(1, 2))):
                    start = draw(st.integers(0, length - 1))
                    spans.append((start, draw(st.integers(start + 1, length))))
                unit_id = next(ids)
                units[unit_id] = (draw(st.sampled_from(LABELS)), tuple(sorted(spans)))
                if draw(st.booleans()):
                    attributes[unit_id] = {"stance": draw(st.sampled_from(["For", "Against", ""]))}
            relations = []
            if units:
                for _ in range(draw(st.integers(0, 3))):
                    source, target = draw(st.sampled_from(list(units))), draw(st.sampled_from(list(units)))
                    relations.append((source, target, draw(st.sampled_from(TYPES))))
            layers.append(LayerData(article.id, name, units, relations, attributes))
    return articles, layers


def folded(articles, layers, *, labels=LABELS, include_in_progress=False, against_gold=False):
    """The report from per-article sums, as the store folds them, from scratch."""
    counted = [layer for layer in layers if against_gold or layer.annotator != GOLD]
    sums = []
    for article in articles:
        layers_of = {layer.annotator: layer for layer in counted if layer.article_id == article.id}
        if layers_of:
            sums.append((article, article_sums(article, layers_of)))
    coders = continuum_coders(sum(name != GOLD for name in found["names"]) for _, found in sums)
    report = fold(
        (found for _, found in sums),
        coders=coders,
        labels=labels,
        include_in_progress=include_in_progress,
        against_gold=against_gold,
    )
    rows = [article_row(article, found) for article, found in sums if sum(n != GOLD for n in found["names"]) >= 2]
    return dataclasses.replace(report, articles=sorted(rows, key=article_order))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects(), st.booleans())
def test_folded_sums_equal_the_whole_project_computation(project, against_gold):
    articles, layers = project
    counted = [layer for layer in layers if against_gold or layer.annotator != GOLD]
    expected = compute_agreement(articles, counted, labels=LABELS, against_gold=against_gold)

    report = folded(articles, layers, against_gold=against_gold)

    assert report == expected


def test_a_gap_that_runs_across_articles_counts_once_in_the_expected_disagreement():
    # ann's last claim ends before the first article's end and her next starts after the
    # second's beginning: the gap between them runs across the articles' boundary.
    articles = [ArticleData(1, "One", 20), ArticleData(2, "Two", 20)]
    layers = [
        LayerData(1, "ann", {1: ("Claim", ((2, 8),))}),
        LayerData(1, "ben", {2: ("Claim", ((3, 8),))}),
        LayerData(2, "ann", {3: ("Claim", ((5, 9),))}),
        LayerData(2, "ben", {4: ("Claim", ((5, 12),))}),
    ]
    expected = compute_agreement(articles, layers, labels=LABELS)

    report = folded(articles, layers)

    assert report.alpha_u == expected.alpha_u
    assert report.articles == expected.articles
