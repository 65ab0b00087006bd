"""Response headers that no view should have to remember."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


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
