"""The database refuses what can never be valid, whichever code writes it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from annotate.models import ArgumentUnit, Article, Label, Layer, Relation, Span
from tests.factories import make_article


@pytest.fixture
def unit(layer, project):
    unit = ArgumentUnit.objects.create(layer=layer, label=project.labels.get(name="Claim"))
    Span.objects.create(unit=unit, start=0, end=10)
    return unit


def test_span_with_start_equal_to_end_is_refused_by_the_database(unit):
    with pytest.raises(IntegrityError, match="span_start_before_end"):
        Span.objects.create(unit=unit, start=5, end=5)


def test_span_with_start_after_end_is_refused_by_the_database(unit):
    with pytest.raises(IntegrityError, match="span_start_before_end"):
        Span.objects.create(unit=unit, start=8, end=3)


def test_relation_from_a_unit_to_itself_is_refused_by_the_database(unit, project, layer):
    supports = project.relation_types.get(name="supports")

    with pytest.raises(IntegrityError, match="relation_no_self_link"):
        Relation.objects.create(layer=layer, type=supports, source=unit, target=unit)


def test_second_relation_between_the_same_units_is_refused_by_the_database(unit, project, layer):
    other = ArgumentUnit.objects.create(layer=layer, label=project.labels.get(name="Premise"))
    supports, attacks = project.relation_types.get(name="supports"), project.relation_types.get(name="attacks")
    Relation.objects.create(layer=layer, type=supports, source=other, target=unit)

    with pytest.raises(IntegrityError, match="relation_unique_pair"):
        Relation.objects.create(layer=layer, type=attacks, source=other, target=unit)


def test_an_article_has_at_most_one_gold_layer(article):
    Layer.objects.create(article=article, annotator=None)

    with pytest.raises(IntegrityError, match="layer_one_gold"):
        Layer.objects.create(article=article, annotator=None)


def test_an_annotator_has_at_most_one_layer_per_article(article, annotator):
    with pytest.raises(IntegrityError, match="layer_one_per_annotator"):
        Layer.objects.create(article=article, annotator=annotator)


def test_the_same_text_cannot_be_stored_twice_in_a_project(project, article):
    with pytest.raises(IntegrityError, match="article_unique_text"):
        Article.objects.create(project=project, title="Copy", text=article.text)


def test_article_text_cannot_change_once_a_unit_points_into_it(unit):
    article = unit.layer.article
    article.text = article.text + " More."

    with pytest.raises(ValidationError, match="cannot change once an argument unit points into it"):
        article.save()

    article.refresh_from_db()
    assert not article.text.endswith(" More.")


def test_article_text_can_be_corrected_while_nothing_points_into_it(project):
    article = make_article(project, text="A typo hre.")
    article.text = "A typo here."

    article.save()

    article.refresh_from_db()
    assert (article.text, len(article.text_hash)) == ("A typo here.", 64)


def test_a_label_role_outside_the_four_is_refused_by_the_database(project):
    with pytest.raises(IntegrityError, match="label_role_valid"):
        Label.objects.create(project=project, name="Thesis", key="h", role="thesis")
