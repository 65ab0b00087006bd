"""Editing units, deleting them with their relations, and undo/redo on the change record."""

import pytest

from annotate import history, lifecycle, relations, units
from annotate.models import ArgumentUnit, Change, Layer, Relation


def state(layer):
    """Everything a layer holds, as plain data."""
    unit_rows = [
        (unit.pk, unit.label.name, unit.attributes, [(s.start, s.end) for s in unit.spans.order_by("start")])
        for unit in layer.units.order_by("id")
    ]
    relation_rows = list(layer.relations.order_by("id").values_list("id", "type__name", "source", "target"))
    return unit_rows, relation_rows


def test_relabelling_a_claim_as_premise_drops_its_stance(layer, scheme, annotator):
    unit = units.create_unit(
        layer=layer, label=scheme["Claim"], spans=[(0, 5)], attributes={"stance": "For"}, user=annotator
    ).unit

    units.update_unit(unit=unit, label=scheme["Premise"], user=annotator)

    unit.refresh_from_db()
    assert (unit.label.name, unit.attributes) == ("Premise", {})
    change = Change.objects.filter(action="unit.update").get()
    assert (change.before["attributes"], change.after["attributes"]) == ({"stance": "For"}, {})


def test_add_span_makes_a_discontinuous_unit_and_refuses_an_overlapping_one(layer, scheme, annotator):
    unit = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(20, 30)], user=annotator).unit

    units.add_span(unit=unit, span=(0, 6), user=annotator)
    with pytest.raises(units.AnnotationError, match="may not overlap"):
        units.add_span(unit=unit, span=(25, 35), user=annotator)

    assert units.spans_of(unit) == [(0, 6), (20, 30)]


def test_an_update_that_changes_nothing_writes_no_record(layer, scheme, annotator):
    unit = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(0, 5)], user=annotator).unit

    units.update_unit(unit=unit, label=scheme["Premise"], spans=[(0, 5)], user=annotator)

    assert Change.objects.filter(action="unit.update").count() == 0


def test_undo_and_redo_walk_back_and_forth_through_changes(layer, scheme, annotator):
    claim = units.create_unit(
        layer=layer, label=scheme["Claim"], spans=[(0, 5)], attributes={"stance": "For"}, user=annotator
    ).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(10, 20)], user=annotator).unit
    relations.create_relation(layer=layer, type=scheme["supports"], source=premise, target=claim, user=annotator)
    linked = state(layer)
    units.delete_unit(unit=premise, user=annotator)
    assert state(layer)[1] == []

    history.undo(layer=layer, user=annotator)  # the deletion: the premise comes back with its relation
    assert state(layer) == linked
    history.undo(layer=layer, user=annotator)  # the relation
    assert state(layer)[1] == []
    history.redo(layer=layer, user=annotator)
    assert state(layer) == linked
    history.redo(layer=layer, user=annotator)
    assert state(layer)[1] == []
    assert [row[0] for row in state(layer)[0]] == [claim.pk]
    with pytest.raises(units.AnnotationError, match="Nothing to redo."):
        history.redo(layer=layer, user=annotator)


def test_a_new_change_after_undo_ends_redo(layer, scheme, annotator):
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator)
    history.undo(layer=layer, user=annotator)
    units.create_unit(layer=layer, label=scheme["Premise"], spans=[(10, 20)], user=annotator)

    with pytest.raises(units.AnnotationError, match="Nothing to redo."):
        history.redo(layer=layer, user=annotator)
    assert [unit.label.name for unit in layer.units.all()] == ["Premise"]


def test_undo_only_reverts_the_users_own_changes_in_that_layer(layer, scheme, annotator, annotator2, article):
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator)
    other_layer = Layer.objects.get(article=article, annotator=annotator2)

    with pytest.raises(units.AnnotationError, match="Nothing to undo."):
        history.undo(layer=other_layer, user=annotator2)
    assert ArgumentUnit.objects.count() == 1


def test_undo_of_a_relation_deletion_restores_it_with_its_id(layer, scheme, annotator):
    claim = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(10, 20)], user=annotator).unit
    relation = relations.create_relation(
        layer=layer, type=scheme["supports"], source=premise, target=claim, user=annotator
    ).relation
    relation_id = relation.pk
    relations.delete_relation(relation=relation, user=annotator)

    history.undo(layer=layer, user=annotator)

    assert list(Relation.objects.values_list("id", "source", "target")) == [(relation_id, premise.pk, claim.pk)]


def full_state(layer):
    """A layer as plain data, creation times and the op-ed's stance included."""
    layer.refresh_from_db()
    unit_rows = [
        (u.pk, u.label_id, u.attributes, u.created_at, [(s.start, s.end) for s in u.spans.order_by("start")])
        for u in layer.units.order_by("id")
    ]
    relation_rows = list(layer.relations.order_by("id").values_list("id", "type", "source", "target", "created_at"))
    return unit_rows, relation_rows, layer.document_stance


@pytest.mark.parametrize("kind", ["relabel", "stance", "boundaries", "add span", "delete", "document stance"])
def test_every_change_to_an_existing_unit_undoes_and_redoes_exactly(layer, scheme, annotator, kind):
    layer.article.project.document_stance = True
    layer.article.project.save()
    claim = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    premise = units.create_unit(layer=layer, label=scheme["Premise"], spans=[(6, 12)], user=annotator).unit
    relations.create_relation(layer=layer, type=scheme["supports"], source=premise, target=claim, user=annotator)
    change = {
        "relabel": lambda: units.update_unit(unit=claim, label=scheme["MajorClaim"], user=annotator),
        "stance": lambda: units.update_unit(unit=claim, attributes={"stance": "For"}, user=annotator),
        "boundaries": lambda: units.update_unit(unit=claim, spans=[(1, 4)], user=annotator),
        "add span": lambda: units.add_span(unit=claim, span=(20, 25), user=annotator),
        "delete": lambda: units.delete_unit(unit=claim, user=annotator),
        "document stance": lambda: lifecycle.set_document_stance(layer=layer, stance="Against", user=annotator),
    }[kind]
    before = full_state(layer)
    change()
    after = full_state(layer)

    history.undo(layer=layer, user=annotator)
    undone = full_state(layer)
    history.redo(layer=layer, user=annotator)
    redone = full_state(layer)
    history.undo(layer=layer, user=annotator)
    history.undo(layer=layer, user=annotator)  # and an older change undoes after it: the relation
    older = full_state(layer)

    assert after != before
    assert (undone, redone) == (before, after)
    assert older[1] == []


def test_the_undo_button_says_what_it_will_undo_and_redo(layer, scheme, annotator):
    text = layer.article.text
    claim = units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator).unit
    units.update_unit(unit=claim, attributes={"stance": "For"}, user=annotator)

    assert history.pending(layer, annotator) == (f"Claim “{text[0:5]}” → stance For", "")
    history.undo(layer=layer, user=annotator)
    assert history.pending(layer, annotator) == (f"new Claim “{text[0:5]}”", f"Claim “{text[0:5]}” → stance For")


def test_a_finished_layer_refuses_undo_and_redo(layer, scheme, annotator):
    units.create_unit(layer=layer, label=scheme["Claim"], spans=[(0, 5)], user=annotator)
    layer.status = Layer.Status.FINISHED
    layer.save()

    with pytest.raises(units.LayerFinishedError):
        history.undo(layer=layer, user=annotator)
    assert ArgumentUnit.objects.filter(layer=layer).count() == 1
