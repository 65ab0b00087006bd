"""The login front door: what a locked-out login is told."""

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
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
