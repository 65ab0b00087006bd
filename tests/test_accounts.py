"""Accounts from the Members page, the way a browser goes: invite links, accounts a
manager creates, deactivation and reactivation, password links, and email when it is
set up. Every link is read from the page that showed it, never from the database."""

from datetime import timedelta
from urllib.parse import urlsplit

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate import accounts, projects
from annotate.models import ArgumentUnit, Change, Invite, Layer, Membership, Role
from tests.factories import make_article

STRONG = "violet-harbour-42"


def page_of(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content.decode())


def messages_of(response) -> list[str]:
    return [item.text_content() for item in page_of(response).xpath("//ul[@id='messages']/li")]


def shown_link(response) -> str:
    """The path of the link the Members page shows once (the copy field's value)."""
    [value] = page_of(response).xpath("//input[@id='shown-link']/@value")
    return urlsplit(value).path


def action_of(response, button_label: str) -> str:
    """The address the form of the button named `button_label` posts to."""
    [form] = page_of(response).xpath(f"//form[.//button[@aria-label='{button_label}' or text()='{button_label}']]")
    return form.get("action")


def members_url(project) -> str:
    return reverse("annotate:member_list", args=[project.slug])


def make_invite_link(client, project, *, role="annotator", email="", note="") -> str:
    page = client.get(members_url(project))
    response = client.post(
        action_of(page, "Make invite link"), {"invite-role": role, "invite-email": email, "invite-note": note}
    )
    assert response.status_code == 200
    return shown_link(response)


def accept(client, link, username, password=STRONG, password2=None):
    return client.post(link, {"username": username, "password1": password, "password2": password2 or password})


@pytest.fixture
def managing(client, manager, project):
    client.force_login(manager)
    return client


# Invite links


def test_an_invitee_sets_a_password_is_logged_in_and_lands_on_the_project(managing, project, manager):
    link = make_invite_link(managing, project, role="annotator", note="Dana")
    invitee = Client()

    invite_page = invitee.get(link)
    joined = accept(invitee, link, "dana")
    project_page = invitee.get(joined["Location"])

    assert (invite_page.status_code, page_of(invite_page).xpath("string(//main//p[@class='lead'])")) == (
        200,
        f"You are invited to join {project.name} as annotator.",
    )
    assert (joined.status_code, joined["Location"]) == (302, project.get_absolute_url())
    assert project_page.status_code == 200
    assert messages_of(project_page) == [f"Welcome, dana: you have joined {project.name} as annotator."]
    dana = User.objects.get(username="dana")
    assert project_page.wsgi_request.user == dana
    assert list(Membership.objects.filter(user=dana).values_list("project", "role", "active")) == [
        (project.pk, "annotator", True)
    ]
    assert list(Change.objects.filter(action__startswith="invite.").values_list("action", "user")) == [
        ("invite.accept", dana.pk),
        ("invite.create", manager.pk),
    ]


def test_the_invite_link_is_shown_once_and_only_its_hash_is_stored(managing, project):
    link = make_invite_link(managing, project)
    token = link.rstrip("/").rsplit("/", 1)[1]

    again = managing.get(members_url(project))

    assert page_of(again).xpath("//input[@id='shown-link']") == []
    assert list(Invite.objects.values_list("token_hash", flat=True)) == [accounts.token_hash(token)]
    assert token not in again.content.decode()


def test_an_invite_used_once_is_refused_the_second_time_and_changes_nothing(managing, project):
    link = make_invite_link(managing, project)
    accept(Client(), link, "dana")

    reused = accept(Client(), link, "eve")

    assert (reused.status_code, page_of(reused).xpath("string(//p[@role='alert'])")) == (
        410,
        "This invite has already been used. If that was not you, ask the project's manager for a new one.",
    )
    assert list(User.objects.filter(username__in=["dana", "eve"]).values_list("username", flat=True)) == ["dana"]
    assert Membership.objects.filter(project=project, user__username="eve").exists() is False


def test_a_second_tab_sending_the_same_invite_is_told_it_was_used_and_nothing_changes(managing, project):
    link = make_invite_link(managing, project)
    first_tab, second_tab = Client(), Client()
    assert (first_tab.get(link).status_code, second_tab.get(link).status_code) == (200, 200)

    accept(first_tab, link, "dana")
    late = accept(second_tab, link, "dana2")

    assert late.status_code == 410
    assert page_of(late).xpath("string(//p[@role='alert'])").startswith("This invite has already been used.")
    assert project.memberships.filter(user__username__startswith="dana").count() == 1
    assert User.objects.filter(username="dana2").exists() is False


def test_a_second_tab_of_one_browser_whose_token_changed_at_the_log_in_is_told_why_and_nothing_changes(
    managing, project
):
    """Two tabs of one browser share their cookies: the first tab's log-in changes the
    CSRF token the second tab's form still carries."""
    link = make_invite_link(managing, project)
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(link)
    token = page_of(form).xpath("string(//input[@name='csrfmiddlewaretoken']/@value)")
    fields = {"username": "erin", "password1": STRONG, "password2": STRONG, "csrfmiddlewaretoken": token}
    assert browser.post(link, fields).status_code == 302  # the first tab: joined, logged in
    late = browser.post(link, fields | {"username": "erin2"})  # the second tab's form, its old token

    assert late.status_code == 403
    assert page_of(late).xpath("string(//section//p[1])") == (
        "This form was sent from a page opened before you last logged in or out (perhaps in another tab), "
        "so nothing was changed. Reload the page and try again."
    )
    assert User.objects.filter(username="erin2").exists() is False
    assert project.memberships.filter(user__username__startswith="erin").count() == 1


def test_an_expired_invite_is_refused(managing, project):
    link = make_invite_link(managing, project)
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # a week has passed

    opened = Client().get(link)
    sent = accept(Client(), link, "dana")

    assert [opened.status_code, sent.status_code] == [410, 410]
    assert page_of(sent).xpath("string(//p[@role='alert'])") == (
        "This invite has expired. Ask the project's manager for a new one."
    )
    assert User.objects.filter(username="dana").exists() is False


def test_an_invite_expires_after_the_configured_days(managing, project, settings):
    settings.ANNOTATE_INVITE_DAYS = 2
    before = timezone.now()

    make_invite_link(managing, project)

    expires_at = Invite.objects.get().expires_at
    assert before + timedelta(days=2) <= expires_at <= timezone.now() + timedelta(days=2)


def test_a_withdrawn_invite_is_refused_and_leaves_the_pending_list(managing, project):
    link = make_invite_link(managing, project, note="Dana")
    page = managing.get(members_url(project))

    withdrawn = managing.post(action_of(page, "Withdraw the invite for Dana"), follow=True)
    sent = accept(Client(), link, "dana")

    assert messages_of(withdrawn) == ["Invite withdrawn: its link no longer works."]
    assert page_of(withdrawn).xpath("string(//section[@id='members']/p[@class='empty'])") == (
        "No invite is waiting to be used."
    )
    assert (sent.status_code, page_of(sent).xpath("string(//p[@role='alert'])")) == (
        410,
        "This invite was withdrawn by the project's manager. Ask them for a new one.",
    )
    assert User.objects.filter(username="dana").exists() is False


def test_withdrawing_an_invite_twice_is_refused_with_a_message(managing, project):
    make_invite_link(managing, project, note="Dana")
    action = action_of(managing.get(members_url(project)), "Withdraw the invite for Dana")
    managing.post(action, follow=True)

    again = managing.post(action)

    assert (again.status_code, messages_of(again)) == (422, ["This invite was already withdrawn."])


def test_a_forged_or_cut_invite_link_is_not_found_and_changes_nothing(managing, project):
    link = make_invite_link(managing, project)
    forged = link[:-6] + "AAAAA/"

    opened = Client().get(forged)
    sent = accept(Client(), forged, "mallory")

    assert [opened.status_code, sent.status_code] == [404, 404]
    assert page_of(sent).xpath("string(//p[@role='alert'])") == (
        "This invite link is not valid. Check that the whole link was copied, or ask the project's manager for a "
        "new one."
    )
    assert User.objects.filter(username="mallory").exists() is False
    assert Invite.objects.get().accepted_at is None


def test_a_taken_username_in_any_case_is_a_form_error_and_the_invite_stays_usable(managing, project, annotator):
    link = make_invite_link(managing, project)
    invitee = Client()

    taken = accept(invitee, link, "ANN_annotator")
    joined = accept(invitee, link, "ann2")

    assert taken.status_code == 422
    assert page_of(taken).xpath("//p[@class='error']/text()") == ["A user with that username already exists."]
    assert joined.status_code == 302
    assert User.objects.filter(username__iexact="ann_annotator").count() == 1


def test_a_weak_or_mistyped_password_is_a_form_error(managing, project):
    link = make_invite_link(managing, project)

    weak = accept(Client(), link, "dana", password="12345678")
    mistyped = accept(Client(), link, "dana", password=STRONG, password2=STRONG + "x")

    assert [weak.status_code, mistyped.status_code] == [422, 422]
    assert page_of(weak).xpath("//p[@class='error']/text()") == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert page_of(mistyped).xpath("//p[@class='error']/text()") == ["The two password fields didn’t match."]
    assert User.objects.filter(username="dana").exists() is False


def test_a_logged_in_person_joins_as_themselves(managing, project, outsider):
    link = make_invite_link(managing, project, role="curator")
    olga = Client()
    olga.force_login(outsider)

    page = olga.get(link)
    joined = olga.post(action_of(page, "Join as olga_outsider") or link)

    assert joined.status_code == 302
    assert project.memberships.get(user=outsider).role == "curator"


def test_a_member_opening_an_invite_to_their_own_project_is_told_so_and_it_stays_unused(managing, project, annotator):
    link = make_invite_link(managing, project, role="manager")
    ann = Client()
    ann.force_login(annotator)

    refused = ann.post(link)

    assert (refused.status_code, page_of(refused).xpath("string(//p[@role='alert'])")) == (
        409,
        f"You (ann_annotator) are already a member of {project.name}; the invite was left unused.",
    )
    assert project.memberships.get(user=annotator).role == "annotator"
    assert Invite.objects.get().accepted_at is None


def test_an_invite_form_with_no_role_is_refused_and_makes_nothing(managing, project):
    response = managing.post(reverse("annotate:invite_create", args=[project.slug]), {"invite-role": "owner"})

    assert (response.status_code, messages_of(response)) == (422, ["No invite was made: check the form."])
    assert Invite.objects.exists() is False


def test_the_pending_invites_show_when_they_expire_in_words(managing, project):
    make_invite_link(managing, project, note="Dana")

    page = managing.get(members_url(project))

    [row] = page_of(page).xpath("//h2[text()='Pending invites']/following::table[1]/tbody/tr")
    cells = [cell.text_content().strip() for cell in row.xpath("td")][:2]
    assert cells == ["Dana", "Annotator"]
    assert row.xpath("string(td[3])").strip().startswith("in 6\xa0days, 23\xa0hours")


# Accounts a manager creates, and password links


def set_password_through(link: str, password: str = STRONG) -> Client:
    """Open a password link as its owner would and set `password`; the browser it was done in."""
    owner = Client()
    form_page = owner.get(link, follow=True)
    assert form_page.status_code == 200
    done = owner.post(form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert (done.status_code, done["Location"]) == (302, reverse("password_reset_complete"))
    return owner


def test_a_created_account_has_no_password_until_its_link_is_used_then_logs_in(managing, project, manager):
    page = managing.get(members_url(project))

    made = managing.post(action_of(page, "Create account"), {"account-username": "farid", "account-role": "annotator"})
    link = shown_link(made)
    farid = User.objects.get(username="farid")
    had_password = farid.has_usable_password()
    set_password_through(link)
    browser = Client()
    logged_in = browser.post(reverse("login"), {"username": "farid", "password": STRONG})

    assert made.status_code == 200
    assert messages_of(made) == ["Account farid made. Password link for farid below. Copy it and send it to them."]
    assert had_password is False
    assert logged_in.status_code == 302
    assert browser.get(project.get_absolute_url()).status_code == 200
    assert list(Change.objects.filter(target=f"user:{farid.pk}").values_list("action", "user")) == [
        ("member.reset_link", manager.pk),
        ("member.create_account", manager.pk),
    ]


def test_creating_an_account_with_a_taken_username_is_refused(managing, project, annotator):
    response = managing.post(
        reverse("annotate:account_create", args=[project.slug]),
        {"account-username": "Ann_Annotator", "account-role": "annotator"},
    )

    assert response.status_code == 422
    assert page_of(response).xpath("//form[.//button[text()='Create account']]//p[@class='error']/text()") == [
        "The username “Ann_Annotator” is taken. Choose another, or add that account as a member."
    ]
    assert User.objects.filter(username__iexact="ann_annotator").count() == 1


def test_two_requests_for_one_username_in_two_cases_at_once_make_one_account(managing, project, annotator, monkeypatch):
    """The second of two requests that both passed the check (as at once: the check is
    made to see nothing) is refused by the database's index, with the same message, and
    nothing is written."""
    monkeypatch.setattr(accounts, "username_taken", lambda username: False)
    invite, token = accounts.create_invite(project=project, role="annotator", by=None)
    records = Change.objects.count()

    response = managing.post(
        reverse("annotate:account_create", args=[project.slug]),
        {"account-username": "ANN_annotator", "account-role": "annotator"},
    )
    with pytest.raises(accounts.AccountError, match="^The username “Ann_Annotator” is taken. Choose another.$"):
        accounts.accept_invite(token=token, username="Ann_Annotator", password=STRONG)

    assert response.status_code == 422
    assert messages_of(response) == [
        "The username “ANN_annotator” is taken. Choose another, or add that account as a member."
    ]
    assert User.objects.filter(username__iexact="ann_annotator").count() == 1
    assert project.memberships.count() == 2  # the manager and the annotator
    invite.refresh_from_db()
    assert (invite.accepted_at, Change.objects.count()) == (None, records)


def test_a_password_link_sets_a_new_password_and_works_only_once(managing, project, annotator):
    page = managing.get(members_url(project))

    given = managing.post(action_of(page, "Password link for ann_annotator"))
    link = shown_link(given)
    set_password_through(link, "new-harbour-77")
    browser = Client()
    old = browser.post(reverse("login"), {"username": "ann_annotator", "password": "secret-pass-1"})
    new = browser.post(reverse("login"), {"username": "ann_annotator", "password": "new-harbour-77"})
    reused = Client().get(link, follow=True)

    assert given.status_code == 200
    assert old.status_code == 200  # the login form again
    assert new.status_code == 302
    assert page_of(reused).xpath("string(//p[@role='alert'])") == (
        "This password link has already been used or has expired. Ask your project's manager for a new one."
    )


def test_a_password_link_is_refused_for_a_member_of_a_project_the_manager_does_not_manage(
    managing, project, annotator, outsider
):
    elsewhere = outsider.memberships.get().project
    projects.set_member(project=elsewhere, user=annotator, role=Role.ANNOTATOR, by=outsider)
    page = managing.get(members_url(project))

    refused = managing.post(action_of(page, "Password link for ann_annotator"))

    assert refused.status_code == 403
    assert messages_of(refused) == [
        "ann_annotator is also a member of projects you do not manage, so only an administrator can give them a "
        "password link. They can change their password themselves under Password."
    ]
    assert page_of(refused).xpath("//input[@id='shown-link']") == []
    assert Change.objects.filter(action="member.reset_link").exists() is False


def test_a_password_link_is_refused_for_a_staff_account(managing, project, annotator):
    annotator.is_staff = True
    annotator.save()
    page = managing.get(members_url(project))

    refused = managing.post(action_of(page, "Password link for ann_annotator"))

    assert (refused.status_code, messages_of(refused)) == (
        403,
        ["ann_annotator is an administrator's account: only an administrator can reset it."],
    )


# Email


def test_links_are_emailed_to_a_person_with_an_address_when_email_is_set_up(managing, project, annotator):
    annotator.email = "ann@example.org"
    annotator.save()
    page = managing.get(members_url(project))

    given = managing.post(action_of(page, "Password link for ann_annotator"))
    invited = managing.post(
        reverse("annotate:invite_create", args=[project.slug]),
        {"invite-role": "annotator", "invite-email": "dana@example.org"},
    )

    assert messages_of(given) == ["Password link for ann_annotator below. It was also emailed to ann@example.org."]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["ann@example.org"], f"Set your password for {project.name}"),
        (["dana@example.org"], f"Your invitation to {project.name}"),
    ]
    assert f"http://testserver{shown_link(given)}" in mail.outbox[0].body
    assert f"http://testserver{shown_link(invited)}" in mail.outbox[1].body


def test_no_email_is_sent_to_a_person_without_an_address(managing, project, annotator):
    page = managing.get(members_url(project))

    given = managing.post(action_of(page, "Password link for ann_annotator"))

    assert messages_of(given) == ["Password link for ann_annotator below. Copy it and send it to them."]
    assert mail.outbox == []


def test_no_email_is_sent_when_email_is_not_set_up(managing, project, settings):
    settings.EMAIL_BACKEND = accounts.DUMMY_EMAIL_BACKEND

    invited = managing.post(
        reverse("annotate:invite_create", args=[project.slug]),
        {"invite-role": "annotator", "invite-email": "dana@example.org"},
    )

    assert messages_of(invited) == ["Invite link made for a new annotator. Copy it and send it to them."]
    assert mail.outbox == []


# Deactivation


def test_a_deactivated_member_is_refused_everywhere_keeps_their_work_and_is_let_back_in(
    managing, project, annotator, layer, scheme
):
    page = managing.get(members_url(project))
    ann = Client()
    ann.force_login(annotator)
    workspace = reverse("annotate:layer_detail", args=[project.slug, layer.pk])
    add_unit = reverse("annotate:unit_create", args=[project.slug, layer.pk])
    unit = {"label": scheme["Claim"].pk, "start": 0, "end": 6, "revision": 0}

    deactivated = managing.post(action_of(page, "Deactivate ann_annotator"), follow=True)
    refused_page = ann.get(project.get_absolute_url())
    refused_workspace = ann.get(workspace)
    refused_change = ann.post(add_unit, unit, headers={"hx-request": "true"})
    listed = ann.get(reverse("annotate:project_list"))
    reactivated = managing.post(action_of(deactivated, "Reactivate ann_annotator"), follow=True)
    back = ann.get(workspace)

    assert messages_of(deactivated) == [
        "ann_annotator is deactivated: their work stays, and they can no longer open the project."
    ]
    for refused in (refused_page, refused_workspace):
        assert (refused.status_code, page_of(refused).xpath("string(//main//p[1])")) == (
            403,
            "Your membership of this project is deactivated.",
        )
    assert refused_change.status_code == 403
    assert ArgumentUnit.objects.filter(layer=layer).exists() is False
    assert (
        page_of(listed).xpath("string(//tbody/tr/td[1])").startswith(f"{project.name} Your membership is deactivated")
    )
    assert page_of(listed).xpath("//tbody//a") == []
    assert Layer.objects.filter(pk=layer.pk).exists()
    assert messages_of(reactivated) == ["ann_annotator is active again and can open the project."]
    assert back.status_code == 200
    assert ann.post(add_unit, unit, headers={"hx-request": "true"}).status_code == 200
    assert list(Change.objects.filter(action__in=["member.deactivate", "member.reactivate"]).values_list("action")) == [
        ("member.reactivate",),
        ("member.deactivate",),
    ]


def test_the_last_active_manager_cannot_be_deactivated(managing, project, manager):
    page = managing.get(members_url(project))

    refused = managing.post(action_of(page, "Deactivate mia_manager"))

    assert (refused.status_code, messages_of(refused)) == (
        422,
        ["mia_manager is the project's only active manager: a project needs one."],
    )
    assert project.memberships.get(user=manager).active is True


def test_deactivating_twice_from_two_tabs_is_refused_the_second_time(managing, project, annotator):
    action = action_of(managing.get(members_url(project)), "Deactivate ann_annotator")
    managing.post(action, follow=True)  # the first tab

    again = managing.post(action)

    assert (again.status_code, messages_of(again)) == (422, ["ann_annotator is already deactivated."])
    assert Change.objects.filter(action="member.deactivate").count() == 1


def test_a_deactivated_annotator_is_given_no_new_articles_but_keeps_and_counts_theirs(
    managing, project, manager, annotator, annotator2, article
):
    membership = project.memberships.get(user=annotator)
    accounts.set_active(membership=membership, active=False, by=manager)
    new_article = make_article(project)

    spread = managing.post(
        reverse("annotate:assignment_spread", args=[project.slug]), {"per_article": "1"}, follow=True
    )
    grid = managing.post(
        reverse("annotate:assignment_save", args=[project.slug]),
        {"changes": f"{new_article.pk}:{annotator.pk}:1"},
        headers={"hx-request": "true"},
    )
    page = managing.get(reverse("annotate:assignment", args=[project.slug]))

    assert messages_of(spread) == ["1 assignment added to the articles."]
    assert list(Layer.objects.filter(article=new_article).values_list("annotator__username", flat=True)) == [
        "ben_annotator"
    ]
    assert grid.status_code == 422
    assert messages_of(grid) == [
        "Nothing was saved. The membership of ann_annotator is deactivated: they cannot be given new articles."
    ]
    assert Layer.objects.filter(article=article, annotator=annotator).exists()
    assert Membership.objects.get(pk=membership.pk).layers_assigned == 1
    assert page_of(page).xpath(f"//input[@data-cell='{new_article.pk}:{annotator.pk}']/@disabled") == ["disabled"]
    assert page_of(page).xpath(f"//input[@data-cell='{article.pk}:{annotator.pk}']/@checked") == ["checked"]
    assert list(project.active_annotators().values_list("username", flat=True)) == ["ben_annotator"]
    assert list(project.annotators().values_list("username", flat=True)) == ["ann_annotator", "ben_annotator"]
