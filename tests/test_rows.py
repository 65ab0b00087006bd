"""annotate/rows.py: instances read and written by hand-written statements are the
instances the ORM reads and writes."""

import datetime

from django.db import connection
from django.forms.models import model_to_dict

from annotate import access, changes, rows
from annotate.models import ArgumentUnit, Article, Change, Label, Layer, Project, Span
from tests.factories import make_unit


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def read_by_hand(model, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(model, 't')} FROM {model._meta.db_table} t WHERE t.id = %s", [pk])
        return rows.instance(model, cursor.fetchone())


def test_an_instance_read_by_hand_equals_the_orms(layer):
    article = layer.article
    article.metadata = {"source": "feed", "tags": ["a", "b"], "nested": {"n": 1}}
    article.published = datetime.date(2024, 5, 17)
    article.save()
    for model, pk in ((Layer, layer.pk), (Article, article.pk), (Project, article.project_id)):
        by_hand = read_by_hand(model, pk)
        assert fields_of(by_hand) == fields_of(model.objects.get(pk=pk))
        assert by_hand._state.adding is False
    assert read_by_hand(Article, article.pk).metadata == {"source": "feed", "tags": ["a", "b"], "nested": {"n": 1}}


def test_the_layer_to_change_comes_with_its_article_and_project_and_the_labels_from_the_cache(
    layer, annotator, django_assert_num_queries
):
    project = layer.article.project
    Label.objects.create(project=project, name="Aside", key="x", order=0, attributes={"tone": ["dry", "warm"]})
    with django_assert_num_queries(2):  # the layer, then the labels of this scheme version
        found = access.layer_to_change(annotator, project.slug, layer.pk)
        assert (found.pk, found.article.pk, found.article.project.pk) == (layer.pk, layer.article_id, project.pk)
        assert found.article.text == layer.article.text
        first = found.article.project.scheme_labels
    with django_assert_num_queries(1):  # the layer: the labels are the cache's
        labels = access.layer_to_change(annotator, project.slug, layer.pk).article.project.scheme_labels
    assert [fields_of(label) for label in labels] == [fields_of(label) for label in first]
    assert [fields_of(label) for label in labels] == [
        fields_of(label) for label in project.labels.order_by("order", "name")
    ]
    assert [label.name for label in labels][:2] == ["Aside", "MajorClaim"]
    assert labels[0].attributes == {"tone": ["dry", "warm"]}


def test_insert_writes_what_save_would(layer, annotator):
    change = Change(
        project=layer.article.project,
        layer=layer,
        user=annotator,
        action="unit.create",
        target="unit:1",
        before=None,
        after={"spans": [[0, 4]], "attributes": {"stance": "For"}},
    )
    rows.insert(change)
    stored = Change.objects.get(pk=change.pk)
    assert fields_of(stored) == fields_of(change)
    assert (stored.before, stored.after, stored.undone) == (
        None,
        {"spans": [[0, 4]], "attributes": {"stance": "For"}},
        False,
    )


def test_insert_gives_each_of_many_rows_its_own_id(layer, scheme):
    unit = make_unit(layer, scheme["Claim"], "Cities should ban cars")
    spans = [Span(unit=unit, start=start, end=start + 1) for start in (40, 10, 30)]
    rows.insert(*spans)
    assert [Span.objects.get(pk=span.pk).start for span in spans] == [40, 10, 30]


def test_insert_along_with_an_update_runs_both_in_one_statement(layer, annotator, django_assert_num_queries):
    layer.refresh_from_db(fields=["revision"])
    before = layer.revision
    change = Change(project=layer.article.project, layer=layer, user=annotator, action="layer.stance", after={})
    count = (f"UPDATE {Layer._meta.db_table} SET revision = revision + 5 WHERE id = %s", [layer.pk])
    with django_assert_num_queries(1):
        rows.insert(change, along=count)
    assert Layer.objects.get(pk=layer.pk).revision == before + 5
    assert fields_of(Change.objects.get(pk=change.pk)) == fields_of(change)


def test_insert_with_parts_writes_a_unit_and_its_spans_in_one_statement(layer, scheme, django_assert_num_queries):
    unit = ArgumentUnit(layer=layer, label=scheme["Claim"], attributes={"stance": "For"})
    spans = [Span(start=40, end=44), Span(start=10, end=15), Span(start=30, end=31)]
    with django_assert_num_queries(1):
        rows.insert_with_parts(unit, spans, link="unit")
    stored = ArgumentUnit.objects.get(pk=unit.pk)
    assert fields_of(stored) == fields_of(unit)
    assert [fields_of(Span.objects.get(pk=span.pk)) for span in spans] == [fields_of(span) for span in spans]
    assert [(span.unit_id, span.start, span.end) for span in spans] == [
        (unit.pk, 40, 44),
        (unit.pk, 10, 15),
        (unit.pk, 30, 31),
    ]
    assert sorted(Span.objects.filter(unit=unit).values_list("pk", flat=True)) == sorted(span.pk for span in spans)


def test_insert_with_parts_writes_a_record_naming_the_owner_in_the_same_statement(
    layer, scheme, annotator, django_assert_num_queries
):
    made_at = datetime.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=datetime.UTC)
    unit = ArgumentUnit(layer=layer, label=scheme["Claim"], attributes={}, created_at=made_at)
    spans = [Span(start=10, end=15), Span(start=30, end=31)]
    revision = Layer.objects.get(pk=layer.pk).revision
    change, count = changes.new_record(
        project=layer.article.project,
        layer=layer,
        user=annotator,
        action="unit.create",
        target="unit:",
        after={"id": None, "spans": [[10, 15], [30, 31]], "created_at": unit.created_at.isoformat()},
    )

    with django_assert_num_queries(1):
        rows.insert_with_parts(unit, spans, link="unit", record=change, naming=("target", "after"), along=count)

    # The record names the unit by the id the statement gave it, in the database and in
    # the instance alike; the time given for the unit is the time stored.
    assert (change.target, change.after["id"]) == (f"unit:{unit.pk}", unit.pk)
    assert fields_of(Change.objects.get(pk=change.pk)) == fields_of(change)
    assert fields_of(ArgumentUnit.objects.get(pk=unit.pk)) == fields_of(unit)
    assert ArgumentUnit.objects.get(pk=unit.pk).created_at == made_at
    assert [(span.unit_id, span.start, span.end) for span in spans] == [(unit.pk, 10, 15), (unit.pk, 30, 31)]
    assert sorted(Span.objects.filter(unit=unit).values_list("pk", flat=True)) == sorted(span.pk for span in spans)
    assert Layer.objects.get(pk=layer.pk).revision == revision + 1


def test_select_orders_as_the_model_does(project):
    by_hand = rows.select(Label, "t.project_id = %s", [project.pk])
    assert [fields_of(label) for label in by_hand] == [
        fields_of(label) for label in Label.objects.filter(project=project)
    ]
    assert model_to_dict(by_hand[0]) == model_to_dict(Label.objects.filter(project=project).first())
