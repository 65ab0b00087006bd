"""Suggestions as a stateful property, driven as the browser drives them: random
sequences of accept, reject, accept-all, undo, redo, a unit made or deleted by hand and a
change sent from a stale page, each carrying the revision of the answer before it and
reading the panel as the page does after every change. After every step: no shown
suggestion overlaps a unit, undo puts back exactly what was shown and marked before the
change it undoes (an accepted ghost comes back), redo what was after, a refusal changes
nothing, and the revision counts the change records, one each."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from annotate import projects, suggestions, workspace
from annotate.models import Change, Layer, Role
from tests.factories import make_article, make_project, make_user

TEXT = (
    "We must act now because the climate is changing. Therefore, governments should tax carbon.\n\n"
    "However, taxes hurt the poor. Although taxes are unpopular, they work. "
    "Sweden has taxed carbon since 1991."
)
# Spans a hand might mark: some are a suggestion's, some overlap one, some lie apart.
HAND = [
    (TEXT.index(quote), TEXT.index(quote) + len(quote))
    for quote in ("We must act now", "act now because the", "carbon", "taxes hurt", "Sweden has taxed carbon")
]
REVISION = re.compile(r'id="layer-revision" name="revision" value="(\d+)"')
SUGGESTION = re.compile(r'class="(suggestion-row|ghost-link-row)[^"]*" data-suggestion="(\d+)"')
UNIT = re.compile(r'class="unit-row label-\d+" data-unit="(\d+)"')


class SuggestionsInTheWorkspace(RuleBasedStateMachine):
    @initialize()
    def open_the_page(self):
        manager, self.annotator = make_user(), make_user()
        project = make_project(manager=manager, suggestions=True)
        projects.set_member(project=project, user=self.annotator, role=Role.ANNOTATOR, by=manager)
        article = make_article(project, text=TEXT)
        projects.assign(article=article, annotators=[self.annotator], by=manager)
        self.layer = Layer.objects.select_related("article__project").get(article=article)
        self.labels = list(project.labels.values_list("pk", flat=True))
        self.client = Client()
        self.client.force_login(self.annotator)
        self.base = reverse("annotate:layer_detail", args=[project.slug, self.layer.pk])
        page = self.client.get(self.base).content.decode()
        self.revision = int(REVISION.search(page)[1])
        self.read_panel()
        self.done, self.undone = [], []  # (what the page showed before, after) of each change

    def read_panel(self):
        """The panel, as the page asks for it after every change."""
        panel = self.client.get(self.base + "panel/", HTTP_HX_REQUEST="true").content.decode()
        self.ghosts = [int(pk) for kind, pk in SUGGESTION.findall(panel) if kind == "suggestion-row"]
        self.links = [int(pk) for kind, pk in SUGGESTION.findall(panel) if kind == "ghost-link-row"]
        self.units = [int(pk) for pk in UNIT.findall(panel)]
        return (tuple(self.ghosts), tuple(self.links), len(self.units))

    def send(self, path, revision=None, **data):
        answer = self.client.post(
            self.base + path,
            {"revision": self.revision if revision is None else revision, **data},
            HTTP_HX_REQUEST="true",
        )
        self.answer = answer.content.decode()
        if found := REVISION.search(answer.content.decode()):
            self.revision = int(found[1])
        return answer.status_code

    def change(self, path, **data):
        """A change that the model says must be made: it is, and Undo can take it back."""
        before = self.read_panel()
        status = self.send(path, **data)
        assert (status, self.answer if status != 200 else "") == (200, "")
        self.done.append((before, self.read_panel()))
        self.undone.clear()

    @rule(which=st.integers(min_value=0, max_value=50))
    def accept(self, which):
        shown = self.ghosts + self.links
        if shown:
            self.change(f"suggestions/{shown[which % len(shown)]}/accept/")

    @rule(which=st.integers(min_value=0, max_value=50))
    def reject(self, which):
        shown = self.ghosts + self.links
        if shown:
            self.change(f"suggestions/{shown[which % len(shown)]}/reject/")

    @rule(which=st.integers(min_value=0, max_value=50))
    def accept_all(self, which):
        if self.ghosts:
            self.change("suggestions/accept-all/", suggestion=self.ghosts[which % len(self.ghosts)])

    @rule(span=st.sampled_from(HAND), label=st.integers(min_value=0, max_value=2))
    def mark_by_hand(self, span, label):
        before = self.read_panel()
        status = self.send("units/", start=span[0], end=span[1], label=self.labels[label % len(self.labels)])
        if status == 200:
            self.done.append((before, self.read_panel()))
            self.undone.clear()
        else:  # the same unit there already: refused, nothing changed
            assert (status, self.read_panel()) == (422, before)

    @rule(which=st.integers(min_value=0, max_value=50))
    def delete_by_hand(self, which):
        if self.units:
            self.change(f"units/{self.units[which % len(self.units)]}/delete/")

    @rule()
    def undo(self):
        if not self.done:
            assert self.send("undo/") == 422
            return
        before, after = self.done.pop()
        assert self.send("undo/") == 200
        assert self.read_panel() == before
        self.undone.append((before, after))

    @rule()
    def redo(self):
        if not self.undone:
            assert self.send("redo/") == 422
            return
        before, after = self.undone.pop()
        assert self.send("redo/") == 200
        assert self.read_panel() == after
        self.done.append((before, after))

    @rule(which=st.integers(min_value=0, max_value=50))
    def from_a_stale_page(self, which):
        shown = self.ghosts + self.links
        before = self.read_panel()
        pk = shown[which % len(shown)] if shown else 1
        assert self.send(f"suggestions/{pk}/accept/", revision=self.revision - 1 if self.revision else 1) == 409
        assert self.read_panel() == before

    @invariant()
    def no_ghost_overlaps_a_unit_and_the_revision_counts_the_records(self):
        ws = workspace.load(Layer.objects.select_related("article__project").get(pk=self.layer.pk))
        shown = suggestions.shown(ws.layer, ws.units, ws.relations)
        taken = [span for unit in ws.units for span in unit.spans]
        assert [ghost for ghost in shown.units if any(s < ghost.span[1] and ghost.span[0] < e for s, e in taken)] == []
        assert [ghost.id for ghost in shown.units] == self.ghosts
        assert self.revision == Change.objects.filter(layer_id=self.layer.pk).count()


@pytest.mark.django_db
def test_suggestions_accepted_rejected_and_undone_at_random_match_the_pages_model():
    run_state_machine_as_test(
        SuggestionsInTheWorkspace,
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


@pytest.mark.django_db
def test_a_suggested_link_to_a_span_two_units_share_is_shown_as_accepting_takes_it():
    """Found by the machine: a second unit on a linked unit's span (another label) made
    the link shown again, and accepting it was refused as a duplicate."""
    state = SuggestionsInTheWorkspace()
    state.open_the_page()
    state.accept_all(which=0)  # the first paragraph: its units and their links
    state.mark_by_hand(label=0, span=(0, 15))  # another unit on "We must act now"
    assert len(state.links) == 2  # those that reach the second paragraph, not the one accepted
    state.accept(which=len(state.ghosts))  # the first link: accepted, not refused as a duplicate
    state.no_ghost_overlaps_a_unit_and_the_revision_counts_the_records()
