"""The login front door: whose address a login comes from, and what a locked-out login
is told."""

import ipaddress

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


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
