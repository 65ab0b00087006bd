"""What every request goes through: the headers no view should have to remember, the
refusal of a body too large to read, the health check for load balancers and the
request log."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from annotate.datasets import upload_too_large
from annotate.logs import describe


class SecurityHeadersMiddleware:
    """A Permissions-Policy on every response; and `Cache-Control: private, no-store` on
    every response to a logged-in user (pages, partials, exports), so neither a shared
    cache nor the browser's disk keeps annotation data after logout. A view that already
    says more (the workspace's never_cache) keeps what it said, with these added."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.ANNOTATE_PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        # A versioned address that says `immutable` (the project's scheme.css: colours, no
        # annotation data) keeps its own caching: its address changes with its content.
        if user is not None and user.is_authenticated and "immutable" not in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response


# What a request may carry besides its files: the import form's fields and the
# multipart boundaries and headers of each part.
FORM_ALLOWANCE = 1024 * 1024


class RequestSizeLimitMiddleware:
    """Refuses a request whose body is larger than an import's files may be together
    (ANNOTATE_MAX_UPLOAD_BYTES, and a little for the form) from its Content-Length,
    before anything reads the body: Django would otherwise receive the whole of it,
    spooling its files to disk, before any view could say no. The answer is a 413 with
    the limit named; to an HTMX request, a message for the page's message list."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        if length > settings.ANNOTATE_MAX_UPLOAD_BYTES + FORM_ALLOWANCE:
            return request_too_large(request)
        return self.get_response(request)


def request_too_large(request: HttpRequest) -> HttpResponse:
    text = upload_too_large()
    if request.headers.get("HX-Request") == "true":
        response = render(request, "annotate/_messages.html", {"messages": [Problem(text)]}, status=413)
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "413.html", {"problem": text}, status=413)


@dataclass(frozen=True)
class Problem:
    """A message as _messages.html shows it, outside Django's messages framework."""

    text: str
    tags: str = "error"

    def __str__(self) -> str:
        return self.text


health_log = logging.getLogger("annotate.health")


class HealthCheckMiddleware:
    """Answers `GET /healthz` for load balancers, first of all the middleware: whether
    the database answers (`SELECT 1`): 200 `{"status": "ok"}`, else 503 naming the
    error's kind. Before the host check (a balancer asks by address), the redirect to
    HTTPS, the session and the request log (a balancer asks every few seconds).

    What it finds is logged when it changes, once per process: a WARNING on
    `annotate.health` when the database stops answering, and another when it answers
    again (at the same level, so a log read at WARNING shows where each outage ends);
    the probes between log nothing (Django's own request log would say ERROR for each
    503)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.database_answered = True

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != "/healthz":
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponseNotAllowed(["GET", "HEAD"])
        else:
            response = self.ask_database()
        patch_cache_control(response, no_store=True)
        return response

    def ask_database(self) -> JsonResponse:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as error:
            if self.database_answered:
                health_log.warning("The database does not answer (%s)", describe(error))
            self.database_answered = False
            response = JsonResponse({"status": "unavailable", "database": type(error).__name__}, status=503)
            # Logged above, once: Django's handler logs every response of status 400 or
            # more unless the response is marked as logged (django.utils.log.log_response).
            response._has_been_logged = True
            return response
        if not self.database_answered:
            health_log.warning("The database answers again")
        self.database_answered = True
        return JsonResponse({"status": "ok", "database": "ok"})


# A request id a proxy sends in X-Request-ID is kept if it looks like one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
request_log = logging.getLogger("annotate.requests")


class RequestLogMiddleware:
    """With ANNOTATE_JSON_LOGS, one log record per request on `annotate.requests`
    (a JSON line, see annotate/logs.py): its id, method, path, status, duration and
    user id. The id is the X-Request-ID the proxy sent, or a new one, and is sent back
    in X-Request-ID, so a line of the proxy's log and of ours can be matched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        if not settings.ANNOTATE_JSON_LOGS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        began = time.perf_counter()
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        response = self.get_response(request)
        user = getattr(request, "user", None)
        fields = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - began) * 1000, 1),
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        }
        request_log.info("request", extra={"fields": fields})
        response["X-Request-ID"] = request_id
        return response
