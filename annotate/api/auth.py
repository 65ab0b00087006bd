"""Who a request to /api/v1/ comes from: a personal API token (`Authorization: Bearer
…`, no CSRF token needed, as no browser sends it by itself), or else the browser's
logged-in session, which must carry its CSRF token on every change, as the pages' forms
do. Neither: 401."""

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from annotate.api import tokens
from annotate.views import accounts as account_views


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = tokens.user_of(token.strip(), account_views.client_address(request))
        request.user = user  # for what reads request.user after (the request log, access)
        return user


class SessionAuth(APIKeyCookie):
    """Django's session, with Django's CSRF check on changes (ninja's own SessionAuth
    checks CSRF before it knows whether anyone is logged in, which would answer an
    anonymous change 403 rather than 401)."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        return None

    def authenticate(self, request: HttpRequest, key: str | None):
        if not request.user.is_authenticated:
            return None
        if check_csrf(request):
            raise HttpError(403, "CSRF check Failed")
        return request.user
