"""The front door: failed logins are throttled, passwords can be changed, project
creation is for those the settings name, and the member form gives nothing away."""

from datetime import timedelta

import lxml.html
import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
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


def test_the_member_form_lists_no_accounts(client, project, manager):
    make_user("newcomer")
    client.force_login(manager)

    page = lxml.html.fromstring(client.get(reverse("annotate:member_list", args=[project.slug])).content.decode())

    assert page.xpath("//form//input[@name='username']/@type") == ["text"]
    assert page.xpath("//option[text()='newcomer'] | //datalist") == []
