"""Failed logins count against the client's own address: behind the nginx that
docs/deploy.md describes (a real nginx, run by the test with the docs' own `location`
block), and without a proxy. A client cannot choose the address its failures count
against by writing an X-Forwarded-For header, and a lock on one username from one
client never keeps that username out from another."""

import http.client
import re
import shutil
import socket
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import lxml.html
import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from annotate.views.accounts import client_address
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "secret-pass-1"
# Clients on loopback addresses of their own: the kernel routes all of 127/8 to lo.
ATTACKER, COLLEAGUE = "127.0.0.2", "127.0.0.3"
FORGED = ["198.51.100.7", COLLEAGUE, "unknown", "203.0.113.1, 203.0.113.2", "::1", "127.0.0.1"]


# Which entry of X-Forwarded-For is believed


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, None, "10.0.0.1"),
        (0, "203.0.113.5", "10.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (1, " 203.0.113.5 ", "203.0.113.5"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "10.0.0.2", "10.0.0.1"),
        (1, None, "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "203.0.113.5, not-an-address", "10.0.0.1"),
        (1, "203.0.113.5, 203.0.113.6:8080", "10.0.0.1"),
    ],
)
def test_the_client_address_is_the_entry_the_farthest_trusted_proxy_wrote(settings, proxies, forwarded_for, expected):
    settings.ANNOTATE_TRUSTED_PROXY_COUNT = proxies
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.1", **headers)

    assert client_address(request) == expected


def test_the_client_address_is_what_django_axes_counts_against(settings):
    from axes.helpers import get_client_ip_address

    settings.ANNOTATE_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")

    assert get_client_ip_address(request) == "203.0.113.5"


# Over HTTP, as a browser would


class Client:
    """A client at one loopback address: it keeps its cookies and takes the login form's
    CSRF token from the page it was given, as a browser does."""

    def __init__(self, url: str, address: str):
        parts = urlsplit(url)
        self.host, self.port, self.address = parts.hostname, parts.port, address
        self.cookies = SimpleCookie()

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=20, source_address=(self.address, 0))
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return response.status, content

    def log_in(self, username: str, password: str, forwarded_for: str | None = None) -> tuple[int, str]:
        """The status of the login and the text of its alert, if it has one."""
        _, form = self.request("GET", reverse("login"))
        token = lxml.html.fromstring(form).xpath("string(//input[@name='csrfmiddlewaretoken']/@value)")
        body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        status, page = self.request("POST", reverse("login"), body, headers)
        alert = lxml.html.fromstring(page).xpath("string(//main//*[@role='alert'])") if page else ""
        return status, alert


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def documented_location() -> str:
    """The `location / { ... }` block of the nginx server in docs/deploy.md."""
    server = re.search(r"```nginx\n(.*?)```", (ROOT / "docs/deploy.md").read_text(), re.S).group(1)
    return re.search(r"^    location / \{\n.*?^    \}$", server, re.S | re.M).group(0)


@pytest.fixture
def nginx(live_server, tmp_path, settings):
    """The URL of a real nginx in front of the live server, set up as docs/deploy.md
    says (its `location` block, with the live server for gunicorn), and the app set up
    to trust one proxy, as BEHIND_TLS_PROXY=1 does."""
    settings.ANNOTATE_TRUSTED_PROXY_COUNT = 1
    program = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    location = documented_location()
    assert "proxy_pass http://127.0.0.1:8000;" in location
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"    {kind}_temp_path {tmp_path}/{kind};" for kind in kinds)
    (tmp_path / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{port};
{location.replace("http://127.0.0.1:8000", live_server.url)}
    }}
}}
"""
    )
    server = subprocess.Popen(
        [program, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, f"nginx stopped: {server.stderr.read().decode()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_behind_nginx_a_lock_holds_for_the_client_and_not_for_a_colleague_elsewhere(nginx):
    make_user("ada")
    attacker, colleague = Client(nginx, ATTACKER), Client(nginx, COLLEAGUE)

    tries = [attacker.log_in("ada", "wrong-password")[0] for _ in range(5)]
    refused = attacker.log_in("ada", PASSWORD)
    colleague_status, _ = colleague.log_in("ada", PASSWORD)

    assert tries == [200, 200, 200, 200, 429]
    assert refused[0] == 429
    assert refused[1].startswith("Logins with this username from your address are locked after too many failed tries.")
    assert colleague_status == 302
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [("ada", ATTACKER)]


def test_behind_nginx_a_forged_x_forwarded_for_neither_escapes_the_lock_nor_locks_another_address(nginx):
    make_user("ada")
    attacker, colleague = Client(nginx, ATTACKER), Client(nginx, COLLEAGUE)

    statuses = [attacker.log_in("ada", "wrong-password", forwarded_for=forged)[0] for forged in FORGED]
    right_password_forged = attacker.log_in("ada", PASSWORD, forwarded_for="192.0.2.44")[0]
    colleague_status, _ = colleague.log_in("ada", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429, 429]
    assert right_password_forged == 429
    assert colleague_status == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_without_a_proxy_x_forwarded_for_is_ignored_and_the_address_reached_from_counts(live_server):
    make_user("ada")
    attacker, colleague = Client(live_server.url, ATTACKER), Client(live_server.url, COLLEAGUE)

    statuses = [attacker.log_in("ada", "wrong-password", forwarded_for=forged)[0] for forged in FORGED[:5]]
    colleague_status, _ = colleague.log_in("ada", PASSWORD, forwarded_for=ATTACKER)

    assert statuses == [200, 200, 200, 200, 429]
    assert colleague_status == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]
