"""What every request goes through: the headers no view should have to remember, and
the refusal of a body too large to read."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from annotate.datasets import upload_too_large


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
        if user is not None and user.is_authenticated:
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
