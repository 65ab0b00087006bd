"""The Members page (managers): members and their roles, invite links, accounts made
here, deactivation and password links.

Every change is a POST. HTMX gets the page's members region again, with the change's
message; a plain POST is sent back to the page, except when the answer shows a link,
which is shown once, in the answer. A refusal is answered 422 with its message (403
for a password link the manager may not give), and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from annotate import access, accounts, projects
from annotate.forms import AccountCreateForm, InviteForm, MemberForm
from annotate.models import Membership
from annotate.views import render_partial


def members_answer(request: HttpRequest, membership: Membership, *, status: int = 200, **extra) -> HttpResponse:
    """The members page (to HTMX, its members region): the members, the pending invites
    and the forms, with `extra` in the context (a form with errors, a link to show)."""
    project = membership.project
    context = {
        "membership": membership,
        "project": project,
        "members": project.memberships.select_related("user").order_by("-active", "role", "user__username"),
        "invites": project.invites.pending().order_by("expires_at", "id"),
        "form": MemberForm(),
        "invite_form": InviteForm(),
        "account_form": AccountCreateForm(),
        "email_configured": accounts.email_configured(),
        **extra,
    }
    return render_partial(request, "annotate/member_list.html", "members", context, status=status)


def changed(request: HttpRequest, membership: Membership) -> HttpResponse:
    """After a change that shows no link: HTMX gets the region, a plain POST the page again."""
    if request.htmx:
        return members_answer(request, membership)
    return redirect("annotate:member_list", membership.project.slug)


def refused(request: HttpRequest, membership: Membership, error: Exception, *, status=422, **extra) -> HttpResponse:
    messages.error(request, str(error))
    return members_answer(request, membership, status=status, **extra)


@require_http_methods(["GET", "POST"])
@login_required
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The page, and "Add a member or change a role" (an existing account, by username)."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    if request.method == "GET":
        return members_answer(request, membership)
    form = MemberForm(request.POST)
    if not form.is_valid():
        return members_answer(request, membership, status=422, form=form)
    projects.set_member(
        project=membership.project, user=form.cleaned_data["username"], role=form.cleaned_data["role"], by=request.user
    )
    return members_answer(request, membership)


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    member = get_object_or_404(Membership.objects.select_related("user"), project=membership.project, pk=pk)
    try:
        projects.remove_member(membership=member, by=request.user)
        messages.success(request, f"{member.user.username} is no longer a member.")
    except projects.AssignmentError as error:
        messages.error(request, str(error))
    return redirect("annotate:member_list", slug)


def link_shown(request: HttpRequest, *, url: str, email: str, subject: str, body: str) -> str:
    """Email the link when there is an address and email is set up; what the page says
    about it."""
    if accounts.send_link(to=email, subject=subject, body=f"{body}\n\n{url}\n"):
        return f" It was also emailed to {email}."
    return " Copy it and send it to them."


@require_POST
@login_required
def invite_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Make an invite link, shown once (and emailed, when there is an address and email)."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "No invite was made: check the form.")
        return members_answer(request, membership, status=422, invite_form=form)
    data = form.cleaned_data
    invite, token = accounts.create_invite(
        project=membership.project, role=data["role"], email=data["email"], note=data["note"], by=request.user
    )
    url = request.build_absolute_uri(reverse("annotate:invite_accept", args=[token]))
    role = invite.get_role_display().lower()
    sent = link_shown(
        request,
        url=url,
        email=invite.email,
        subject=f"Your invitation to {membership.project.name}",
        body=f"{request.user.username} invites you to join {membership.project.name} as {role}. Open this link "
        "to choose a username and password (it works once):",
    )
    messages.success(request, f"Invite link made for a new {role}.{sent}")
    shown = {"url": url, "what": f"Invite link for a new {role}", "expires_at": invite.expires_at}
    return members_answer(request, membership, shown_link=shown)


@require_POST
@login_required
def invite_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    invite = get_object_or_404(membership.project.invites, pk=pk)
    try:
        accounts.revoke_invite(invite=invite, by=request.user)
    except accounts.AccountError as error:
        return refused(request, membership, error)
    messages.success(request, "Invite withdrawn: its link no longer works.")
    return changed(request, membership)


@require_POST
@login_required
def account_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Make an account with no password, a member at once, and show its set-password link."""
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    form = AccountCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "No account was made: check the form.")
        return members_answer(request, membership, status=422, account_form=form)
    data = form.cleaned_data
    try:
        member = accounts.create_account(
            project=membership.project,
            username=data["username"],
            email=data["email"],
            role=data["role"],
            by=request.user,
        )
    except accounts.AccountError as error:
        return refused(request, membership, error, account_form=form)
    return password_link_answer(request, membership, member, made=f"Account {member.user.username} made.")


@require_POST
@login_required
def member_reset_link(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    member = get_object_or_404(Membership.objects.select_related("user"), project=membership.project, pk=pk)
    return password_link_answer(request, membership, member)


def password_link_answer(request: HttpRequest, membership: Membership, member: Membership, made: str = ""):
    """A password link for `member`, shown once (and emailed, when they have an address
    and email is set up), or the refusal."""
    member.project = membership.project
    try:
        uidb64, token = accounts.password_link(membership=member, by=request.user)
    except accounts.AccountError as error:  # not this manager's to reset: forbidden, as the page says
        return refused(request, membership, error, status=403)
    user = member.user
    url = request.build_absolute_uri(reverse("password_reset_confirm", args=[uidb64, token]))
    sent = link_shown(
        request,
        url=url,
        email=user.email,
        subject=f"Set your password for {membership.project.name}",
        body=f"Open this link to set the password of your account {user.username} (it works once):",
    )
    messages.success(request, f"{made} Password link for {user.username} below.{sent}".strip())
    shown = {
        "url": url,
        "what": f"Password link for {user.username}",
        "expires_at": accounts.password_link_expires_at(),
    }
    return members_answer(request, membership, shown_link=shown)


@require_POST
@login_required
def member_deactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return set_active(request, slug, pk, active=False)


@require_POST
@login_required
def member_reactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return set_active(request, slug, pk, active=True)


def set_active(request: HttpRequest, slug: str, pk: int, *, active: bool) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug, roles=access.MANAGERS)
    member = get_object_or_404(Membership.objects.select_related("user"), project=membership.project, pk=pk)
    member.project = membership.project
    try:
        accounts.set_active(membership=member, active=active, by=request.user)
    except accounts.AccountError as error:
        return refused(request, membership, error)
    name = member.user.username
    if active:
        messages.success(request, f"{name} is active again and can open the project.")
    else:
        messages.success(request, f"{name} is deactivated: their work stays, and they can no longer open the project.")
    return changed(request, membership)
