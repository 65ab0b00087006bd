"""Curation as random sequences of everything a curator does to gold: adopt a unit
(asking, replacing or adding beside an overlapping one), adopt the majority, undo and
redo in gold, finish and reopen. After every step gold holds no unit twice, its
relations join its own units, its revision counts its change records, and a refused
step changed nothing. Each adoption (a Replace, an Adopt majority) is one step of gold's
history: one undo gives back gold exactly as it was before it, one redo as it was after.
An adopted unit is in gold with its attributes, and adopting the
majority gives a unit the stance its annotators agree on, or leaves it out."""

import itertools

from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from annotate import history, lifecycle, projects, review
from annotate.models import ArgumentUnit, Change, Layer, Relation, Role
from annotate.units import AnnotationError, LayerFinishedError
from tests.factories import make_article, make_relation, make_unit, make_user, scheme_of

TEXT = (
    "Cities should ban cars from their centres. Traffic kills thousands every year, "
    "and most trips in town are short. Critics say shops will suffer, but footfall rises "
    "where streets are calm."
)
FOR, AGAINST = {"stance": "For"}, {"stance": "Against"}
# Each annotator's units: (label, quote, inner, attributes), some alike, some overlapping,
# and one alike but for its stance.
MARKS = {
    "ann": [
        ("MajorClaim", "Cities should ban cars from their centres", None, {}),
        ("Premise", "Traffic kills thousands every year", None, {}),
        ("Premise", "most trips in town are short", None, {}),
        ("Claim", "footfall rises where streets are calm", None, FOR),
        ("Claim", "Critics say shops will suffer", None, FOR),
    ],
    "ben": [
        ("MajorClaim", "Cities should ban cars", None, {}),
        ("Premise", "Traffic kills thousands every year", None, {}),
        ("Premise", "and most trips in town are short", None, {}),
        ("Claim", "Critics say shops will suffer", None, AGAINST),
    ],
}
# Relations between an annotator's units, by their index in MARKS.
LINKS = {"ann": [(1, 0, "supports"), (2, 0, "supports"), (3, 0, "supports")], "ben": [(1, 0, "supports")]}

_examples = itertools.count(1)


def gold_state(article_id: int) -> tuple[dict, list, str, int] | None:
    """Gold's units (label, spans and attributes, by id), relations, status and revision;
    None before gold exists."""
    gold = Layer.objects.filter(article_id=article_id, annotator__isnull=True).first()
    if gold is None:
        return None
    units = {
        unit.pk: (unit.label_id, tuple(unit.spans.order_by("start").values_list("start", "end")), unit.attributes)
        for unit in ArgumentUnit.objects.filter(layer=gold)
    }
    links = sorted(Relation.objects.filter(layer=gold).values_list("type_id", "source_id", "target_id"))
    return units, links, gold.status, gold.revision


class Curation(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.example = transaction.atomic()
        self.example.__enter__()
        number = next(_examples)
        manager = make_user(f"review-manager-{number}")
        self.curator = make_user(f"review-curator-{number}")
        project = projects.create_project(name=f"Review {number}", slug=f"review-{number}", manager=manager)
        projects.set_member(project=project, user=self.curator, role=Role.CURATOR, by=manager)
        annotators = {name: make_user(f"{name}-{number}") for name in MARKS}
        for user in annotators.values():
            projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=manager)
        article = make_article(project, text=TEXT)
        projects.assign(article=article, annotators=list(annotators.values()), by=manager)
        scheme = scheme_of(project)
        self.units: list[int] = []
        # The model: (label, spans) → the attributes each annotator who marked it gave.
        self.marked: dict[tuple, list[dict]] = {}
        for name, user in annotators.items():
            layer = Layer.objects.get(article=article, annotator=user)
            lifecycle.start_layer(layer=layer, user=user)
            made = [
                make_unit(layer, scheme[label], quote, inner=inner, attributes=attributes)
                for label, quote, inner, attributes in MARKS[name]
            ]
            for unit, (*_, attributes) in zip(made, MARKS[name], strict=True):
                spans = tuple(unit.spans.order_by("start").values_list("start", "end"))
                self.marked.setdefault((unit.label_id, spans), []).append(attributes)
            for source, target, kind in LINKS[name]:
                make_relation(layer, scheme[kind], made[source], made[target])
            self.units += [unit.pk for unit in made]
        self.article_id = article.pk
        # The model of gold's history: (before, after) of each adoption done and not undone,
        # and of each undone, latest last; gold's content as `content` reads it.
        self.done: list[tuple] = []
        self.undone: list[tuple] = []

    def teardown(self):
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    def article(self):
        return Layer.objects.get(pk=ArgumentUnit.objects.get(pk=self.units[0]).layer_id).article

    def gold(self) -> Layer | None:
        return (
            Layer.objects.select_related("article__project")
            .filter(article_id=self.article_id, annotator__isnull=True)
            .first()
        )

    def content(self) -> tuple:
        """Gold's units (ids, labels, spans, attributes, notes) and relations (none before gold)."""
        state = gold_state(self.article_id)
        if state is None:
            return {}, [], {}
        notes = dict(ArgumentUnit.objects.filter(pk__in=state[0]).values_list("pk", "note"))
        return state[0], state[1], notes

    def stepped(self, before: tuple, revision_before: int | None) -> None:
        """After an adoption: if it wrote anything, it is one step Undo takes back whole."""
        state = gold_state(self.article_id)
        if state is not None and state[3] != revision_before:
            self.done.append((before, self.content()))
            self.undone.clear()

    def attempt(self, action, **arguments) -> AnnotationError | None:
        """Run `action`; a refusal must leave gold as it was. The refusal, if any."""
        before = gold_state(self.article_id)
        try:
            action(**arguments)
        except AnnotationError as error:
            assert gold_state(self.article_id) == before
            return error
        return None

    @rule(
        which=st.integers(0, sum(len(marks) for marks in MARKS.values()) - 1),
        overlap=st.sampled_from([review.ASK, review.REPLACE, review.ADD]),
    )
    def adopt(self, which, overlap):
        unit = ArgumentUnit.objects.select_related("layer__article__project", "label").get(pk=self.units[which])
        gold = self.gold()
        finished = gold is not None and gold.status == Layer.Status.FINISHED
        before, revision = self.content(), gold.revision if gold else None
        refused = self.attempt(review.adopt_unit, unit=unit, user=self.curator, overlap=overlap)
        if refused is None:
            self.stepped(before, revision)
        if finished:
            assert isinstance(refused, LayerFinishedError)
        elif overlap == review.ASK and refused is not None:
            assert isinstance(refused, review.OverlapError)  # the one question an open gold asks
        else:  # gold now has a unit of that label on exactly those spans, with its attributes
            assert refused is None
            spans = tuple(unit.spans.order_by("start").values_list("start", "end"))
            assert (unit.label_id, spans, unit.attributes) in gold_state(self.article_id)[0].values()

    @rule(minimum=st.sampled_from([1, 2]))
    def adopt_majority(self, minimum):
        gold = self.gold()
        finished = gold is not None and gold.status == Layer.Status.FINISHED
        before = gold_state(self.article_id)
        content = self.content()
        refused = self.attempt(review.adopt_majority, article=self.article(), user=self.curator, minimum=minimum)
        assert (refused is not None) == finished
        if refused is None:
            self.stepped(content, before[3] if before else None)
        if refused is None:
            had = {(label, spans) for label, spans, _ in before[0].values()} if before else set()
            added = [unit for unit in gold_state(self.article_id)[0].values() if unit[:2] not in had]
            # Two annotators: a strict majority is both, so a unit comes with the stance they
            # both gave it, and one they gave different stances never comes.
            for label, spans, attributes in added:
                given = self.marked[(label, spans)]
                assert len(given) >= minimum
                assert given == [attributes] * len(given)

    @rule()
    def undo(self):
        if (gold := self.gold()) is not None:
            refused = self.attempt(history.undo, layer=gold, user=self.curator)
            if gold.status == Layer.Status.FINISHED:
                assert isinstance(refused, LayerFinishedError)
            elif not self.done:
                assert str(refused) == "Nothing to undo."
            else:
                assert refused is None
                before, after = self.done.pop()
                assert self.content() == before
                self.undone.append((before, after))

    @rule()
    def redo(self):
        if (gold := self.gold()) is not None:
            refused = self.attempt(history.redo, layer=gold, user=self.curator)
            if gold.status == Layer.Status.FINISHED:
                assert isinstance(refused, LayerFinishedError)
            elif not self.undone:
                assert str(refused) == "Nothing to redo."
            else:
                assert refused is None
                before, after = self.undone.pop()
                assert self.content() == after
                self.done.append((before, after))

    @rule()
    def finish(self):
        if self.gold() is not None:
            review.finish_curation(article=self.article(), user=self.curator)
            assert self.gold().status == Layer.Status.FINISHED

    @rule()
    def reopen(self):
        gold = self.gold()
        was_finished = gold is not None and gold.status == Layer.Status.FINISHED
        assert review.reopen_curation(article=self.article(), user=self.curator) == was_finished
        if gold is not None:
            assert self.gold().status != Layer.Status.FINISHED

    @invariant()
    def gold_is_whole(self):
        state = gold_state(self.article_id)
        if state is None:
            return
        units, links, _, revision = state
        # No unit twice (same label, same spans), and no relation twice.
        assert len({(label, spans) for label, spans, _ in units.values()}) == len(units)
        assert len(set(links)) == len(links)
        # Relations join gold's own units.
        assert {end for _, source, target in links for end in (source, target)} <= set(units)
        # One change record for every change, undo and redo.
        gold = self.gold()
        assert revision == Change.objects.filter(layer=gold).count()


def test_random_curation_keeps_gold_whole(db):
    run_state_machine_as_test(
        Curation,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
