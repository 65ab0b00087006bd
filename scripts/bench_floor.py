"""The settings of the server scripts/bench_load.py measures: the project's own, with one
view more, the floor a save is compared with.

The floor view (`POST /bench/floor/`) is the least a logged-in write can cost in
Django here: the whole middleware stack (session, CSRF, authentication, the security
headers), `login_required`, one INSERT into the table `bench_floor` (which
bench_load.py creates in its throwaway database) and a tiny 200 answer.

gunicorn serves it with `DJANGO_SETTINGS_MODULE=bench_floor` and `scripts/` on the
Python path. This module is the settings and the URLconf both: its `urlpatterns` are
built on first use (after Django has started, as they import the project's views).
"""

from annotate.settings import *  # noqa: F403

ROOT_URLCONF = "bench_floor"

FLOOR_INSERT = "INSERT INTO bench_floor (user_id, body) VALUES (%s, %s)"

_urlpatterns: list = []


def floor(request):
    """One INSERT for a logged-in user's POST (CSRF-checked by the middleware)."""
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_INSERT, [request.user.pk, request.POST.get("body", "")])
    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str):
    if name != "urlpatterns":
        raise AttributeError(name)
    if not _urlpatterns:
        from django.contrib.auth.decorators import login_required
        from django.urls import path
        from django.views.decorators.http import require_POST

        from annotate import urls

        _urlpatterns.extend([path("bench/floor/", require_POST(login_required(floor))), *urls.urlpatterns])
    return _urlpatterns
