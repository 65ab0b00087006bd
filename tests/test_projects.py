"""Projects: presets, members, assignment, and the seeded demo."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from annotate import projects, units
from annotate.models import Article, Change, Label, Layer, Membership, Project, RelationType, Role
from annotate.seeding import load_seeds
from tests.factories import make_article, make_project, make_user


def test_default_preset_is_argument_annotated_essays_with_stance_on_claims(project):
    labels = list(project.labels.values_list("name", "key", "attributes"))
    relation_types = list(project.relation_types.values_list("name", "key"))

    assert labels == [("MajorClaim", "m", {}), ("Claim", "c", {"stance": ["For", "Against"]}), ("Premise", "p", {})]
    assert relation_types == [("supports", "s"), ("attacks", "a")]


@pytest.mark.parametrize(
    ("preset", "labels", "relation_types"),
    [
        ("premise_conclusion", ["Conclusion", "Premise"], ["supports", "attacks"]),
        ("webis", ["assumption", "anecdote", "testimony", "statistics", "common-ground", "other"], []),
    ],
)
def test_other_presets_create_their_labels(db, preset, labels, relation_types):
    project = make_project(preset=preset)

    assert list(project.labels.values_list("name", flat=True)) == labels
    assert list(project.relation_types.values_list("name", flat=True)) == relation_types


def test_spread_evenly_gives_each_article_n_annotators_and_balances_the_load(project, manager):
    annotators = [make_user(f"a{i}") for i in range(3)]
    for user in annotators:
        projects.set_member(project=project, user=user, role=Role.ANNOTATOR, by=manager)
    articles = [make_article(project) for _ in range(6)]

    created = projects.spread_evenly(project=project, per_article=2, by=manager)

    assert created == 12
    per_article = [Layer.objects.filter(article=a).count() for a in articles]
    per_annotator = [Layer.objects.filter(annotator=u).count() for u in annotators]
    assert (per_article, per_annotator) == ([2] * 6, [4, 4, 4])


def test_spread_evenly_keeps_existing_assignments_and_fills_up_to_n(project, manager, annotator, annotator2):
    first, second = make_article(project), make_article(project)
    projects.assign(article=first, annotators=[annotator], by=manager)

    created = projects.spread_evenly(project=project, per_article=1, by=manager)

    assert created == 1
    assert list(Layer.objects.order_by("article_id").values_list("article_id", "annotator__username")) == [
        (first.pk, "ann_annotator"),
        (second.pk, "ben_annotator"),
    ]


def test_spread_evenly_refuses_more_annotators_per_article_than_the_project_has(project, manager, annotator):
    make_article(project)

    with pytest.raises(projects.AssignmentError, match="has 1 annotators; it cannot give each article 2"):
        projects.spread_evenly(project=project, per_article=2, by=manager)
    assert Layer.objects.count() == 0


def test_assign_refuses_a_user_who_is_not_an_annotator_of_the_project(project, manager):
    article = make_article(project)
    stranger = make_user()

    with pytest.raises(projects.AssignmentError, match="Only annotators of this project"):
        projects.assign(article=article, annotators=[stranger], by=manager)
    assert Layer.objects.count() == 0


def test_assign_never_takes_away_a_layer_with_work_in_it(project, article, annotator, annotator2, manager):
    layer = Layer.objects.get(article=article, annotator=annotator)
    units.create_unit(layer=layer, label=project.labels.get(name="Claim"), spans=[(0, 4)], user=annotator)

    with pytest.raises(projects.AssignmentError, match="ann_annotator already started"):
        projects.assign(article=article, annotators=[annotator2], by=manager)
    assert Layer.objects.filter(article=article).count() == 2


def test_assign_takes_away_an_untouched_layer_and_records_the_change(project, article, annotator, annotator2, manager):
    projects.assign(article=article, annotators=[annotator2], by=manager)

    assert list(article.layers.values_list("annotator__username", flat=True)) == ["ben_annotator"]
    change = Change.objects.filter(action="article.assign").latest("id")
    assert (change.before, change.after) == (
        {"annotators": sorted([annotator.pk, annotator2.pk])},
        {"annotators": [annotator2.pk]},
    )


def test_the_last_manager_cannot_be_removed(project, manager):
    membership = Membership.objects.get(project=project, user=manager)

    with pytest.raises(projects.AssignmentError, match="at least one active manager"):
        projects.remove_member(membership=membership, by=manager)
    assert Membership.objects.filter(project=project, role=Role.MANAGER).count() == 1


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (User, Project, Membership, Label, RelationType, Article, Layer, Change)
    )


def test_load_seeds_builds_the_demo_and_a_second_run_changes_nothing(db):
    load_seeds()
    after_first = counts()

    load_seeds()

    assert counts() == after_first
    project = Project.objects.get(slug="demo")
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {"manager": "manager", "curator": "curator", "alice": "annotator", "bob": "annotator"}
    article = project.articles.get()
    assert (article.title, article.author) == ("Did Trump Flinch?", "David Mark")
    assert sorted(article.layers.values_list("annotator__username", flat=True)) == ["alice", "bob"]


def test_the_load_seeds_command_counts_in_words_and_a_second_run_says_all_was_there(db):
    first, second = io.StringIO(), io.StringIO()

    call_command("load_seeds", stdout=first)
    call_command("load_seeds", stdout=second)

    logins = (
        "Demo logins (password “demo” for all):\n"
        "  manager  Manager\n  curator  Curator\n  alice    Annotator\n  bob      Annotator\n"
    )
    assert first.getvalue() == "Demo project “demo”: 4 new accounts and 1 new article.\n" + logins
    assert second.getvalue() == (
        "Demo project “demo” is ready (its accounts and articles were there already).\n" + logins
    )


def test_the_demo_manager_may_create_projects_and_the_annotators_may_not(db, client):
    load_seeds()
    statuses = {}
    for username in ("manager", "alice"):
        client.force_login(User.objects.get(username=username))
        statuses[username] = client.get(reverse("annotate:project_create")).status_code

    assert statuses == {"manager": 200, "alice": 403}


@pytest.mark.parametrize(
    ("guidelines", "shown"),
    [
        (
            "Mark the major claim first.\nThen its claims.",
            "<p>Mark the major claim first.<br>Then its claims.</p>",
        ),
        # White space a paste or an import leaves: before, between and after paragraphs.
        (
            "\r\n  \nMark the major claim first.  \r\n \t\nThen its claims & premises.\n\n\n   ",
            "<p>Mark the major claim first.</p>\n\n<p>Then its claims &amp; premises.</p>",
        ),
        ("\n", None),
        ("   \n\t ", None),
    ],
)
def test_the_guidelines_box_starts_with_the_first_line_and_holds_no_blank_paragraph(
    client, project, annotator, guidelines, shown
):
    Project.objects.filter(pk=project.pk).update(guidelines=guidelines)  # past the form, which trims
    client.force_login(annotator)

    page = client.get(project.get_absolute_url()).content.decode()

    boxes = re.findall(r'<div class="guidelines">(.*?)</div>', page, re.S)
    assert boxes == ([shown] if shown else [])
    assert ("<h2>Guidelines</h2>" in page) is bool(shown)
