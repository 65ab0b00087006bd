"""The front door: whose address a login comes from, what a locked-out login is told,
and the invite links managers give (annotate/accounts.py)."""

import ipaddress
from datetime import timedelta

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from annotate import accounts
from annotate.api import tokens
from annotate.forms import ApiTokenForm, InviteAcceptForm

# How a refused invite is answered: no such invite (a forged or cut link), an invite
# that can no longer be used, and one that cannot be used by this person.
INVITE_REFUSAL_STATUS = {accounts.InviteUnknown: 404, accounts.InviteGone: 410}


def invite_refused(request: HttpRequest, error: accounts.AccountError) -> HttpResponse:
    status = INVITE_REFUSAL_STATUS.get(type(error), 409)
    return render(request, "registration/invite_refused.html", {"problem": str(error)}, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """An invite link: the project and role it gives, and a form for a new account (a
    logged-in person joins as themselves). Accepted, the invitee is logged in and lands
    on the project's page."""
    try:
        invite = accounts.usable_invite(token)
    except accounts.AccountError as error:
        return invite_refused(request, error)
    joining = request.user if request.user.is_authenticated else None
    form = None if joining else InviteAcceptForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            membership = accounts.accept_invite(
                token=token,
                user=joining,
                username=form.cleaned_data["username"] if form else "",
                password=form.cleaned_data["password1"] if form else "",
            )
        except (accounts.InviteUnknown, accounts.InviteGone) as error:
            return invite_refused(request, error)
        except accounts.AccountError as error:
            if form is None:
                return invite_refused(request, error)
            form.add_error("username", str(error))
        else:
            if joining is None:
                login(request, membership.user, backend="annotate.accounts.AnyCaseModelBackend")
            project = membership.project
            role = membership.get_role_display().lower()
            messages.success(request, f"Welcome, {membership.user.username}: you have joined {project.name} as {role}.")
            return redirect(project)
    context = {"invite": invite, "form": form}
    return render(request, "registration/invite_accept.html", context, status=422 if form and form.errors else 200)


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429 with the
    time the lock ends. The cool-off runs from the last failure, and a try during the
    lock counts as one (axes' default), so the time is counted from this very try."""
    username = get_client_username(request, credentials) or ""
    last_failure = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(last=Max("attempt_time"))["last"]
    until = (last_failure or timezone.now()) + get_cool_off(request)
    return render(request, "registration/locked_out.html", {"until": until}, status=429)


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username django-axes counts a login's failures under (AXES_USERNAME_CALLABLE):
    the one typed, case-folded. Logins find the account in any case
    (annotate.accounts.AnyCaseModelBackend), so counting "Ada" apart from "ADA" would give
    a guesser five tries for each way of writing the name."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username.casefold() if isinstance(username, str) else username


def client_address(request: HttpRequest) -> str | None:
    """The address of the client that sent `request` (django-axes' AXES_CLIENT_IP_CALLABLE).

    Without a proxy (ANNOTATE_TRUSTED_PROXY_COUNT = 0) that is the address the app was
    reached from. Behind N trusted proxies, each of which appends the address it was
    reached from to X-Forwarded-For, it is the N-th entry from the right: the one the
    farthest trusted proxy wrote. Entries to the left of it came from the client and are
    never believed, so a client cannot choose the address its failures count against. A
    request that did not pass all N proxies (too few entries) or whose entry is not an
    address counts against the address the app was reached from.
    """
    reached_from = request.META.get("REMOTE_ADDR")
    hops = settings.ANNOTATE_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if hops <= 0 or len(forwarded) < hops:
        return reached_from
    try:
        return str(ipaddress.ip_address(forwarded[-hops].strip()))
    except ValueError:
        return reached_from


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's answer to a form whose CSRF token no longer holds (CSRF_FAILURE_VIEW), in
    words a person can act on: most often a page left open in another tab while they
    logged in or out (which changes the token), and nothing was changed."""
    message = (
        "This form was sent from a page opened before you last logged in or out (perhaps in another tab), "
        "so nothing was changed. Reload the page and try again."
    )
    return render(request, "403.html", {"exception": message}, status=403)


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's personal API tokens (docs/api.md): listed with when each was made and
    last used; a new one is shown once, with a Copy button, and never again."""
    form = ApiTokenForm(request.POST or None)
    shown = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        token, shown = tokens.create_token(user=request.user, name=form.cleaned_data["name"], expires_at=expires_at)
        messages.success(request, f"Token “{token.name}” made. Copy it now: it is not shown again.")
        form = ApiTokenForm()
    context = {"form": form, "shown": shown, "tokens": request.user.api_tokens.all()}
    return render(request, "registration/api_tokens.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens.revoke_token(user=request.user, pk=pk)
    if token is None:
        raise Http404("No such token.")
    messages.success(request, f"Token “{token.name}” revoked: requests with it are refused from now on.")
    return redirect("annotate:api_tokens")
