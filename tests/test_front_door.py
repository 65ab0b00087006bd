"""The front door: failed logins are throttled, passwords can be changed, project
creation is for those the settings name, and the member form gives nothing away."""

from datetime import timedelta

import lxml.html
import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from annotate.models import Project
from tests.factories import make_user

PASSWORD = "secret-pass-1"


def log_in(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_five_times(client, username, address="127.0.0.1"):
    for _ in range(5):
        log_in(client, username, "wrong-password", address)


def alert(response) -> str:
    return lxml.html.fromstring(response.content.decode()).xpath("string(//main//*[@role='alert'])")


# Failed logins


def test_a_wrong_password_is_answered_with_the_login_form_and_its_message(client, db):
    make_user("ada")

    response = log_in(client, "ada", "wrong-password")

    assert response.status_code == 200
    assert alert(response).startswith("Please enter a correct username and password.")


def test_after_five_wrong_passwords_the_right_one_is_refused_with_the_time_to_try_again(client, db):
    make_user("ada")
    fail_five_times(client, "ada")

    response = log_in(client, "ada", PASSWORD)

    until = AccessAttempt.objects.get(username="ada").attempt_time + timedelta(minutes=15)
    assert response.status_code == 429
    assert alert(response) == (
        "Logins with this username from your address are locked after too many failed tries. "
        f"Try again after {until:%H:%M} UTC (in 14\xa0minutes)."
    )
    assert client.get(reverse("annotate:project_list")).status_code == 302


def test_the_lockout_page_names_the_instant_for_the_browser_to_show_in_its_own_zone(client, db):
    """The time is written in UTC, the zone named, inside a <time> naming the instant,
    which static/annotate/local-time.js (loaded from a file: the CSP allows no inline
    script) rewrites in the viewer's zone; tests/e2e/test_first_sight.py sees it do so."""
    make_user("ada")
    fail_five_times(client, "ada")

    page = lxml.html.fromstring(log_in(client, "ada", PASSWORD).content.decode())

    until = AccessAttempt.objects.get(username="ada").attempt_time + timedelta(minutes=15)
    [shown] = page.xpath("//main//*[@role='alert']/time")
    assert (shown.get("datetime"), shown.get("data-local"), shown.text) == (
        f"{until:%Y-%m-%dT%H:%M:%S}Z",
        "time",
        f"{until:%H:%M} UTC",
    )
    assert [src.rsplit("/", 1)[-1] for src in page.xpath("//head/script/@src")] == [
        "htmx.min.js",
        "local-time.js",
        "request-failures.js",
    ]
    assert not page.xpath("//script[not(@src)]")


def test_the_lockout_page_does_not_tell_whether_the_username_exists(client, db):
    make_user("ada")
    fail_five_times(client, "ada")
    fail_five_times(client, "nobody-by-this-name")

    real, unknown = log_in(client, "ada", PASSWORD), log_in(client, "nobody-by-this-name", PASSWORD)

    assert (unknown.status_code, alert(unknown)) == (real.status_code, alert(real))


def test_the_fifth_wrong_password_already_gets_the_lockout_page(client, db):
    make_user("ada")
    for _ in range(4):
        assert log_in(client, "ada", "wrong-password").status_code == 200

    assert log_in(client, "ada", "wrong-password").status_code == 429


def test_another_account_from_the_same_address_is_not_locked(client, db):
    make_user("ada")
    make_user("bea")
    fail_five_times(client, "ada")

    response = log_in(client, "bea", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, reverse("annotate:project_list"))


def test_the_same_account_from_another_address_is_not_locked(client, db):
    make_user("ada")
    fail_five_times(client, "ada", address="203.0.113.9")

    response = log_in(client, "ada", PASSWORD, address="198.51.100.7")

    assert response.status_code == 302


def test_after_the_cool_off_the_right_password_logs_in(client, db):
    make_user("ada")
    fail_five_times(client, "ada")
    attempt = AccessAttempt.objects.get(username="ada")
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - timedelta(minutes=15, seconds=1)
    )

    response = log_in(client, "ada", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, reverse("annotate:project_list"))


def test_a_login_before_the_limit_clears_the_failures(client, db):
    make_user("ada")
    for _ in range(4):
        log_in(client, "ada", "wrong-password")

    log_in(client, "ada", PASSWORD)

    assert AccessAttempt.objects.filter(username="ada").count() == 0


# Usernames in any case


def logged_in_as(client) -> str:
    """The username the session of `client` is logged in as ("" when it is not)."""
    response = client.get(reverse("annotate:project_list"))
    return "" if response.status_code == 302 else response.context["user"].get_username()


@pytest.mark.parametrize("typed", ["ada", "Ada", "ADA", "aDa"])
def test_a_username_logs_in_in_any_case_as_the_one_account(client, db, typed):
    make_user("ada")

    response = log_in(client, typed, PASSWORD)

    assert (response.status_code, response["Location"]) == (302, reverse("annotate:project_list"))
    assert logged_in_as(client) == "ada"


def test_a_username_in_another_case_with_a_wrong_password_is_refused(client, db):
    make_user("ada")

    response = log_in(client, "ADA", "wrong-password")

    assert (response.status_code, alert(response)[:45]) == (200, "Please enter a correct username and password.")
    assert logged_in_as(client) == ""


def test_failures_in_every_case_of_a_username_count_together_and_lock_it_in_every_case(client, db):
    """Five tries in all, not five for each way of writing the name."""
    make_user("ada")
    for typed in ("ada", "Ada", "ADA", "aDa", "adA"):
        log_in(client, typed, "wrong-password")

    responses = [log_in(client, typed, PASSWORD) for typed in ("ada", "AdA")]

    assert [response.status_code for response in responses] == [429, 429]
    assert logged_in_as(client) == ""
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [("ada", 7)]


def test_an_account_made_before_with_a_name_differing_only_in_case_logs_in_spelled_exactly(client, db):
    """Accounts from before usernames were unique in any case (migration 0018 leaves its
    index out then): each logs in spelled exactly; a spelling of neither matches none."""
    from django.db import connection

    with connection.cursor() as cursor:  # as a database migrated over such accounts is
        cursor.execute("DROP INDEX auth_user_username_upper_uniq")
    make_user("dana")
    make_user("Dana", password="other-pass-2")

    exact = [log_in(Client(), "Dana", "other-pass-2").status_code, log_in(Client(), "dana", PASSWORD).status_code]
    neither = log_in(client, "DANA", PASSWORD)

    assert exact == [302, 302]
    assert (neither.status_code, logged_in_as(client)) == (200, "")


def test_usernames_are_unique_in_any_case_in_the_database(db):
    make_user("ada")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ADA")
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]


def test_the_admin_refuses_to_rename_an_account_to_another_ones_name_in_another_case(admin_client, db):
    ada, bea = make_user("ada"), make_user("bea")
    url = reverse("admin:auth_user_change", args=[bea.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}

    response = admin_client.post(
        url, {**data, "username": "ADA", "date_joined_0": "2025-01-01", "date_joined_1": "00:00"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [
        "Another account has this username in another case."
    ]
    assert sorted(User.objects.values_list("username", flat=True)) == ["ada", "admin", "bea"]
    del ada


# Changing one's password


def test_the_top_bar_links_to_the_password_change_page(client, db):
    client.force_login(make_user("ada"))

    page = lxml.html.fromstring(client.get(reverse("annotate:project_list")).content.decode())

    assert page.xpath("//header//a[text()='Password']/@href") == [reverse("password_change")]


def test_a_user_changes_their_password_and_logs_in_with_the_new_one(client, db):
    client.force_login(make_user("ada"))

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "harbour-lantern-42", "new_password2": "harbour-lantern-42"},
    )

    assert (response.status_code, response["Location"]) == (302, reverse("password_change_done"))
    done = lxml.html.fromstring(client.get(response["Location"]).content.decode())
    assert done.xpath("string(//main//section//*[@role='status'])") == (
        "Your password has been changed. Your other sessions have been logged out."
    )
    client.post(reverse("logout"))
    assert log_in(client, "ada", PASSWORD).status_code == 200
    assert log_in(client, "ada", "harbour-lantern-42").status_code == 302


def test_a_password_change_with_the_wrong_old_password_is_refused(client, db):
    user = make_user("ada")
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": "harbour-lantern-42", "new_password2": "harbour-lantern-42"},
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "old_password": ["Your old password was entered incorrectly. Please enter it again."]
    }
    assert user.check_password(PASSWORD)


def test_the_password_change_page_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get(reverse("password_change"))

    assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next=/accounts/password/")


def test_the_password_change_page_refuses_delete(client, db):
    client.force_login(make_user("ada"))

    assert client.delete(reverse("password_change")).status_code == 405


# Who may create projects


def creator(kind: str):
    user = make_user(f"user-{kind}")
    if kind == "staff":
        user.is_staff = True
        user.save()
    elif kind == "permission":
        user.user_permissions.add(Permission.objects.get(content_type__app_label="annotate", codename="add_project"))
    return user


@pytest.mark.parametrize(("kind", "status"), [("staff", 302), ("permission", 302), ("plain", 403)])
def test_by_default_staff_and_holders_of_the_permission_create_projects(client, db, kind, status):
    client.force_login(creator(kind))

    response = client.post(
        reverse("annotate:project_create"), {"name": "Editorials", "slug": "editorials", "preset": "aae"}
    )

    assert response.status_code == status
    assert Project.objects.filter(slug="editorials").exists() == (status == 302)


@pytest.mark.parametrize(("kind", "shown"), [("staff", True), ("permission", True), ("plain", False)])
def test_the_project_list_offers_new_project_only_to_those_who_may_create_one(client, db, kind, shown):
    client.force_login(creator(kind))

    page = lxml.html.fromstring(client.get(reverse("annotate:project_list")).content.decode())

    assert page.xpath("//main//a/@href") == ([reverse("annotate:project_create")] if shown else [])


def test_a_plain_user_is_told_why_they_cannot_create_a_project(client, db):
    client.force_login(creator("plain"))

    response = client.get(reverse("annotate:project_create"))

    page = lxml.html.fromstring(response.content.decode())
    assert (response.status_code, page.xpath("string(//main//p[1])")) == (
        403,
        "Only staff may create projects here. Ask an administrator to create one for you.",
    )


def test_when_everyone_may_create_projects_a_plain_user_does(client, db, settings):
    settings.ANNOTATE_PROJECT_CREATORS = "everyone"
    client.force_login(creator("plain"))

    response = client.post(
        reverse("annotate:project_create"), {"name": "Editorials", "slug": "editorials", "preset": "aae"}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("annotate:project_detail", args=["editorials"]),
    )


# The member form


@pytest.mark.parametrize("username", ["nobody", "sleeper"])
def test_an_unknown_and_an_inactive_account_get_the_same_answer(client, project, manager, username):
    sleeper = make_user("sleeper")
    sleeper.is_active = False
    sleeper.save()
    client.force_login(manager)

    response = client.post(
        reverse("annotate:member_list", args=[project.slug]),
        {"username": username, "role": "annotator"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"username": [f"There is no active account named “{username}”."]}
    assert project.memberships.count() == 1


def test_the_member_form_finds_an_account_by_its_username_in_any_case(client, project, manager):
    newcomer = make_user("newcomer")
    client.force_login(manager)

    response = client.post(
        reverse("annotate:member_list", args=[project.slug]),
        {"username": "NewComer", "role": "annotator"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert project.memberships.filter(user=newcomer, role="annotator").exists()


def test_the_member_form_lists_no_accounts(client, project, manager):
    make_user("newcomer")
    client.force_login(manager)

    page = lxml.html.fromstring(client.get(reverse("annotate:member_list", args=[project.slug])).content.decode())

    assert page.xpath("//form//input[@name='username']/@type") == ["text"]
    assert page.xpath("//option[text()='newcomer'] | //datalist") == []
