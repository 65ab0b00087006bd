"""Production settings come from the environment and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import lxml.html
from django.urls import reverse

from annotate.models import Layer

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {key: value for key, value in os.environ.items() if key not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing_with_production_variables_set():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x7#kq-2!vd93mlz0w8p4u&t1s6ey5rfj*ahbnc-gqo-9i_zx3lwp",
        ALLOWED_HOSTS="annotate.example.org",
        DATABASE_URL="sqlite:////tmp/annotate-deploy-check.sqlite3",
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "System check identified no issues (0 silenced).\n",
        "",
    )


HEADERS = ["Content-Security-Policy", "Permissions-Policy", "Cache-Control"]
# The policy by directive (django-csp does not keep the directives in a fixed order).
CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(policy: str) -> dict[str, str]:
    return dict(directive.split(" ", 1) for directive in policy.split("; "))


def test_check_deploy_flags_the_development_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DATABASE_URL="sqlite:////tmp/x.sqlite3")

    assert result.returncode == 1
    assert "security.W009" in result.stderr


# Response headers


def test_a_page_for_a_logged_in_user_carries_the_policy_headers_and_is_not_stored(client, annotator):
    client.force_login(annotator)

    response = client.get(reverse("annotate:project_list"))

    assert {name: response[name] for name in HEADERS} | {
        "Content-Security-Policy": directives(response["Content-Security-Policy"])
    } == {
        "Content-Security-Policy": CSP,
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cache-Control": "private, no-store",
    }


def test_the_login_page_carries_the_policy_headers(client, db):
    response = client.get(reverse("login"))

    assert (directives(response["Content-Security-Policy"]), response["Permissions-Policy"]) == (
        CSP,
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    )


def test_the_workspace_keeps_never_cache_and_adds_private_no_store(client, article, annotator):
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)

    response = client.get(reverse("annotate:layer_detail", args=[article.project.slug, layer.pk]))

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_an_export_is_not_stored(client, article, curator):
    client.force_login(curator)

    response = client.get(
        reverse("annotate:dataset_export", args=[article.project.slug]),
        {"download": "1", "format": "jsonl", "layers": "all"},
    )

    assert (response.status_code, response["Cache-Control"]) == (200, "private, no-store")


def test_pages_carry_no_inline_script_or_style(client, article, annotator):
    layer = Layer.objects.get(article=article, annotator=annotator)
    client.force_login(annotator)

    for url in (
        reverse("annotate:project_list"),
        reverse("annotate:project_detail", args=[article.project.slug]),
        reverse("annotate:layer_detail", args=[article.project.slug, layer.pk]),
    ):
        page = lxml.html.fromstring(client.get(url).content.decode())
        assert (url, page.xpath("//script[not(@src)] | //style | //*[@style]")) == (url, [])
