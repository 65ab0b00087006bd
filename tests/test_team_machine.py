"""The team figures refreshed incrementally, after any sequence of work, equal the figures
computed from nothing; and the active time kept equals the change log's, counted here
from its definition (docs/team.md, "Active time")."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from annotate import lifecycle, projects, review, team, units
from annotate.models import Change, Effort, Layer, Role
from tests.factories import ARTICLE_TEXT, make_article, make_project, make_user, span_of

pytestmark = pytest.mark.django_db

QUOTES = ["Cities should ban cars", "Traffic kills thousands every year", "most trips in town are short"]


def active_time_by_definition(project) -> dict:
    """(user, layer, day) → [active seconds, changes], from every change of the project."""
    found = defaultdict(lambda: [0.0, 0])
    previous = {}
    for user, layer, at in (
        Change.objects.filter(project=project, layer__isnull=False, user__isnull=False)
        .order_by("created_at", "id")
        .values_list("user_id", "layer_id", "created_at")
    ):
        entry = found[(user, layer, timezone.localdate(at))]
        entry[1] += 1
        if user in previous and (at - previous[user]).total_seconds() < django_settings.ANNOTATE_IDLE_SECONDS:
            entry[0] += (at - previous[user]).total_seconds()
        previous[user] = at
    return {key: (round(seconds, 6), n) for key, (seconds, n) in found.items()}


def kept_active_time(project) -> dict:
    return {
        (row.user_id, row.layer_id, row.day): (round(row.active_seconds, 6), row.changes)
        for row in Effort.objects.filter(project=project)
    }


def without_time(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "refreshed_at"}


class TeamFigures(RuleBasedStateMachine):
    @initialize()
    def start(self):
        manager = make_user()
        self.project = make_project(manager=manager)
        self.curator = make_user()
        projects.set_member(project=self.project, user=self.curator, role=Role.CURATOR, by=None)
        self.people = [make_user() for _ in range(2)]
        for person in self.people:
            projects.set_member(project=self.project, user=person, role=Role.ANNOTATOR, by=None)
        self.articles = [make_article(self.project, text=f"{ARTICLE_TEXT} ({n})") for n in range(2)]
        for article in self.articles:
            projects.assign(article=article, annotators=self.people, by=manager)
        self.labels = list(self.project.labels.all())
        self.clock = timezone.now() - timedelta(days=9)
        self.seen = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.last = None

    def stamp(self):
        """The changes just made happened at the clock's time."""
        Change.objects.filter(id__gt=self.seen).update(created_at=self.clock)
        self.seen = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def layer(self, person: int, article: int) -> Layer:
        return Layer.objects.select_related("article__project").get(
            article=self.articles[article], annotator=self.people[person]
        )

    @rule(seconds=st.sampled_from([5, 120, 299, 300, 301, 4000, 86_400, 3 * 86_400]))
    def time_passes(self, seconds):
        self.clock += timedelta(seconds=seconds)

    @rule(person=st.integers(0, 1), article=st.integers(0, 1), quote=st.integers(0, 2), label=st.integers(0, 2))
    def mark(self, person, article, quote, label):
        layer = self.layer(person, article)
        if layer.status == Layer.Status.FINISHED:
            return
        spans = [span_of(layer.article.text, QUOTES[quote])]
        if layer.units.filter(spans__start=spans[0][0]).exists():
            return
        units.create_unit(layer=layer, label=self.labels[label], spans=spans, user=self.people[person])
        self.stamp()

    @rule(person=st.integers(0, 1), article=st.integers(0, 1))
    def finish(self, person, article):
        layer = self.layer(person, article)
        if layer.status != Layer.Status.FINISHED:
            lifecycle.set_status(layer=layer, status=Layer.Status.FINISHED, user=self.people[person])
            Layer.objects.filter(pk=layer.pk).update(finished_at=self.clock)
            self.stamp()

    @rule(person=st.integers(0, 1), article=st.integers(0, 1))
    def reopen(self, person, article):
        layer = self.layer(person, article)
        if layer.status == Layer.Status.FINISHED:
            lifecycle.reopen_layer(layer=layer, user=self.people[person])
            self.stamp()

    @rule(article=st.integers(0, 1), quote=st.integers(0, 2), label=st.integers(0, 2))
    def curate(self, article, quote, label):
        article = self.articles[article]
        gold = review.start_gold(article=article, user=self.curator)
        spans = [span_of(article.text, QUOTES[quote])]
        if gold.status != Layer.Status.FINISHED and not gold.units.filter(spans__start=spans[0][0]).exists():
            units.create_unit(layer=gold, label=self.labels[label], spans=spans, user=self.curator)
        review.finish_curation(article=article, user=self.curator)
        self.stamp()

    @rule()
    def refresh(self):
        self.clock += timedelta(seconds=1)
        result = team.figures(self.project, previous=self.last, now=self.clock)
        assert kept_active_time(self.project) == active_time_by_definition(self.project)
        assert without_time(result) == without_time(team.figures(self.project, now=self.clock))
        self.last = result


def test_incremental_team_figures_equal_figures_from_nothing(db):
    run_state_machine_as_test(
        TeamFigures,
        settings=settings(
            max_examples=20,
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
