"""The stored agreement as a stateful property: random sequences of finishing, reopening and
changing layers, visiting the agreement page (with random options) and running the worker,
checked after every step against a plain model.

The model counts the changes to each layer and remembers, per combination of options,
whether a computation is queued and which changes the stored result saw (every change to
a layer moves the state, counted or not: see `agreement_jobs.agreement_state`). From it
follow what the page says ("Computing agreement…", "Computed just now." or "N layers
changed since — recomputing…") and how many tasks were queued; the figures the page shows
are always a stored result's, and right after the worker ran they are the figures
computed directly from the database (today's whole-project computation), though the
worker recomputed only the articles whose counted layers changed.

The worker (`run_worker --batch`) commits, so each example builds its own project and
deletes it afterwards, rather than rolling back.
"""

import dataclasses
import itertools

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from annotate import agreement_store, lifecycle, projects, units
from annotate.models import ArgumentUnit, Job, JobStatus, Layer, Project, Role
from annotate.project_agreement import ProjectAgreement, load, project_agreement
from tests.factories import make_article, make_user, scheme_of
from tests.test_agreement_sums import folded

TEXT = "Cars out. Streets in. Shops gain."
SPANS = [(0, 9), (10, 21), (22, 33), (0, 21)]
LABELS = ["Claim", "Premise"]
OPTIONS = [
    {"include_in_progress": False, "against_gold": False},
    {"include_in_progress": True, "against_gold": False},
    {"include_in_progress": False, "against_gold": True},
]
_examples = itertools.count(1)


def state_line(response) -> str:
    html = response.content.decode()
    marker = 'class="agreement-state muted" role="status">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("</p>", start)].replace("\xa0", " ")


class StoredAgreement(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        number = next(_examples)
        self.users = [make_user(f"store-{role}-{number}") for role in ("manager", "curator", "ann", "ben")]
        manager, curator, *annotators = self.users
        self.project = projects.create_project(name=f"Store {number}", slug=f"store-{number}", manager=manager)
        projects.set_member(project=self.project, user=curator, role=Role.CURATOR, by=manager)
        for person in annotators:
            projects.set_member(project=self.project, user=person, role=Role.ANNOTATOR, by=manager)
        for n in range(2):
            projects.assign(article=make_article(self.project, text=f"{TEXT} {n}"), annotators=annotators, by=manager)
        self.scheme = scheme_of(self.project)
        self.layers = list(Layer.objects.filter(article__project=self.project).select_related("annotator"))
        self.client = self._client(curator)
        # The model: each layer's status, units and number of changes; per options, the
        # changes the stored result saw (None: no result) and whether a task is queued.
        self.status = {layer.pk: Layer.Status.NOT_STARTED for layer in self.layers}
        self.units = {layer.pk: set() for layer in self.layers}
        self.changes = {layer.pk: 0 for layer in self.layers}
        self.stored: dict[int, dict | None] = dict.fromkeys(range(len(OPTIONS)))
        self.queued: set[int] = set()
        self.tasks = 0

    @staticmethod
    def _client(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def teardown(self):
        DBTaskResult.objects.all().delete()
        # Labels are protected while units use them: the units go first.
        ArgumentUnit.objects.filter(layer__article__project=self.project).delete()
        Project.objects.filter(pk=self.project.pk).delete()
        for user in self.users:
            user.delete()

    def counted(self, options: dict) -> dict[int, int]:
        """What the state depends on: every layer's changes (whatever the options)."""
        return dict(self.changes)

    def _changed(self, layer: Layer) -> None:
        self.changes[layer.pk] += 1

    @rule(index=st.integers(0, 3), label=st.sampled_from(LABELS), span=st.sampled_from(SPANS))
    def change_a_unit(self, index, label, span):
        layer = Layer.objects.get(pk=self.layers[index].pk)
        if layer.status == Layer.Status.FINISHED:
            return
        if layer.status == Layer.Status.NOT_STARTED:
            lifecycle.start_layer(layer=layer, user=layer.annotator)
            self.status[layer.pk] = Layer.Status.IN_PROGRESS
            self._changed(layer)
        if (label, span) in self.units[layer.pk]:
            unit = layer.units.get(label=self.scheme[label], spans__start=span[0], spans__end=span[1])
            units.delete_unit(unit=unit, user=layer.annotator)
            self.units[layer.pk].discard((label, span))
        else:
            units.create_unit(layer=layer, label=self.scheme[label], spans=[span], user=layer.annotator)
            self.units[layer.pk].add((label, span))
        self._changed(layer)

    @rule(index=st.integers(0, 3))
    def finish(self, index):
        layer = Layer.objects.get(pk=self.layers[index].pk)
        lifecycle.finish_layer(layer=layer, user=layer.annotator, confirmed=True)
        if self.status[layer.pk] != Layer.Status.FINISHED:
            self.status[layer.pk] = Layer.Status.FINISHED
            self._changed(layer)

    @rule(index=st.integers(0, 3))
    def reopen(self, index):
        layer = Layer.objects.get(pk=self.layers[index].pk)
        lifecycle.reopen_layer(layer=layer, user=layer.annotator)
        if self.status[layer.pk] == Layer.Status.FINISHED:
            self.status[layer.pk] = Layer.Status.IN_PROGRESS
            self._changed(layer)

    @rule(which=st.integers(0, len(OPTIONS) - 1), htmx=st.booleans())
    def visit(self, which, htmx):
        options = OPTIONS[which]
        query = "&".join(f"{name}=on" for name, on in options.items() if on)
        url = reverse("annotate:agreement", args=[self.project.slug]) + (f"?{query}" if query else "")
        response = self.client.get(url, headers={"HX-Request": "true"} if htmx else {})

        stored, now = self.stored[which], self.counted(options)
        if stored != now and which not in self.queued:
            self.queued.add(which)
            self.tasks += 1
        if stored is None:
            expected = "Computing agreement…"
        elif stored == now:
            expected = "Computed just now."
        else:
            changed = sum(stored.get(pk) != now.get(pk) for pk in stored.keys() | now.keys())
            expected = f"Computed just now; {changed} layer{'s' if changed != 1 else ''} changed since — recomputing…"
        assert state_line(response) == expected
        assert DBTaskResult.objects.count() == self.tasks
        if stored is not None:
            # Never figures that are not stored: the page's are the stored result's.
            results = Job.objects.filter(project=self.project, status=JobStatus.DONE).values_list("result", flat=True)
            assert response.context["report"] in [ProjectAgreement.from_json(result["report"]) for result in results]
            if stored == now:
                shown = dataclasses.replace(response.context["report"], articles=response.context["articles"])
                assert shown == project_agreement(self.project, **options)

    @rule()
    def run_worker(self):
        call_command("run_worker", "--batch", "--no-startup-delay")

        ran, self.queued = self.queued, set()
        for which in ran:
            self.stored[which] = self.counted(OPTIONS[which])
        assert not Job.objects.filter(project=self.project).exclude(status=JobStatus.DONE).exists()
        for which, options in enumerate(OPTIONS):
            stored = Job.objects.filter(project=self.project, input_key__contains=_prefix(options))
            assert stored.count() == (self.stored[which] is not None)
            if which in ran:
                report = ProjectAgreement.from_json(stored.get().result["report"])
                articles = list(agreement_store.stored_rows(self.project, **options))
                # Incremental (the worker's), from scratch (every article's sums folded
                # anew) and today's whole-project computation agree.
                whole = project_agreement(self.project, **options)
                assert dataclasses.replace(report, articles=articles) == whole
                articles, layers, labels = load(self.project, **options)
                assert folded(articles, layers, labels=labels, **options) == whole


def _prefix(options: dict) -> str:
    return f":in_progress={int(options['include_in_progress'])}:gold={int(options['against_gold'])}:"


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_stored_figures_and_the_worker_brings_them_up_to_date(settings_override):
    run_state_machine_as_test(
        StoredAgreement,
        settings=settings(
            max_examples=15,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.fixture
def settings_override(settings):
    settings.ANNOTATE_AGREEMENT_INLINE = False
