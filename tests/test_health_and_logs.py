"""What a load balancer and a log collector get: /healthz and one JSON line per request."""

import json
import logging
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import override_settings

from annotate.logs import JsonFormatter
from tests.factories import make_user


def test_healthz_says_the_database_answers(client, db):
    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})
    assert response["Cache-Control"] == "no-store"
    assert response.cookies == {}


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["annotate.example.org"])
def test_healthz_answers_a_balancer_asking_by_address_over_plain_http(client, db):
    response = client.get("/healthz/", HTTP_HOST="10.0.0.7:8000")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})
    # Any other page asked so is refused: the exemption is the health check's alone.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_healthz_refuses_a_post(client, db):
    assert client.post("/healthz").status_code == 405


@contextmanager
def database_away():
    """The database does not answer while inside: the connection is pointed at a
    database that does not exist."""
    connection.close()
    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "no_such_database"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name


@pytest.mark.django_db(transaction=True)
def test_healthz_says_503_when_the_database_does_not_answer(client):
    with database_away():
        response = client.get("/healthz")

    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "database": "OperationalError"})
    assert client.get("/healthz").status_code == 200  # and answers again once it is back


@pytest.fixture
def logged(caplog):
    """caplog, with Django's own records too (the "django" logger does not propagate to
    the root logger, where caplog listens)."""
    django_logger = logging.getLogger("django")
    django_logger.addHandler(caplog.handler)
    yield caplog
    django_logger.removeHandler(caplog.handler)


@pytest.mark.django_db(transaction=True)
def test_healthz_logs_when_the_database_stops_answering_and_when_it_answers_again(client, logged):
    answers = [client.get("/healthz").status_code]
    with database_away():
        answers += [client.get("/healthz").status_code for _ in range(3)]
    answers += [client.get("/healthz").status_code for _ in range(2)]

    assert answers == [200, 503, 503, 503, 200, 200]
    # One record when it stopped answering, one when it answered again, none per probe
    # (Django's request log would have logged each 503 at ERROR).
    lines = [(record.name, record.levelname, record.getMessage()) for record in logged.records]
    assert [line[:2] for line in lines] == [("annotate.health", "WARNING"), ("annotate.health", "WARNING")]
    stopped, again = lines[0][2], lines[1][2]
    assert stopped.startswith("The database does not answer (OperationalError: connection failed: ")
    assert stopped.endswith('FATAL:  database "no_such_database" does not exist)')
    assert again == "The database answers again"


class Collected(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def request_records():
    """The records of the request log (which does not propagate to the root logger)."""
    logger, handler = logging.getLogger("annotate.requests"), Collected()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


@override_settings(ANNOTATE_JSON_LOGS=True)
def test_every_request_is_logged_with_its_id_status_duration_and_user(client, db, request_records):
    user = make_user("logged")
    client.force_login(user)

    response = client.get("/", HTTP_X_REQUEST_ID="proxy-4f2a.17")
    refused = client.get("/p/no-such-project/")
    client.logout()
    anonymous = client.get("/accounts/login/", HTTP_X_REQUEST_ID="not a valid id\n")

    fields = [dict(record.fields) for record in request_records]
    durations = [entry.pop("duration_ms") for entry in fields]
    assert all(isinstance(duration, float) and duration >= 0 for duration in durations)
    ids = [entry.pop("request_id") for entry in fields]
    assert ids[0] == response["X-Request-ID"] == "proxy-4f2a.17"
    assert [ids[1], ids[2]] == [refused["X-Request-ID"], anonymous["X-Request-ID"]]
    assert [len(ids[1]), len(ids[2])] == [32, 32]  # new ids: the second one sent was not one
    assert fields == [
        {"method": "GET", "path": "/", "status": 200, "user_id": user.pk},
        {"method": "GET", "path": "/p/no-such-project/", "status": 404, "user_id": user.pk},
        {"method": "GET", "path": "/accounts/login/", "status": 200, "user_id": None},
    ]


def test_without_the_setting_nothing_is_logged_and_no_id_is_sent(client, db, request_records):
    response = client.get("/accounts/login/")

    assert (len(request_records), response.has_header("X-Request-ID")) == (0, False)


def test_a_record_is_one_json_line():
    record = logging.LogRecord("annotate.requests", logging.INFO, __file__, 1, "request", None, None)
    record.created = 1764590400.25
    record.fields = {"request_id": "abc", "path": "/p/ü/", "status": 200}

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2025-12-01T12:00:00.250+00:00",
        "level": "INFO",
        "logger": "annotate.requests",
        "message": "request",
        "request_id": "abc",
        "path": "/p/ü/",
        "status": 200,
    }
