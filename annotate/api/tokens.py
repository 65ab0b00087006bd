"""Personal API tokens: made and revoked by their user on the account page, used as
`Authorization: Bearer <token>` on /api/v1/. Only a token's SHA-256 is stored; the token
itself is shown once, when it is made. A request whose token fails (unknown, revoked or
expired) counts as a failure against the client's address, as a failed login does
(django-axes' table, under a name no login can have): after AXES_FAILURE_LIMIT failures
that address is refused for AXES_COOLOFF_TIME, valid token or not."""

import math
import secrets
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from annotate.accounts import token_hash
from annotate.models import ApiToken

# A token is "ann_" and 43 characters; anything much longer is not one, and is not hashed.
PREFIX = "ann_"
TOKEN_MAX_CHARS = 100
# The username under which failed tokens are counted in django-axes' table: with a space
# and brackets, so no login (whose typed username axes counts case-folded) shares it.
FAILURES_USERNAME = "(API token)"
MAX_TOKENS = 50


class TokenError(Exception):
    """A token that cannot be used, with the message to answer it with."""


def create_token(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token of `user` named `name`, and the token itself: the only time it is known."""
    token = PREFIX + secrets.token_urlsafe(32)
    return ApiToken.objects.create(user=user, name=name, token_hash=token_hash(token), expires_at=expires_at), token


def revoke_token(*, user, pk: int) -> ApiToken | None:
    """Revoke `user`'s token `pk` (from then on it is refused); None if they have no such
    token. Revoking a revoked token changes nothing."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is not None and token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_of(token: str, address: str | None):
    """The active user whose usable token `token` is, its use recorded; `TokenError`
    saying why not. Failures from `address` are counted, and past the limit refused."""
    attempts = AccessAttempt.objects.filter(username=FAILURES_USERNAME, ip_address=address)
    attempt = attempts.filter(attempt_time__gt=timezone.now() - settings.AXES_COOLOFF_TIME).first()
    if attempt is not None and attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT:
        raise Throttled(attempt.attempt_time + settings.AXES_COOLOFF_TIME)
    found = None
    if len(token) <= TOKEN_MAX_CHARS:
        found = ApiToken.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    problem = _problem(found)
    if problem:
        _count_failure(attempt, attempts, address)
        raise TokenError(problem)
    if attempt is not None:
        attempts.delete()  # a success clears the failures, as a login's does
    now = timezone.now()
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


def _problem(token: ApiToken | None) -> str:
    if token is None or not token.user.is_active:
        return "This API token is not known. Make one on your account page."
    if token.revoked_at is not None:
        return "This API token was revoked. Make a new one on your account page."
    if token.expired:
        return "This API token has expired. Make a new one on your account page."
    return ""


def _count_failure(attempt: AccessAttempt | None, attempts, address: str | None) -> None:
    if attempt is None:
        attempts.delete()  # failures older than the cool-off no longer count
        AccessAttempt.objects.get_or_create(
            username=FAILURES_USERNAME,
            ip_address=address,
            user_agent="",
            http_accept="",
            path_info="/api/v1/",
            defaults={"get_data": "", "post_data": "", "failures_since_start": 1},
        )
    else:
        attempts.filter(pk=attempt.pk).update(
            failures_since_start=F("failures_since_start") + 1, attempt_time=timezone.now()
        )


class Throttled(TokenError):
    """Too many failed tokens from one address: refused until `until`."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        self.retry_after = max(1, math.ceil((until - timezone.now()) / timedelta(seconds=1)))
        minutes = max(1, round(self.retry_after / 60))
        super().__init__(
            f"Too many requests with an API token that is not valid came from this address; "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
