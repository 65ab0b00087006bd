"""Undo and redo as a stateful property: random sequences of every undoable change to one
annotator layer (units, spans, labels, stance, relations, document stance), undo and
redo interleaved, and refused input, checked after every step against a plain model.

The model keeps the layer as plain values (ids and creation times included, which
must come back exactly) and, for undo, the whole state before each change: undo puts
back the state before the user's latest change that is not undone, redo the state
after the change undone last, as long as no new change was made since. "Nothing to
undo." and "Nothing to redo." are tried whenever the model has nothing for them.
"""

import copy
import itertools
import re

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from annotate import history, lifecycle, projects, relations, units
from annotate.formats.checks import quote
from annotate.formats.plaintext import normalise_text
from annotate.models import NOTE_MAX_CHARS, ArgumentUnit, Change, Layer, Relation, Role, Span
from tests.factories import make_article, make_user

# Astral characters (one code point each in Python, two UTF-16 units in the browser), an
# emoji with a skin-tone modifier, an "e" + combining acute that NFC composes, and an
# "x" + combining acute that stays two code points; blank runs that no span may cover alone,
# and runs of punctuation and emoji that no unit may be made of alone.
TEXT = normalise_text(
    "🙂 Cars out! Cafe\u0301 owners wince 👍🏽, yet x\u0301 footfall rises.\n\nStreets calm down 🙂 and   people stay."
)
SPECIAL = {i for i, char in enumerate(TEXT) if ord(char) > 0xFFFF or "\u0300" <= char <= "\u036f"}


def _touches_special(span: tuple[int, int]) -> bool:
    start, end = span
    return bool({start - 1, start, end - 1, end} & SPECIAL)


def _has_word(start: int, end: int) -> bool:
    return any(char.isalnum() for char in TEXT[start:end])


# Every valid span of a few lengths (holding a letter or digit: a unit needs one); those
# whose ends fall next to an astral character or a combining mark come first, so shrunk
# examples still cut around them.
SPANS = sorted(
    (
        (start, start + length)
        for start in range(len(TEXT))
        for length in (1, 2, 3, 5, 8, 13, 21)
        if start + length <= len(TEXT) and _has_word(start, start + length)
    ),
    key=lambda span: (not _touches_special(span), span),
)
BLANK_SPANS = [
    (start, end)
    for start in range(len(TEXT))
    for end in range(start + 1, min(start + 4, len(TEXT)) + 1)
    if not TEXT[start:end].strip()
]
# Punctuation, emoji and white space, but not white space alone: "! ", "🙂", ", ".
WORDLESS_SPANS = [
    (start, end)
    for start in range(len(TEXT))
    for end in range(start + 1, min(start + 4, len(TEXT)) + 1)
    if TEXT[start:end].strip() and not _has_word(start, end)
]


def _overlap(spans) -> bool:
    ordered = sorted(spans)
    return any(start < previous_end for (_, previous_end), (start, _) in zip(ordered, ordered[1:], strict=False))


span = st.sampled_from(SPANS)
# One span, sometimes two (a discontinuous unit), as the annotator selects them.
unit_spans = st.lists(span, min_size=1, max_size=2, unique=True).filter(lambda spans: not _overlap(spans)).map(sorted)
# Spans no unit may have: white space alone, no letter or digit, or two spans that overlap each other.
bad_unit_spans = st.one_of(
    st.sampled_from(BLANK_SPANS).map(lambda blank: [blank]),
    st.sampled_from(WORDLESS_SPANS).map(lambda wordless: [wordless]),
    span.flatmap(
        lambda first: st.sampled_from(
            [[first, other] for other in SPANS if other != first and _overlap([first, other])]
        )
    ),
)
label_name = st.sampled_from(["MajorClaim", "Claim", "Premise"])
claim_stance = st.sampled_from([None, "For", "Against"])
pick = st.integers(min_value=0, max_value=50)  # which of the current units or relations

_examples = itertools.count(1)


def read_layer(layer_id: int) -> tuple[dict, int]:
    """The layer as the model holds it (read from the database), and its revision."""
    layer = Layer.objects.get(pk=layer_id)
    spans: dict[int, list[tuple[int, int]]] = {}
    for unit_id, start, end in (
        Span.objects.filter(unit__layer_id=layer_id).order_by("unit_id", "start").values_list("unit_id", "start", "end")
    ):
        spans.setdefault(unit_id, []).append((start, end))
    found = {
        "units": {
            pk: {
                "label": label_id,
                "spans": spans.get(pk, []),
                "attributes": attributes,
                "note": note,
                "created_at": created_at,
            }
            for pk, label_id, attributes, note, created_at in ArgumentUnit.objects.filter(
                layer_id=layer_id
            ).values_list("pk", "label_id", "attributes", "note", "created_at")
        },
        "relations": {
            pk: (type_id, source_id, target_id, created_at)
            for pk, type_id, source_id, target_id, created_at in Relation.objects.filter(layer_id=layer_id).values_list(
                "pk", "type_id", "source_id", "target_id", "created_at"
            )
        },
        "document_stance": layer.document_stance,
    }
    return found, layer.revision


class LayerHistory(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back: nothing leaks into
        # the next example.
        self.example = transaction.atomic()
        self.example.__enter__()
        number = next(_examples)
        manager = make_user(f"history-manager-{number}")
        self.annotator = make_user(f"history-annotator-{number}")
        project = projects.create_project(
            name=f"History {number}", slug=f"history-{number}", manager=manager, document_stance=True
        )
        projects.set_member(project=project, user=self.annotator, role=Role.ANNOTATOR, by=manager)
        article = make_article(project, text=TEXT)
        assert article.text == TEXT
        projects.assign(article=article, annotators=[self.annotator], by=manager)
        layer = Layer.objects.get(article=article, annotator=self.annotator)
        # Opening the layer writes a change (its status) that undo must pass over.
        lifecycle.start_layer(layer=layer, user=self.annotator)
        self.layer_id = layer.pk
        self.labels = {label.name: label for label in project.labels.all()}
        self.types = {kind.name: kind for kind in project.relation_types.all()}
        self.model = {"units": {}, "relations": {}, "document_stance": ""}
        self.undo_stack: list[dict] = []  # the state before each change not undone
        self.redo_stack: list[dict] = []  # the state after each change undone
        self.revision = Layer.objects.get(pk=self.layer_id).revision
        self.refused("Nothing to undo.", history.undo, layer=self.layer(), user=self.annotator)
        self.refused("Nothing to redo.", history.redo, layer=self.layer(), user=self.annotator)

    def teardown(self):
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    # Helpers: the layer and units as a view would load them, fresh for every action.

    def layer(self) -> Layer:
        return Layer.objects.select_related("article__project").get(pk=self.layer_id)

    def unit(self, pk: int) -> ArgumentUnit:
        return ArgumentUnit.objects.get(pk=pk)

    def pick_unit(self, which: int, *, label: str | None = None) -> int:
        ids = sorted(
            pk for pk, unit in self.model["units"].items() if label is None or unit["label"] == self.label_id(label)
        )
        return ids[which % len(ids)]

    def named(self, pk: int) -> str:
        """A unit as a message names it: its label and its quote (cut at 40)."""
        unit = self.model["units"][pk]
        name = next(label.name for label in self.labels.values() if label.pk == unit["label"])
        quote = " … ".join(TEXT[start:end] for start, end in sorted(unit["spans"]))
        shown = quote if len(quote) <= 40 else quote[:39] + "…"
        return f"{name} “{shown.replace(chr(10), chr(92) + 'n')}”"

    def label_id(self, name: str) -> int:
        return self.labels[name].pk

    def is_duplicate(self, label_id: int, spans: list[tuple[int, int]], *, other_than: int | None = None) -> bool:
        """Would a unit with this label and these spans repeat another unit exactly?"""
        return any(
            pk != other_than and unit["label"] == label_id and unit["spans"] == spans
            for pk, unit in self.model["units"].items()
        )

    def refused(self, message: str, action, **arguments) -> None:
        """`action` refuses with `message`; the invariant then checks that it changed nothing."""
        with pytest.raises(units.AnnotationError, match=f"^{re.escape(message)}$"):
            action(**arguments)

    def changed(self, new: dict) -> None:
        """The model after a change: a real change is recorded and ends redo; a change
        that changes nothing is not recorded at all."""
        if new == self.model:
            return
        self.undo_stack.append(self.model)
        self.model = new
        self.revision += 1
        if self.redo_stack:
            self.redo_stack.clear()
            self.refused("Nothing to redo.", history.redo, layer=self.layer(), user=self.annotator)

    def with_unit(self, pk: int, **values) -> dict:
        new = copy.deepcopy(self.model)
        new["units"][pk].update(values)
        return new

    # Units

    def make_unit(self, label: str, spans: list[tuple[int, int]], stance: str | None) -> None:
        label_id = self.label_id(label)
        if self.is_duplicate(label_id, spans):
            return  # an exact repeat of a unit is not an annotation (and may be refused)
        attributes = {"stance": stance} if label == "Claim" and stance else None
        unit = units.create_unit(
            layer=self.layer(), label=self.labels[label], spans=spans, attributes=attributes, user=self.annotator
        ).unit
        assert unit.pk not in self.model["units"]
        new = copy.deepcopy(self.model)
        new["units"][unit.pk] = {
            "label": label_id,
            "spans": spans,
            "attributes": attributes or {},
            "note": "",
            "created_at": unit.created_at,
        }
        self.changed(new)

    # Two units to begin with, so that relations can be made from the first step.
    @initialize(first=label_name, first_spans=unit_spans, second=label_name, second_spans=unit_spans)
    def start_with_two_units(self, first, first_spans, second, second_spans):
        self.make_unit(first, first_spans, None)
        self.make_unit(second, second_spans, None)

    @rule(label=label_name, spans=unit_spans, stance=claim_stance, slip=bad_unit_spans)
    def create_unit(self, label, spans, stance, slip):
        # A slip first: a selection of white space alone, of no letter or digit, or spans that overlap.
        if _overlap(slip):
            message = "The spans of one unit may not overlap each other."
        elif not TEXT[slip[0][0] : slip[0][1]].strip():
            message = "The selection holds only white space."
        else:
            message = f"A unit needs at least one letter or digit: {quote(TEXT[slip[0][0] : slip[0][1]])} holds none."
        self.refused(
            message, units.create_unit, layer=self.layer(), label=self.labels[label], spans=slip, user=self.annotator
        )
        self.make_unit(label, spans, stance)

    @precondition(lambda self: self.model["units"])
    @rule(which=pick, label=label_name)
    def relabel_unit(self, which, label):
        pk = self.pick_unit(which)
        label_id = self.label_id(label)
        if self.is_duplicate(label_id, self.model["units"][pk]["spans"], other_than=pk):
            return
        attributes = {
            name: value
            for name, value in self.model["units"][pk]["attributes"].items()
            if name in self.labels[label].attributes
        }
        units.update_unit(unit=self.unit(pk), label=self.labels[label], user=self.annotator)
        self.changed(self.with_unit(pk, label=label_id, attributes=attributes))

    @precondition(lambda self: any(unit["label"] == self.label_id("Claim") for unit in self.model["units"].values()))
    @rule(which=pick, stance=st.sampled_from(["For", "Against", ""]))
    def set_claim_stance(self, which, stance):
        pk = self.pick_unit(which, label="Claim")
        units.update_unit(unit=self.unit(pk), attributes={"stance": stance}, user=self.annotator)
        self.changed(self.with_unit(pk, attributes={"stance": stance} if stance else {}))

    # A note as the side panel sends it (line ends as \r\n, white space around it),
    # stored as written; an empty one removes the note.
    @precondition(lambda self: self.model["units"])
    @rule(which=pick, note=st.sampled_from(["Unsure.", "  unsure\r\nask ", "", " ", "Curator: kept as a claim."]))
    def write_note(self, which, note):
        pk = self.pick_unit(which)
        units.update_unit(unit=self.unit(pk), note=note, user=self.annotator)
        self.changed(self.with_unit(pk, note=note.replace("\r\n", "\n").strip()))

    @precondition(lambda self: self.model["units"])
    @rule(which=pick)
    def note_refuses_a_note_too_long(self, which):
        pk = self.pick_unit(which)
        message = (
            f"A note may be at most 2,000 characters; this one has {NOTE_MAX_CHARS + 1:,}. Shorten it and save again."
        )
        self.refused(
            message, units.update_unit, unit=self.unit(pk), note="n" * (NOTE_MAX_CHARS + 1), user=self.annotator
        )

    @precondition(lambda self: self.model["units"])
    @rule(which=pick, spans=unit_spans)
    def set_boundaries(self, which, spans):
        pk = self.pick_unit(which)
        if self.is_duplicate(self.model["units"][pk]["label"], spans, other_than=pk):
            return
        units.update_unit(unit=self.unit(pk), spans=spans, user=self.annotator)
        self.changed(self.with_unit(pk, spans=spans))

    @precondition(lambda self: self.model["units"])
    @rule(which=pick, wordless=st.sampled_from(WORDLESS_SPANS))
    def set_boundaries_to_no_word(self, which, wordless):
        start, end = wordless
        message = f"A unit needs at least one letter or digit: {quote(TEXT[start:end])} holds none."
        self.refused(
            message, units.update_unit, unit=self.unit(self.pick_unit(which)), spans=[wordless], user=self.annotator
        )

    # A later span may hold no letter or digit, as long as the unit has one in another.
    @precondition(lambda self: self.model["units"])
    @rule(which=pick, span=st.one_of(span, st.sampled_from(WORDLESS_SPANS)))
    def add_span(self, which, span):
        pk = self.pick_unit(which)
        spans = sorted([*self.model["units"][pk]["spans"], span])
        if _overlap(spans):
            message = "The spans of one unit may not overlap each other."
            self.refused(message, units.add_span, unit=self.unit(pk), span=span, user=self.annotator)
            return
        if self.is_duplicate(self.model["units"][pk]["label"], spans, other_than=pk):
            return
        units.add_span(unit=self.unit(pk), span=span, user=self.annotator)
        self.changed(self.with_unit(pk, spans=spans))

    @precondition(lambda self: self.model["units"])
    @rule(which=pick)
    def delete_unit(self, which):
        pk = self.pick_unit(which)
        units.delete_unit(unit=self.unit(pk), user=self.annotator)
        new = copy.deepcopy(self.model)
        del new["units"][pk]
        new["relations"] = {rid: row for rid, row in new["relations"].items() if pk not in row[1:3]}
        self.changed(new)

    # Relations

    def unlinked_pairs(self) -> list[tuple[int, int]]:
        linked = {frozenset((source, target)) for _, source, target, _ in self.model["relations"].values()}
        ids = sorted(self.model["units"])
        return [(a, b) for a in ids for b in ids if a != b and frozenset((a, b)) not in linked]

    def link(self, which: int, kind: str) -> None:
        pairs = self.unlinked_pairs()
        if not pairs:
            return
        source, target = pairs[which % len(pairs)]
        relation = relations.create_relation(
            layer=self.layer(),
            type=self.types[kind],
            source=self.unit(source),
            target=self.unit(target),
            user=self.annotator,
        ).relation
        assert relation.pk not in self.model["relations"]
        new = copy.deepcopy(self.model)
        new["relations"][relation.pk] = (self.types[kind].pk, source, target, relation.created_at)
        self.changed(new)
        # A second link between the same two units, either way round, and a link of a unit to itself.
        other = "attacks" if kind == "supports" else "supports"
        for ends in [(source, target), (target, source)]:
            self.refused(
                f"These two units are already linked: {self.named(source)} {kind} {self.named(target)}. Two units "
                "take one relation: to link them another way, delete that one first (choose it, then Delete).",
                relations.create_relation,
                layer=self.layer(),
                type=self.types[other],
                source=self.unit(ends[0]),
                target=self.unit(ends[1]),
                user=self.annotator,
            )
        self.refused(
            "A unit cannot be linked to itself.",
            relations.create_relation,
            layer=self.layer(),
            type=self.types[kind],
            source=self.unit(source),
            target=self.unit(source),
            user=self.annotator,
        )

    @precondition(lambda self: len(self.model["units"]) >= 2)
    @rule(which=st.integers(min_value=0, max_value=200))
    def link_supports(self, which):
        self.link(which, "supports")

    @precondition(lambda self: len(self.model["units"]) >= 2)
    @rule(which=st.integers(min_value=0, max_value=200))
    def link_attacks(self, which):
        self.link(which, "attacks")

    @precondition(lambda self: self.model["relations"])
    @rule(which=pick)
    def delete_relation(self, which):
        ids = sorted(self.model["relations"])
        pk = ids[which % len(ids)]
        relations.delete_relation(relation=Relation.objects.get(pk=pk), user=self.annotator)
        new = copy.deepcopy(self.model)
        del new["relations"][pk]
        self.changed(new)

    # The layer

    @rule(stance=st.sampled_from(["For", "Against", "Neutral", "", "Undecided"]))
    def set_document_stance(self, stance):
        if stance == "Undecided":
            message = "The document stance must be For, Against or Neutral, not “Undecided”."
            self.refused(message, lifecycle.set_document_stance, layer=self.layer(), stance=stance, user=self.annotator)
            return
        lifecycle.set_document_stance(layer=self.layer(), stance=stance, user=self.annotator)
        new = copy.deepcopy(self.model)
        new["document_stance"] = stance
        self.changed(new)

    # Undo and redo

    @precondition(lambda self: self.undo_stack)
    @rule()
    def undo(self):
        history.undo(layer=self.layer(), user=self.annotator)
        self.redo_stack.append(self.model)
        self.model = self.undo_stack.pop()
        self.revision += 1
        if not self.undo_stack:
            self.refused("Nothing to undo.", history.undo, layer=self.layer(), user=self.annotator)

    @precondition(lambda self: self.redo_stack)
    @rule()
    def redo(self):
        history.redo(layer=self.layer(), user=self.annotator)
        self.undo_stack.append(self.model)
        self.model = self.redo_stack.pop()
        self.revision += 1
        if not self.redo_stack:
            self.refused("Nothing to redo.", history.redo, layer=self.layer(), user=self.annotator)

    # Refused input: a clear message, and nothing changes (the invariant checks that).

    @precondition(lambda self: self.model["units"])
    @rule(which=pick, value=st.sampled_from(["Maybe", "for"]))
    def stance_refuses_a_value_the_label_does_not_allow(self, which, value):
        pk = self.pick_unit(which)
        label = next(name for name, lb in self.labels.items() if lb.pk == self.model["units"][pk]["label"])
        if label == "Claim":
            message = f"Claim stance must be one of For, Against, not “{value}”."
        else:
            message = f"{label} has no attribute “stance”."
        self.refused(message, units.update_unit, unit=self.unit(pk), attributes={"stance": value}, user=self.annotator)

    @invariant()
    def layer_is_the_model(self):
        found, revision = read_layer(self.layer_id)
        assert found == self.model
        # One change record for every change, undo and redo; none for a refusal or a no-op.
        assert revision == self.revision
        assert revision == Change.objects.filter(layer_id=self.layer_id).count()


def test_undo_and_redo_of_random_changes_match_a_plain_model(db):
    run_state_machine_as_test(
        LayerHistory,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            database=None,
            # The explanation of a failure reruns it many times over: the steps say enough.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
