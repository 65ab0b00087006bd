"""Assignment at any size: the grid's page sends only the cells changed; the bulk forms
assign or unassign every article of a filter. Driven as the browser drives them: forms
read from the page, `changes` filled as assignment.js fills it."""

import lxml.html
import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from annotate import lifecycle, projects
from annotate.models import Article, Change, Layer, Role, text_hash
from tests.factories import make_article, make_project, make_user

pytestmark = pytest.mark.django_db


def assignment_page(client, project, query="", *, headers=None):
    url = reverse("annotate:assignment", args=[project.slug]) + (f"?{query}" if query else "")
    response = client.get(url, headers=headers or {})
    return response, lxml.html.fromstring(response.content.decode())


def form_data(form, **override):
    data = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data | {name: value if isinstance(value, list) else [value] for name, value in override.items()}


def changes_of(form):
    """`changes` as assignment.js fills it: the cells whose tick differs from the saved one."""
    return " ".join(
        f"{box.get('data-cell')}:{int(box.checked)}"
        for box in form.xpath(".//input[@data-cell]")
        if box.checked != (box.get("data-saved") == "1")
    )


def tick(form, article, user, on=True):
    (box,) = form.xpath(f'.//input[@data-cell="{article.pk}:{user.pk}"]')
    box.checked = on


def save(client, form):
    return client.post(form.get("action"), form_data(form, changes=changes_of(form)), headers={"HX-Request": "true"})


def messages_of(response):
    return [li.text_content() for li in lxml.html.fromstring(response.content.decode()).find_class("message")]


def assigned(project):
    return sorted(
        Layer.objects.filter(article__project=project, annotator__isnull=False).values_list(
            "article__title", "annotator__username"
        )
    )


def bulk_form(html, action):
    (form,) = [form for form in html.forms if form.get("action").endswith(f"/assignment/{action}/")]
    return form


def test_bulk_assign_gives_the_articles_of_the_filter_the_ticked_annotators_least_loaded_first(
    client, project, manager, annotator, annotator2
):
    third = make_user("cat_annotator")
    projects.set_member(project=project, user=third, role=Role.ANNOTATOR, by=manager)
    for number in range(4):
        article = make_article(project, title=f"Transport {number}")
        Article.objects.filter(pk=article.pk).update(metadata={"tag": "transport"})
    make_article(project, title="Health")
    busy = make_article(project, title="Busy")
    projects.assign(article=busy, annotators=[annotator], by=manager)
    client.force_login(manager)
    _, html = assignment_page(client, project, "tag=transport&status=unassigned")
    form = bulk_form(html, "spread")
    form.fields["per_article"] = "1"
    for box in form.inputs["annotators"]:
        box.checked = box.get("value") in (str(annotator.pk), str(annotator2.pk))

    response = client.post(form.get("action"), form_data(form), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert messages_of(response) == ["4 assignments added to the articles matching the filter."]
    # ben has no work yet, ann one article: ben first, then turn about.
    assert assigned(project) == [
        ("Busy", "ann_annotator"),
        ("Transport 0", "ben_annotator"),
        ("Transport 1", "ann_annotator"),
        ("Transport 2", "ben_annotator"),
        ("Transport 3", "ann_annotator"),
    ]
    # The answer is the filtered page again, now empty: every article of it is assigned.
    answer = lxml.html.fromstring(response.content.decode())
    assert answer.get_element_by_id("assignment-count").text_content() == "0 articles match the filter."


def test_bulk_unassign_takes_annotators_off_where_they_have_not_started_and_says_what_it_kept(
    client, project, manager, annotator, annotator2
):
    made = [make_article(project, title=f"Op-ed {n}") for n in range(3)]
    for article in made:
        projects.assign(article=article, annotators=[annotator, annotator2], by=manager)
    begun = Layer.objects.select_related("article__project").get(article=made[1], annotator=annotator)
    lifecycle.start_layer(layer=begun, user=annotator)
    client.force_login(manager)
    _, html = assignment_page(client, project)
    form = bulk_form(html, "unassign")
    for box in form.inputs["annotators"]:
        box.checked = box.get("value") == str(annotator.pk)

    response = client.post(form.get("action"), form_data(form), headers={"HX-Request": "true"})

    assert messages_of(response) == ["2 assignments removed from the articles. 1 kept: their annotators had started."]
    assert assigned(project) == [
        ("Op-ed 0", "ben_annotator"),
        ("Op-ed 1", "ann_annotator"),
        ("Op-ed 1", "ben_annotator"),
        ("Op-ed 2", "ben_annotator"),
    ]
    assert Change.objects.filter(action="project.unassign").values_list("after", flat=True).get() == {
        "annotators": [annotator.pk],
        "layers_removed": 2,
        "layers_kept": 1,
    }


def test_two_tabs_saving_different_cells_keep_both_and_a_retry_saves_nothing_twice(
    client, project, manager, annotator, annotator2
):
    first, second = make_article(project, title="First"), make_article(project, title="Second")
    client.force_login(manager)
    _, one = assignment_page(client, project)
    _, other = assignment_page(client, project)
    (grid_one,) = [form for form in one.forms if form.get("id") == "assignment-grid"]
    (grid_other,) = [form for form in other.forms if form.get("id") == "assignment-grid"]
    tick(grid_one, first, annotator)
    tick(grid_other, second, annotator2)

    assert messages_of(save(client, grid_one)) == ["Saved: 1 assignment added, 0 removed."]
    assert messages_of(save(client, grid_other)) == ["Saved: 1 assignment added, 0 removed."]
    assert messages_of(save(client, grid_other)) == ["Nothing to save: the assignment was already so."]
    assert assigned(project) == [("First", "ann_annotator"), ("Second", "ben_annotator")]


def test_the_answer_to_a_save_is_the_page_it_came_from(client, project, manager, annotator):
    made = [make_article(project, title=f"Op-ed {n:03d}") for n in range(120)]
    client.force_login(manager)
    _, html = assignment_page(client, project, "sort=-title")
    (next_page,) = html.xpath("//nav[@class='pager']//a[@rel='next']/@href")
    _, html = assignment_page(client, project, next_page.lstrip("?"))
    (grid,) = [form for form in html.forms if form.get("id") == "assignment-grid"]
    tick(grid, made[60], annotator)

    response = save(client, grid)

    answer = lxml.html.fromstring(response.content.decode())
    titles = [th.text_content() for th in answer.xpath("//table[contains(@class,'assignment')]//tbody/tr/th")]
    assert titles == [f"Op-ed {n:03d}" for n in range(69, 19, -1)]
    assert assigned(project) == [("Op-ed 060", "ann_annotator")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ("1:2", "The changed cells could not be read; nothing was saved. Reload the page."),
        ("a:b:1", "The changed cells could not be read; nothing was saved. Reload the page."),
        ("1:2:2", "The changed cells could not be read; nothing was saved. Reload the page."),
        ("١:2:1", "The changed cells could not be read; nothing was saved. Reload the page."),
        ("99999999999:1:1", "The changed cells could not be read; nothing was saved. Reload the page."),
        (" ".join(f"{n}:1:1" for n in range(1, 5003)), "Save at most 5000 changed cells at once; nothing was saved."),
        (
            "ARTICLE:CURATOR:1",
            "Nothing was saved. Only annotators of this project can be assigned (user ids [CURATOR]).",
        ),
        ("FOREIGN:ANN:1", "Nothing was saved. No such article in this project (ids [FOREIGN])."),
        ("ARTICLE:ANN:1 FOREIGN:ANN:0", "Nothing was saved. No such article in this project (ids [FOREIGN])."),
    ],
)
def test_changes_that_cannot_be_saved_answer_422_with_a_message_and_change_nothing(
    client, project, manager, curator, annotator, outsider, changes, message
):
    article = make_article(project)
    foreign = make_article(outsider.memberships.get().project)
    changes = (
        changes.replace("ARTICLE", str(article.pk))
        .replace("FOREIGN", str(foreign.pk))
        .replace("CURATOR", str(curator.pk))
        .replace("ANN", str(annotator.pk))
    )
    message = message.replace("FOREIGN", str(foreign.pk)).replace("CURATOR", str(curator.pk))
    client.force_login(manager)
    _, html = assignment_page(client, project)
    (grid,) = [form for form in html.forms if form.get("id") == "assignment-grid"]
    before = (Layer.objects.count(), Change.objects.count())

    response = client.post(grid.get("action"), form_data(grid, changes=changes), headers={"HX-Request": "true"})

    assert (response.status_code, messages_of(response)) == (422, [message])
    assert (Layer.objects.count(), Change.objects.count()) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"per_article": "0"},
            "Nothing was assigned. Annotators per article: Ensure this value is greater than or equal to 1.",
        ),
        ({"per_article": "x"}, "Nothing was assigned. Annotators per article: Enter a whole number."),
        ({"per_article": "3"}, "The project has 2 annotators; it cannot give each article 3."),
        (
            {"annotators": ["CURATOR"]},
            "Nothing was assigned. From these annotators: Select a valid choice. "
            "CURATOR is not one of the available choices.",
        ),
        ({"filter": "status=archived"}, "The filter could not be read; nothing was changed. Reload the page."),
    ],
)
def test_a_bulk_assignment_that_cannot_be_made_answers_422_with_a_message_and_changes_nothing(
    client, project, manager, curator, annotator, annotator2, fields, message
):
    make_article(project)
    fields = {
        name: [v.replace("CURATOR", str(curator.pk)) for v in value] if isinstance(value, list) else value
        for name, value in fields.items()
    }
    message = message.replace("CURATOR", str(curator.pk))
    client.force_login(manager)
    _, html = assignment_page(client, project)
    form = bulk_form(html, "spread")
    before = (Layer.objects.count(), Change.objects.count())

    response = client.post(form.get("action"), form_data(form, **fields), headers={"HX-Request": "true"})

    assert (response.status_code, messages_of(response)) == (422, [message])
    assert (Layer.objects.count(), Change.objects.count()) == before


def test_unassign_with_nobody_ticked_says_so_and_changes_nothing(client, project, manager, article):
    client.force_login(manager)
    _, html = assignment_page(client, project)
    form = bulk_form(html, "unassign")
    before = (Layer.objects.count(), Change.objects.count())

    response = client.post(form.get("action"), form_data(form), headers={"HX-Request": "true"})

    assert (response.status_code, messages_of(response)) == (
        422,
        ["Nothing was unassigned. Take these annotators off: This field is required."],
    )
    assert (Layer.objects.count(), Change.objects.count()) == before


@pytest.mark.parametrize("n", [10, 300])
def test_bulk_assignment_runs_a_fixed_number_of_queries_however_many_articles(
    project, manager, annotator, annotator2, n
):
    Article.objects.bulk_create(
        Article(project=project, title=f"Op-ed {i}", text=f"Text {i}.", text_hash=text_hash(f"Text {i}."))
        for i in range(n)
    )
    with CaptureQueriesContext(connection) as queries:
        created = projects.spread_evenly(project=project, per_article=2, by=manager)
    assert created == 2 * n
    # annotators, layers, articles, the insert, the change record (and two savepoints)
    assert len(queries) == 7


def test_a_lab_of_20000_articles_and_20_annotators_is_assigned_two_per_article_evenly(manager):
    project = make_project(manager=manager, slug="lab")
    annotators = [make_user(f"annotator{n:02d}") for n in range(20)]
    for user in annotators:
        projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=manager)
    Article.objects.bulk_create(
        (
            Article(project=project, title=f"Op-ed {i}", text=f"Text {i}.", text_hash=text_hash(f"Text {i}."))
            for i in range(20_000)
        ),
        batch_size=2000,
    )

    created = projects.spread_evenly(project=project, per_article=2, by=manager)

    assert created == 40_000
    per_annotator = dict(
        Layer.objects.filter(article__project=project).values_list("annotator__username").annotate(n=Count("id"))
    )
    assert per_annotator == {user.username: 2000 for user in annotators}
    per_article = set(
        Layer.objects.filter(article__project=project)
        .values("article_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert per_article == {2}

    done = projects.unassign_untouched(project=project, annotator_ids=[annotators[0].pk], by=manager)

    assert (done.removed, done.kept) == (2000, 0)
    assert Layer.objects.filter(article__project=project).count() == 38_000


class AssignmentMachine(RuleBasedStateMachine):
    """Random sequences of grid saves (from the page, carrying its ticks), bulk assigns
    and unassigns, and annotators starting work: the assignment is always what the
    actions allowed, and started work is never taken away."""

    @initialize()
    def setup(self):
        from django.test import Client

        self.manager = make_user()
        self.project = make_project(manager=self.manager)
        self.annotators = [make_user() for _ in range(3)]
        for user in self.annotators:
            projects.set_member(project=self.project, user=user, role=Role.ANNOTATOR, by=self.manager)
        self.articles = [make_article(self.project, title=f"Op-ed {n}") for n in range(4)]
        self.expected: set[tuple[int, int]] = set()
        self.started: set[tuple[int, int]] = set()
        self.client = Client()
        self.client.force_login(self.manager)

    @rule(cells=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.booleans()), min_size=1, max_size=6))
    def save_the_grid(self, cells):
        _, html = assignment_page(self.client, self.project)
        (grid,) = [form for form in html.forms if form.get("id") == "assignment-grid"]
        wanted = set(self.expected)
        for a, u, on in cells:
            tick(grid, self.articles[a], self.annotators[u], on)
            (wanted.add if on else wanted.discard)((self.articles[a].pk, self.annotators[u].pk))
        response = save(self.client, grid)
        if self.started - wanted:
            assert response.status_code == 422
        else:
            assert response.status_code == 200
            self.expected = wanted

    @rule(a=st.integers(0, 3), u=st.integers(0, 2))
    def start_work(self, a, u):
        cell = (self.articles[a].pk, self.annotators[u].pk)
        if cell in self.expected:
            layer = Layer.objects.select_related("article__project").get(article_id=cell[0], annotator_id=cell[1])
            lifecycle.start_layer(layer=layer, user=self.annotators[u])
            self.started.add(cell)

    @rule(per_article=st.integers(1, 3))
    def spread(self, per_article):
        _, html = assignment_page(self.client, self.project)
        form = bulk_form(html, "spread")
        form.fields["per_article"] = str(per_article)
        response = self.client.post(form.get("action"), form_data(form), headers={"HX-Request": "true"})
        assert response.status_code == 200
        # Which annotators the rule chooses is the domain test's; here: every article now
        # has `per_article` annotators or the ones it had, if more, and keeps them all.
        saved = set(
            Layer.objects.filter(article__project=self.project, annotator__isnull=False).values_list(
                "article_id", "annotator_id"
            )
        )
        assert self.expected <= saved
        for article in self.articles:
            had = len([cell for cell in self.expected if cell[0] == article.pk])
            assert len([cell for cell in saved if cell[0] == article.pk]) == max(had, per_article)
        self.expected = saved

    @rule(u=st.integers(0, 2))
    def unassign(self, u):
        _, html = assignment_page(self.client, self.project)
        form = bulk_form(html, "unassign")
        for box in form.inputs["annotators"]:
            box.checked = box.get("value") == str(self.annotators[u].pk)
        response = self.client.post(form.get("action"), form_data(form), headers={"HX-Request": "true"})
        assert response.status_code == 200
        user_id = self.annotators[u].pk
        self.expected = {cell for cell in self.expected if cell[1] != user_id or cell in self.started}

    @invariant()
    def the_assignment_is_what_the_actions_allowed(self):
        if hasattr(self, "project"):
            saved = set(
                Layer.objects.filter(article__project=self.project, annotator__isnull=False).values_list(
                    "article_id", "annotator_id"
                )
            )
            assert saved == self.expected
            assert self.started <= saved


def test_random_grid_saves_bulk_assigns_unassigns_and_started_work_keep_the_assignment_as_allowed(db):
    run_state_machine_as_test(
        AssignmentMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
