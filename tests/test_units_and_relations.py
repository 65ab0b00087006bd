"""The domain rules for units and relations refuse bad input and change nothing."""

import pytest

from annotate import projects, relations, units
from annotate.models import ArgumentUnit, Change, Layer, Relation, Span
from tests.factories import make_article, make_project


def test_create_unit_stores_spans_attributes_and_a_change_record(layer, scheme, annotator):
    unit = units.create_unit(
        layer=layer, label=scheme["Claim"], spans=[(10, 20), (0, 5)], attributes={"stance": "For"}, user=annotator
    ).unit

    assert list(unit.spans.values_list("start", "end")) == [(0, 5), (10, 20)]
    change = Change.objects.get(action="unit.create")
    assert (change.user, change.layer, change.target) == (annotator, layer, f"unit:{unit.pk}")
    assert change.after == {
        "id": unit.pk,
        "label": scheme["Claim"].pk,
        "spans": [[0, 5], [10, 20]],
        "attributes": {"stance": "For"},
        "note": "",
        "created_at": unit.created_at.isoformat(),
    }


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([], "Select some text first."),
        ([(5, 5)], "The selection is empty."),
        ([(-1, 4)], "lies outside the text"),
        ([(0, 10_000)], "lies outside the text"),
        ([(0, 10), (5, 15)], "may not overlap"),
    ],
)
def test_create_unit_refuses_bad_spans_and_writes_nothing(layer, scheme, annotator, spans, message):
    with pytest.raises(units.AnnotationError, match=message):
        units.create_unit(layer=layer, label=scheme["Claim"], spans=spans, user=annotator)

    assert (ArgumentUnit.objects.count(), Span.objects.count(), Change.objects.filter(layer=layer).count()) == (0, 0, 0)


QUESTION = "Ban cars? Yes — 42 % of trips are short … «Ciudades» σε όλη την Ευρώπη!"


@pytest.fixture
def question_layer(project, annotator, manager):
    """The annotator's layer of an article with punctuation and symbols beside words and numbers."""
    article = make_article(project, text=QUESTION)
    projects.assign(article=article, annotators=[annotator], by=manager)
    return Layer.objects.select_related("article__project").get(article=article, annotator=annotator)


def at(quote: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = QUESTION.index(quote, start + 1)
    return start, start + len(quote)


@pytest.mark.parametrize(
    ("spans", "shown"),
    [
        ([at("? ")], "“? ”"),
        ([at("?")], "“?”"),
        ([at(" — ")], "“ — ”"),
        ([at("%")], "“%”"),
        ([at(" … «")], "“ … «”"),
        ([at("? "), at("!")], "“?  … !”"),  # two spans, neither with a letter or digit
    ],
)
def test_a_unit_of_no_letter_or_digit_is_refused_and_nothing_is_written(
    question_layer, scheme, annotator, spans, shown
):
    with pytest.raises(units.AnnotationError) as refused:
        units.create_unit(layer=question_layer, label=scheme["Claim"], spans=spans, user=annotator)

    assert str(refused.value) == f"A unit needs at least one letter or digit: {shown} holds none."
    written = (ArgumentUnit.objects.count(), Span.objects.count(), Change.objects.filter(layer=question_layer).count())
    assert written == (0, 0, 0)


@pytest.mark.parametrize("quote", ["Yes", "42", "«Ciudades»", "σε", "? Yes"])
def test_a_unit_with_a_letter_or_digit_in_any_script_is_made(question_layer, scheme, annotator, quote):
    unit = units.create_unit(layer=question_layer, label=scheme["Claim"], spans=[at(quote)], user=annotator).unit

    assert units.spans_of(unit) == [at(quote)]


def test_new_boundaries_of_no_letter_or_digit_are_refused_and_the_unit_is_left_as_it_was(
    question_layer, scheme, annotator
):
    unit = units.create_unit(layer=question_layer, label=scheme["Claim"], spans=[at("Ban cars")], user=annotator).unit
    records = Change.objects.count()

    with pytest.raises(units.AnnotationError, match="^A unit needs at least one letter or digit: “\\? ” holds none.$"):
        units.update_unit(unit=unit, spans=[at("? ")], user=annotator)

    assert (units.spans_of(unit), Change.objects.count()) == ([at("Ban cars")], records)


def test_a_later_span_without_a_letter_joins_a_unit_that_has_words(question_layer, scheme, annotator):
    """The rule is the unit's: its spans together hold a word (a discontinuous unit may
    take in the closing "!" apart)."""
    unit = units.create_unit(layer=question_layer, label=scheme["Claim"], spans=[at("Ban cars")], user=annotator).unit

    units.add_span(unit=unit, span=at("!"), user=annotator)

    assert units.spans_of(unit) == [at("Ban cars"), at("!")]


def test_create_unit_refuses_a_span_past_the_end_of_the_text(layer, scheme, annotator):
    end = len(layer.article.text)

    with pytest.raises(units.AnnotationError, match=rf"\[{end - 3}, {end + 1}\) lies outside the text"):
        units.create_unit(layer=layer, label=scheme["Claim"], spans=[(end - 3, end + 1)], user=annotator)


def test_create_unit_accepts_a_span_ending_exactly_at_the_end_of_the_text(layer, scheme, annotator):
    end = len(layer.article.text)

    unit = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(end - 3, end)], user=annotator).unit

    assert list(unit.spans.values_list("start", "end")) == [(end - 3, end)]


def test_create_unit_refuses_a_label_of_another_project(layer, annotator):
    foreign_label = make_project().labels.get(name="Claim")

    with pytest.raises(units.AnnotationError, match="another project"):
        units.create_unit(layer=layer, label=foreign_label, spans=[(0, 5)], user=annotator)
    assert ArgumentUnit.objects.count() == 0


def test_create_unit_refuses_an_attribute_value_the_label_does_not_allow(layer, scheme, annotator):
    with pytest.raises(units.AnnotationError, match="stance must be one of For, Against"):
        units.create_unit(
            layer=layer, label=scheme["Claim"], spans=[(0, 5)], attributes={"stance": "Maybe"}, user=annotator
        )


def test_relation_across_layers_is_refused(article, annotator, annotator2, scheme):
    mine = Layer.objects.get(article=article, annotator=annotator)
    theirs = Layer.objects.get(article=article, annotator=annotator2)
    source = units.create_unit(layer=mine, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    target = units.create_unit(layer=theirs, label=scheme["Claim"], spans=[(10, 20)], user=annotator2).unit

    with pytest.raises(units.AnnotationError, match="Both units must be in this layer."):
        relations.create_relation(layer=mine, type=scheme["supports"], source=source, target=target, user=annotator)
    assert Relation.objects.count() == 0


def test_relation_across_articles_is_refused(project, layer, annotator, scheme, manager):
    other_article = make_article(project)
    projects.assign(article=other_article, annotators=[annotator], by=manager)
    other_layer = Layer.objects.get(article=other_article, annotator=annotator)
    source = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    target = units.create_unit(layer=other_layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit

    with pytest.raises(units.AnnotationError, match="Both units must be in this layer."):
        relations.create_relation(layer=layer, type=scheme["supports"], source=source, target=target, user=annotator)
    assert Relation.objects.count() == 0


def test_relation_to_itself_and_duplicate_relations_are_refused(layer, annotator, scheme):
    supports = scheme["supports"]
    a = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    b = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(10, 20)], user=annotator).unit
    relations.create_relation(layer=layer, type=supports, source=a, target=b, user=annotator)

    with pytest.raises(units.AnnotationError, match="cannot be linked to itself"):
        relations.create_relation(layer=layer, type=supports, source=a, target=a, user=annotator)
    for source, target in [(a, b), (b, a)]:
        with pytest.raises(units.AnnotationError, match="already linked"):
            relations.create_relation(layer=layer, type=supports, source=source, target=target, user=annotator)
    assert list(Relation.objects.values_list("source", "target")) == [(a.pk, b.pk)]


def test_an_exact_duplicate_unit_is_refused_and_changes_nothing(layer, scheme, annotator):
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5), (10, 20)], user=annotator)
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(0, 5)], user=annotator).unit
    before = Change.objects.count()

    with pytest.raises(units.AnnotationError) as refused:
        units.create_unit(layer=layer, label=scheme["Claim"], spans=[(10, 20), (0, 5)], user=annotator)
    with pytest.raises(units.AnnotationError) as relabel_refused:
        units.update_unit(unit=premise, spans=[(0, 5), (10, 20)], label=scheme["Claim"], user=annotator)

    assert str(refused.value) == str(relabel_refused.value) == "There is already a Claim on exactly this text."
    assert (ArgumentUnit.objects.filter(layer=layer).count(), Change.objects.count()) == (2, before)
    # The same spans with another label, or one span fewer, are other units.
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator)


def test_a_finished_layer_refuses_every_change_and_says_how_to_reopen(layer, scheme, annotator):
    unit = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    other = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(6, 9)], user=annotator).unit
    supports = scheme["supports"]
    link = relations.create_relation(layer=layer, type=supports, source=other, target=unit, user=annotator).relation
    layer.status = Layer.Status.FINISHED
    layer.save()
    before = Change.objects.count()
    attempts = [
        lambda: units.create_unit(layer=layer, label=scheme["Claim"], spans=[(10, 20)], user=annotator),
        lambda: units.update_unit(unit=ArgumentUnit.objects.get(pk=unit.pk), spans=[(1, 4)], user=annotator),
        lambda: units.delete_unit(unit=ArgumentUnit.objects.get(pk=unit.pk), user=annotator),
        lambda: relations.delete_relation(relation=Relation.objects.get(pk=link.pk), user=annotator),
        lambda: relations.create_relation(layer=layer, type=supports, source=unit, target=other, user=annotator),
    ]
    messages = []
    for attempt in attempts:
        with pytest.raises(units.LayerFinishedError) as refused:
            attempt()
        messages.append(str(refused.value))

    assert set(messages) == {"This layer is marked finished, so it is read-only. Reopen it to change it."}
    assert Change.objects.count() == before
