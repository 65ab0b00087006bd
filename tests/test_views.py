"""Manager and annotator pages: happy paths, bad input, pinned query counts."""

import lxml.html
import pytest
from django.template.defaultfilters import pluralize
from django.urls import reverse

from annotate import projects, units
from annotate.models import Change, Label, Layer, Membership, Project, Role
from tests.factories import make_article, make_project, make_user


def test_login_page_logs_the_user_in_and_lands_on_the_project_list(client, annotator, project):
    response = client.post(reverse("login"), {"username": "ann_annotator", "password": "secret-pass-1"}, follow=True)

    assert response.redirect_chain == [(reverse("annotate:project_list"), 302)]
    assert [project for project, role, active in response.context["rows"]] == [project]


def test_login_with_a_wrong_password_says_so(client, annotator):
    response = client.post(reverse("login"), {"username": "ann_annotator", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(client, annotator):
    client.force_login(annotator)

    response = client.post(reverse("logout"))

    assert (response.status_code, response["Location"]) == (302, reverse("login"))
    assert client.get(reverse("annotate:project_list")).status_code == 302


def test_creating_a_project_makes_the_creator_its_manager_with_the_chosen_scheme(client, db):
    user = make_user()
    user.is_staff = True  # who may create projects: staff, by default
    user.save()
    client.force_login(user)

    response = client.post(
        reverse("annotate:project_create"),
        {"name": "Editorials", "slug": "editorials", "description": "", "preset": "webis"},
    )

    project = Project.objects.get(slug="editorials")
    assert response["Location"] == reverse("annotate:project_detail", args=["editorials"])
    assert Membership.objects.get(project=project).role == Role.MANAGER
    assert project.labels.count() == 6


def test_creating_a_project_with_a_taken_slug_is_refused_with_422(client, project, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)

    response = client.post(reverse("annotate:project_create"), {"name": "Again", "slug": project.slug, "preset": "aae"})

    assert response.status_code == 422
    assert response.context["form"].errors == {"slug": ["Project with this Slug already exists."]}
    assert Project.objects.count() == 1


def test_manager_adds_a_member_with_htmx_and_gets_the_member_list_partial(client, project, manager):
    make_user("newcomer")
    client.force_login(manager)

    response = client.post(
        reverse("annotate:member_list", args=[project.slug]),
        {"username": "newcomer", "role": "annotator"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="members">')
    assert project.memberships.get(user__username="newcomer").role == Role.ANNOTATOR


def test_adding_an_unknown_username_is_refused_and_changes_nothing(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("annotate:member_list", args=[project.slug]),
        {"username": "nobody", "role": "annotator"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"username": ["There is no active account named “nobody”."]}
    assert project.memberships.count() == 1


def test_label_with_a_key_already_in_use_is_refused(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("annotate:scheme_entry_create", args=[project.slug, "label"]),
        {"name": "Evidence", "key": "c", "colour": "#123456", "order": 4, "attributes": "{}"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"__all__": ["Label with this Project and Key already exists."]}
    assert not Label.objects.filter(name="Evidence").exists()


def test_manager_edits_a_label_and_the_change_is_recorded(client, project, manager):
    claim = project.labels.get(name="Claim")
    client.force_login(manager)

    response = client.post(
        reverse("annotate:scheme_entry_edit", args=[project.slug, "label", claim.pk]),
        {
            "name": "Claim",
            "description": claim.description,
            "key": "k",
            "colour": claim.colour,
            "order": 1,
            "attributes": '{"stance": ["For", "Against"]}',
        },
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.key == "k"
    change = Change.objects.get(action="label.save")
    assert (change.before, change.after) == ({"key": "c"}, {"key": "k"})


def test_label_attributes_must_be_a_mapping_of_value_lists(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("annotate:scheme_entry_create", args=[project.slug, "label"]),
        {"name": "Evidence", "key": "e", "colour": "#123456", "order": 4, "attributes": '["For"]'},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["attributes"] == [
        'Use {"name": ["value", ...]}, e.g. {"stance": ["For", "Against"]}.'
    ]


def grid(client, project, *, headers=None):
    """The assignment page's grid form, parsed as the browser has it."""
    response = client.get(reverse("annotate:assignment", args=[project.slug]), headers=headers or {})
    return lxml.html.fromstring(response.content.decode()).get_element_by_id("assignment-grid")


def tick(form, article, annotator, *, on=True):
    (box,) = form.xpath(f'.//input[@aria-label="Assign “{article.title}” to {annotator.username}"]')
    assert box.get("data-cell") == f"{article.pk}:{annotator.pk}"
    box.checked = on


def post_grid(client, form, *, htmx=True):
    """Post the form as the browser does: its action, its successful controls, and
    `changes` filled as assignment.js fills it (the cells whose tick differs from the
    saved one)."""
    changed = [
        f"{box.get('data-cell')}:{int(box.checked)}"
        for box in form.xpath(".//input[@data-cell]")
        if box.checked != (box.get("data-saved") == "1")
    ]
    data = dict_of_lists(form) | {"changes": [" ".join(changed)]}
    return client.post(form.get("action"), data, headers={"HX-Request": "true"} if htmx else {})


def dict_of_lists(form):
    data = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def assigned(project):
    return sorted(Layer.objects.filter(article__project=project).values_list("article__title", "annotator__username"))


def messages_of(response):
    return [li.text_content() for li in lxml.html.fromstring(response.content.decode()).find_class("message")]


def test_the_grid_saves_every_tick_of_every_row_at_once(client, project, manager, annotator, annotator2):
    first, second = make_article(project, title="First"), make_article(project, title="Second")
    client.force_login(manager)
    form = grid(client, project)
    tick(form, first, annotator)
    tick(form, second, annotator2)

    response = post_grid(client, form)

    assert response.status_code == 200
    assert assigned(project) == [("First", "ann_annotator"), ("Second", "ben_annotator")]
    assert messages_of(response) == ["Saved: 2 assignments added, 0 removed."]
    assert list(Change.objects.filter(action="article.assign").order_by("target").values_list("target", "after")) == [
        (f"article:{first.pk}", {"annotators": [annotator.pk]}),
        (f"article:{second.pk}", {"annotators": [annotator2.pk]}),
    ]


def test_the_grid_counts_what_it_added_and_removed(client, project, manager, annotator, annotator2):
    first = make_article(project, title="First")
    projects.assign(article=first, annotators=[annotator], by=manager)
    client.force_login(manager)
    form = grid(client, project)
    tick(form, first, annotator, on=False)

    response = post_grid(client, form)

    assert (response.status_code, assigned(project)) == (200, [])
    assert messages_of(response) == ["Saved: 0 assignments added, 1 removed."]


def test_saving_an_unchanged_grid_says_there_was_nothing_to_save(client, project, manager, article):
    client.force_login(manager)

    response = post_grid(client, grid(client, project))

    assert messages_of(response) == ["Nothing to save: the assignment was already so."]
    assert Change.objects.filter(action="article.assign").count() == 1  # the fixture's own


def test_the_grid_saves_nothing_when_one_row_would_take_away_work_and_keeps_the_ticks_on_the_page(
    client, project, manager, annotator, annotator2
):
    started, other = make_article(project, title="Started"), make_article(project, title="Other")
    projects.assign(article=started, annotators=[annotator], by=manager)
    layer = Layer.objects.select_related("article__project").get(article=started)
    units.create_unit(layer=layer, label=project.labels.get(name="Claim"), spans=[(0, 6)], user=annotator)
    client.force_login(manager)
    form = grid(client, project)
    tick(form, started, annotator, on=False)
    tick(form, other, annotator2)

    response = post_grid(client, form)

    assert response.status_code == 422
    assert assigned(project) == [("Started", "ann_annotator")]
    assert messages_of(response) == [
        "Nothing was saved. ann_annotator already started “Started”; their work cannot be unassigned."
    ]
    # The page shows the ticks the save tried (checked) beside what is saved (data-saved),
    # so that the next save sends the same changes less the one corrected.
    answer = lxml.html.fromstring(response.content.decode()).get_element_by_id("assignment-grid")
    assert {
        box.get("data-cell"): (box.checked, box.get("data-saved")) for box in answer.xpath(".//input[@data-cell]")
    } == {
        f"{started.pk}:{annotator.pk}": (False, "1"),
        f"{started.pk}:{annotator2.pk}": (False, "0"),
        f"{other.pk}:{annotator.pk}": (False, "0"),
        f"{other.pk}:{annotator2.pk}": (True, "0"),
    }


def test_the_grid_refuses_a_user_who_is_not_an_annotator_and_saves_nothing(
    client, project, manager, curator, annotator
):
    article = make_article(project, title="First")
    client.force_login(manager)
    form = grid(client, project)
    tick(form, article, annotator)
    data = dict_of_lists(form) | {"changes": [f"{article.pk}:{annotator.pk}:1 {article.pk}:{curator.pk}:1"]}

    response = client.post(form.get("action"), data, headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert messages_of(response) == [
        f"Nothing was saved. Only annotators of this project can be assigned (user ids [{curator.pk}])."
    ]
    assert assigned(project) == []


def test_the_grid_refuses_an_article_of_another_project(client, project, manager, annotator, outsider):
    foreign = make_article(outsider.memberships.get().project)
    make_article(project)
    client.force_login(manager)
    data = dict_of_lists(grid(client, project)) | {"changes": [f"{foreign.pk}:{annotator.pk}:1"]}

    response = client.post(reverse("annotate:assignment_save", args=[project.slug]), data)

    assert response.status_code == 302
    assert messages_of(client.get(response["Location"])) == [
        f"Nothing was saved. No such article in this project (ids [{foreign.pk}])."
    ]
    assert Layer.objects.filter(annotator=annotator).count() == 0


def test_the_grid_works_without_htmx_and_tells_what_it_saved(client, project, manager, annotator):
    article = make_article(project, title="First")
    client.force_login(manager)
    form = grid(client, project)
    tick(form, article, annotator)

    response = post_grid(client, form, htmx=False)

    assert (response.status_code, response["Location"]) == (302, reverse("annotate:assignment", args=[project.slug]))
    assert messages_of(client.get(response["Location"])) == ["Saved: 1 assignment added, 0 removed."]
    assert assigned(project) == [("First", "ann_annotator")]


def test_spread_evenly_from_the_assignment_page(client, project, manager, annotator, annotator2):
    for _ in range(4):
        make_article(project)
    client.force_login(manager)

    response = client.post(reverse("annotate:assignment_spread", args=[project.slug]), {"per_article": 1})

    assert response.status_code == 302
    assert sorted(Layer.objects.values_list("annotator__username", flat=True)) == [
        "ann_annotator",
        "ann_annotator",
        "ben_annotator",
        "ben_annotator",
    ]


def test_spread_evenly_asking_for_too_many_annotators_says_why_with_422(client, project, manager, annotator):
    make_article(project)
    client.force_login(manager)

    response = client.post(
        reverse("annotate:assignment_spread", args=[project.slug]), {"per_article": 3}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    assert "The project has 1 annotators; it cannot give each article 3." in response.content.decode()
    assert Layer.objects.count() == 0


def test_next_article_goes_to_the_in_progress_one_before_unstarted_ones(client, project, manager, annotator):
    first, second = make_article(project), make_article(project)
    for article in (first, second):
        projects.assign(article=article, annotators=[annotator], by=manager)
    Layer.objects.filter(article=second).update(status=Layer.Status.IN_PROGRESS)
    client.force_login(annotator)

    response = client.get(reverse("annotate:queue_next", args=[project.slug]))

    assert response["Location"] == second.get_absolute_url()


def test_next_article_from_an_article_skips_that_article(client, project, manager, annotator):
    first, second = make_article(project), make_article(project)
    for article in (first, second):
        projects.assign(article=article, annotators=[annotator], by=manager)
    Layer.objects.filter(article=first).update(status=Layer.Status.IN_PROGRESS)
    client.force_login(annotator)

    response = client.get(reverse("annotate:queue_next", args=[project.slug]), {"after": first.pk})

    assert response["Location"] == second.get_absolute_url()


def test_next_article_with_everything_finished_says_the_queue_is_empty(client, project, article, annotator):
    Layer.objects.filter(annotator=annotator).update(status=Layer.Status.FINISHED)
    client.force_login(annotator)

    response = client.get(reverse("annotate:queue_next", args=[project.slug]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Your queue is empty: every article assigned to you is finished."
    ]


def test_article_page_shows_title_text_and_layers_to_a_curator(client, project, article, curator):
    client.force_login(curator)

    response = client.get(article.get_absolute_url())

    assert response.context["article"] == article
    assert article.text in response.content.decode()
    assert [layer.owner_name for layer in response.context["layers"]] == ["ann_annotator", "ben_annotator"]


def test_manager_adds_an_article_and_its_text_is_normalised(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("annotate:article_create", args=[project.slug]),
        {"title": "Cafe\u0301s", "text": "Cafe\u0301s are good.\r\nReally.", "author": "", "outlet": "", "url": ""},
    )

    article = project.articles.get()
    assert response["Location"] == article.get_absolute_url()
    assert article.text == "Caf\u00e9s are good.\nReally."


def test_scheme_css_gives_each_label_its_colour(client, project, annotator):
    client.force_login(annotator)
    claim = project.labels.get(name="Claim")

    response = client.get(reverse("annotate:scheme_css", args=[project.slug]))

    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert f".label-{claim.pk} {{ --colour: #0072b2; --on-colour: #ffffff; }}" in response.content.decode().splitlines()


def test_project_settings_are_saved(client, project, manager):
    client.force_login(manager)

    response = client.post(
        reverse("annotate:project_settings", args=[project.slug]),
        {"name": project.name, "annotators_per_article": 3, "snapping": "on"},
    )

    project.refresh_from_db()
    assert response.status_code == 302
    assert (project.annotators_per_article, project.blind, project.snapping) == (3, False, True)


# Query counts stay the same whatever the amount of data.


@pytest.mark.parametrize("n", [1, 20])
def test_project_list_runs_a_fixed_number_of_queries(client, db, django_assert_num_queries, n):
    user = make_user()
    user.is_staff = True  # may create projects, without the permission queries
    user.save()
    for _ in range(n):
        project = make_project(manager=user)
        make_article(project)
    client.force_login(user)

    with django_assert_num_queries(4):
        response = client.get(reverse("annotate:project_list"))

    assert len(response.context["rows"]) == n


@pytest.mark.parametrize("n", [1, 60])
def test_article_list_runs_a_fixed_number_of_queries(client, project, manager, annotator, django_assert_num_queries, n):
    for _ in range(n):
        projects.assign(article=make_article(project), annotators=[annotator], by=manager)
    client.force_login(annotator)

    # session, user, membership, labels, the page, the count, the page's layers
    with django_assert_num_queries(7):
        response = client.get(reverse("annotate:article_list", args=[project.slug]))

    assert [len(row.layers) for row in response.context["listing"].rows] == [1] * min(n, 50)


@pytest.mark.parametrize("n", [1, 60])
def test_assignment_page_runs_a_fixed_number_of_queries(
    client, project, manager, annotator, django_assert_num_queries, n
):
    for _ in range(n):
        make_article(project)
    client.force_login(manager)

    with django_assert_num_queries(8):
        response = client.get(reverse("annotate:assignment", args=[project.slug]))

    assert len(response.context["rows"]) == min(n, 50)


@pytest.mark.parametrize("n", [1, 50])
def test_saving_the_assignment_grid_runs_a_fixed_number_of_queries(
    client, project, manager, annotator, annotator2, django_assert_num_queries, n
):
    articles = [make_article(project) for _ in range(n)]
    for article in articles:
        projects.assign(article=article, annotators=[annotator], by=manager)
    client.force_login(manager)
    form = grid(client, project)
    for article in articles:
        tick(form, article, annotator, on=False)
        tick(form, article, annotator2)

    # (Two of them delete the unassigned layers' suggestions and the record of what made
    # them, one statement each however many layers go.)
    with django_assert_num_queries(24):
        response = post_grid(client, form)

    assert response.status_code == 200
    assert messages_of(response) == [f"Saved: {n} assignment{pluralize(n)} added, {n} removed."]
