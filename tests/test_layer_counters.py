"""The counters the database keeps on articles and memberships (migration 0010's
triggers) always equal the counts of the layers, whatever made or changed them: the
grid, bulk assignment, status changes, curation, members leaving and coming back,
deletions and raw bulk inserts."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from annotate import lifecycle, projects, review
from annotate.models import Article, Layer, Membership, Role
from tests.factories import make_article, make_project, make_user

pytestmark = pytest.mark.django_db


def counted(project):
    """Each article's and annotator membership's counters, as the database keeps them."""
    articles = {
        article.pk: (article.layers_assigned, article.layers_started, article.layers_finished, article.curated)
        for article in Article.objects.filter(project=project)
    }
    members = {
        member.user_id: (member.layers_assigned, member.layers_finished)
        for member in Membership.objects.filter(project=project)
    }
    return articles, members


def recounted(project):
    """The same counts, computed here from the layers."""
    layers = list(Layer.objects.filter(article__project=project).values_list("article_id", "annotator_id", "status"))
    articles = {}
    for article_id in Article.objects.filter(project=project).values_list("pk", flat=True):
        theirs = [(user, status) for article, user, status in layers if article == article_id]
        annotators = [status for user, status in theirs if user is not None]
        articles[article_id] = (
            len(annotators),
            sum(status != "not_started" for status in annotators),
            sum(status == "finished" for status in annotators),
            any(user is None and status == "finished" for user, status in theirs),
        )
    members = {
        user_id: (
            sum(user == user_id for _, user, _ in layers),
            sum(user == user_id and status == "finished" for _, user, status in layers),
        )
        for user_id in Membership.objects.filter(project=project).values_list("user_id", flat=True)
    }
    return articles, members


def test_a_stale_article_saved_does_not_undo_the_counts(project, manager, annotator):
    article = make_article(project)
    stale = Article.objects.get(pk=article.pk)
    projects.assign(article=article, annotators=[annotator], by=manager)

    stale.title = "A new title"
    stale.save()

    article.refresh_from_db()
    assert (article.title, article.layers_assigned) == ("A new title", 1)
    assert counted(project) == recounted(project)


def test_a_member_who_comes_back_is_counted_with_the_layers_they_kept(project, manager, annotator):
    article = make_article(project)
    projects.assign(article=article, annotators=[annotator], by=manager)
    projects.remove_member(membership=Membership.objects.get(project=project, user=annotator), by=manager)

    projects.set_member(project=project, user=annotator, role=Role.ANNOTATOR, by=manager)

    assert Membership.objects.get(project=project, user=annotator).layers_assigned == 1
    assert counted(project) == recounted(project)


def test_a_raw_bulk_insert_and_a_cascade_are_counted(project, manager, annotator, annotator2):
    made = [make_article(project) for _ in range(3)]
    Layer.objects.bulk_create(
        Layer(article=article, annotator=user) for article in made for user in (annotator, annotator2)
    )
    assert counted(project) == recounted(project)

    made[0].delete()

    assert counted(project) == recounted(project)
    assert Membership.objects.get(project=project, user=annotator).layers_assigned == 2


class Counters(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.manager = make_user()
        self.curator = make_user()
        self.project = make_project(manager=self.manager)
        projects.set_member(project=self.project, user=self.curator, role=Role.CURATOR, by=self.manager)
        self.annotators = [make_user() for _ in range(3)]
        for user in self.annotators:
            projects.set_member(project=self.project, user=user, role=Role.ANNOTATOR, by=self.manager)
        self.articles = [make_article(self.project) for _ in range(3)]

    def layer(self, a, u):
        return (
            Layer.objects.select_related("article__project")
            .filter(article=self.articles[a], annotator=self.annotators[u])
            .first()
        )

    @rule(a=st.integers(0, 2), users=st.sets(st.integers(0, 2)))
    def assign(self, a, users):
        try:
            projects.assign(article=self.articles[a], annotators=[self.annotators[u] for u in users], by=self.manager)
        except projects.AssignmentError:
            pass

    @rule(per_article=st.integers(1, 3))
    def spread(self, per_article):
        projects.spread_evenly(project=self.project, per_article=per_article, by=self.manager)

    @rule(u=st.integers(0, 2))
    def unassign(self, u):
        projects.unassign_untouched(project=self.project, annotator_ids=[self.annotators[u].pk], by=self.manager)

    @rule(a=st.integers(0, 2), u=st.integers(0, 2), action=st.sampled_from(["start", "finish", "reopen"]))
    def work(self, a, u, action):
        layer = self.layer(a, u)
        if layer is None:
            return
        if action == "start":
            lifecycle.start_layer(layer=layer, user=layer.annotator)
        elif action == "finish" and layer.status != Layer.Status.FINISHED:
            lifecycle.finish_layer(layer=layer, user=layer.annotator, confirmed=True)
        elif action == "reopen" and layer.status == Layer.Status.FINISHED:
            lifecycle.reopen_layer(layer=layer, user=layer.annotator)

    @rule(a=st.integers(0, 2), finish=st.booleans())
    def curate(self, a, finish):
        article = Article.objects.select_related("project").get(pk=self.articles[a].pk)
        if finish:
            review.finish_curation(article=article, user=self.curator)
        else:
            review.reopen_curation(article=article, user=self.curator)

    @rule(u=st.integers(0, 2))
    def leave_and_come_back(self, u):
        member = Membership.objects.get(project=self.project, user=self.annotators[u])
        projects.remove_member(membership=member, by=self.manager)
        assert counted(self.project) == recounted(self.project)
        projects.set_member(project=self.project, user=self.annotators[u], role=Role.ANNOTATOR, by=self.manager)

    @invariant()
    def the_counters_are_the_counts(self):
        if hasattr(self, "project"):
            assert counted(self.project) == recounted(self.project)


def test_the_counters_equal_the_counts_after_random_sequences_of_every_action(db):
    run_state_machine_as_test(
        Counters,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
