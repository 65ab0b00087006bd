"""The Django admin at a lab's size: every list a fixed number of queries, filters that
read no large table for their choices, a bounded count, and indexes for the change
log's order that PostgreSQL uses."""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from annotate import projects
from annotate.admin import CHANGE_ACTIONS
from annotate.models import Change, Job, JobKind, Project
from tests.factories import make_article, make_project, make_relation, make_unit, make_user, scheme_of

# Each list of the admin, with the queries its page runs whatever the number of rows:
# the session and the user, the bounded count, the page, and each filter's choices.
CHANGELISTS = {
    "project": 5,
    "membership": 6,
    "label": 6,
    "relationtype": 6,
    "article": 6,
    "layer": 5,
    "argumentunit": 6,
    "span": 4,
    "relation": 4,
    "change": 5,
    "job": 6,
}


def build_lab(n: int) -> None:
    """`n` projects, each with its manager, an annotator, an article assigned to them
    with two units and a relation, and an export job: `n` rows or more in every table."""
    annotator = make_user()
    for _ in range(n):
        project = make_project()
        projects.set_member(project=project, user=annotator, role="annotator", by=None)
        article = make_article(project)
        (layer,) = projects.assign(article=article, annotators=[annotator], by=None)
        scheme = scheme_of(project)
        claim = make_unit(layer, scheme["Claim"], "Cities should ban cars from their centres.")
        premise = make_unit(layer, scheme["Premise"], "Traffic kills thousands every year")
        make_relation(layer, scheme["supports"], premise, claim)
        Job.objects.create(project=project, kind=JobKind.EXPORT, created_by=annotator)


@pytest.mark.parametrize("n", [3, 30])
def test_every_admin_list_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, n):
    build_lab(n)
    assert Change.objects.count() > n  # every list holds more rows at 30 than at 3

    for model, queries in CHANGELISTS.items():
        url = reverse(f"admin:annotate_{model}_changelist")
        with django_assert_num_queries(queries):
            response = admin_client.get(url)
        assert (model, response.status_code) == (model, 200)


def test_every_admin_list_and_each_of_its_filters_answers(admin_client):
    build_lab(3)
    followed = 0
    for model in CHANGELISTS:
        page = admin_client.get(reverse(f"admin:annotate_{model}_changelist"))
        assert (model, page.status_code) == (model, 200)
        changelist = page.context["cl"]
        for spec in changelist.filter_specs:
            for choice in spec.choices(changelist):
                response = admin_client.get(reverse(f"admin:annotate_{model}_changelist") + choice["query_string"])
                assert (model, choice["query_string"], response.status_code) == (model, choice["query_string"], 200)
                followed += 1
    assert followed > 50


def test_the_change_log_filters_by_the_known_actions_not_by_reading_the_records(admin_client):
    build_lab(1)  # records of a few actions only
    page = admin_client.get(reverse("admin:annotate_change_changelist"))
    changelist = page.context["cl"]
    (action_filter,) = [spec for spec in changelist.filter_specs if spec.parameter_name == "action"]
    offered = [choice["display"] for choice in action_filter.choices(changelist)]
    assert offered == ["All", *CHANGE_ACTIONS]

    unit_changes = admin_client.get(reverse("admin:annotate_change_changelist") + "?action=unit.create")
    assert [change.action for change in unit_changes.context["cl"].result_list] == ["unit.create", "unit.create"]


def test_the_known_actions_are_every_action_the_code_records():
    written = set()
    for path in Path("annotate").rglob("*.py"):
        written |= set(re.findall(r'(?<![-\w])action="([a-z_.]+)"', path.read_text()))
    written.discard("store_true")  # argparse's, in the commands
    assert written - set(CHANGE_ACTIONS) == set()
    # And the scheme entries' saves, named by their model (action=f"{model_name}.save").
    assert {"label.save", "relationtype.save"} <= set(CHANGE_ACTIONS)


def test_a_long_list_is_counted_up_to_the_limit_and_then_estimated(admin_client, settings):
    settings.ANNOTATE_ADMIN_EXACT_COUNT = 5
    build_lab(3)
    changes = Change.objects.count()
    assert changes > 5

    page = admin_client.get(reverse("admin:annotate_change_changelist"))

    changelist = page.context["cl"]
    assert changelist.paginator.estimated is True
    assert changelist.result_count >= 6
    assert f"about {changelist.result_count} changes" in page.content.decode()

    settings.ANNOTATE_ADMIN_EXACT_COUNT = changes
    page = admin_client.get(reverse("admin:annotate_change_changelist"))
    assert (page.context["cl"].paginator.estimated, page.context["cl"].result_count) == (False, changes)
    assert f"\n{changes} changes" in page.content.decode()


def test_an_estimated_list_offers_no_selection_of_all_its_rows(admin_client, settings):
    settings.ANNOTATE_ADMIN_EXACT_COUNT = 5
    manager = make_user()
    project = make_project(manager=manager)
    Change.objects.bulk_create(Change(project=project, user=manager, action="unit.create") for _ in range(150))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Change._meta.db_table}")

    page = admin_client.get(reverse("admin:annotate_change_changelist"))

    changelist = page.context["cl"]
    assert (changelist.paginator.estimated, len(changelist.result_list)) == (True, 100)
    assert changelist.result_count > 100
    assert 'class="question' not in page.content.decode()
    settings.ANNOTATE_ADMIN_EXACT_COUNT = 10_000
    exact = admin_client.get(reverse("admin:annotate_change_changelist")).content.decode()
    assert f"Select all {Change.objects.count()} changes" in exact


def test_the_change_log_has_its_indexes(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Change._meta.db_table)
    indexes = {name: (c["columns"], c["orders"]) for name, c in constraints.items() if c["index"]}
    assert indexes["change_created_idx"] == (["created_at", "id"], ["DESC", "DESC"])
    assert indexes["change_project_created_idx"] == (["project_id", "created_at", "id"], ["ASC", "DESC", "DESC"])
    assert indexes["change_action_created_idx"] == (["action", "created_at", "id"], ["ASC", "DESC", "DESC"])


@pytest.fixture
def long_change_log(db):
    """20,000 change records over ten projects and four actions, with the planner's
    statistics up to date."""
    manager = make_user()
    lab = [make_project(manager=manager) for _ in range(10)]
    actions = ["unit.create", "unit.update", "relation.create", "layer.status"]
    Change.objects.bulk_create(
        Change(project=lab[i % 10], user=manager, action=actions[i % 4], target=f"unit:{i}") for i in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Change._meta.db_table}")
    return lab


@pytest.mark.parametrize(
    ("query", "index"),
    [("", "change_created_idx"), ("?action=layer.status", "change_action_created_idx")],
)
def test_the_change_log_page_is_read_by_its_index(admin_client, long_change_log, query, index):
    page = admin_client.get(reverse("admin:annotate_change_changelist") + query)

    plan = page.context["cl"].result_list.explain()
    assert index in plan
    # The change records are never read from end to end (a project's few rows may be).
    assert "Seq Scan on annotate_change" not in plan


def test_a_projects_change_log_page_is_read_by_its_index(admin_client, long_change_log):
    project: Project = long_change_log[3]
    page = admin_client.get(reverse("admin:annotate_change_changelist") + f"?project__id__exact={project.pk}")

    assert len(page.context["cl"].result_list) == 100
    plan = page.context["cl"].result_list.explain()
    assert "change_project_created_idx" in plan
    assert "Seq Scan on annotate_change" not in plan


def test_the_change_log_is_searched_by_an_exact_target_or_username_through_their_indexes(admin_client, long_change_log):
    url = reverse("admin:annotate_change_changelist")
    other = make_user("someone_else")
    Change.objects.create(project=long_change_log[0], user=other, action="unit.create", target="unit:99999")

    by_target = admin_client.get(url, {"q": "unit:12"}).context["cl"].result_list
    by_user = admin_client.get(url, {"q": "someone_else"}).context["cl"].result_list
    # A part of a target matches nothing: the search never reads every record for a pattern.
    partial = admin_client.get(url, {"q": "nit:12"}).context["cl"].result_list

    assert [change.target for change in by_target] == ["unit:12"]
    assert [change.target for change in by_user] == ["unit:99999"]
    assert [change.target for change in partial] == []
    assert "change_target_idx" in by_target.explain()


def test_the_change_log_sorts_only_by_time(admin_client, long_change_log):
    response = admin_client.get(reverse("admin:annotate_change_changelist"), {"o": "4"})

    assert response.status_code == 200
    # The order asked for (by action, the fourth column) is left out: newest first, by id.
    assert response.context["cl"].get_ordering(response.wsgi_request, Change.objects.all()) == ["-pk"]
