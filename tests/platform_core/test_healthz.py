import socket
import time

import pytest
from rest_framework.test import APIClient

from config.celery_app import app as celery_app
from platform_core.apis import health

pytestmark = pytest.mark.django_db


def fail():
    raise ConnectionError("down")


def test_healthy_when_database_and_broker_answer():
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_503_naming_the_broker_when_it_does_not_answer(monkeypatch):
    monkeypatch.setattr(health, "check_broker", fail)

    response = APIClient().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_503_naming_the_database_when_it_does_not_answer(monkeypatch):
    monkeypatch.setattr(health, "check_database", fail)

    response = APIClient().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "broker": "ok"}


def test_an_unreachable_broker_fails_fast_instead_of_retrying(monkeypatch):
    # Nothing listens on port 9 here: the check must give up after one short attempt.
    monkeypatch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:9/0")
    started = time.monotonic()

    with pytest.raises(Exception):
        health.check_broker()

    assert time.monotonic() - started < health.BROKER_TIMEOUT_S + 1


def test_no_credentials_needed_and_a_bad_session_does_not_matter():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/healthz").status_code == 200


@pytest.mark.servers  # PostgreSQL's connect timeout
def test_a_database_that_never_answers_fails_within_the_connect_timeout(settings):
    """A server that accepts TCP but never speaks (a hung host, a full proxy) must not hold the
    request for the operating system's TCP timeout."""
    from django.db import OperationalError
    from django.db.utils import ConnectionHandler

    timeout = settings.DATABASES["default"]["OPTIONS"]["connect_timeout"]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # completes handshakes, never accepts or answers
        database = {**settings.DATABASES["default"], "HOST": "127.0.0.1",
                    "PORT": silent.getsockname()[1]}
        connection = ConnectionHandler({"default": database})["default"]
        started = time.monotonic()

        with pytest.raises(OperationalError):
            connection.ensure_connection()

    assert 0 < timeout and time.monotonic() - started < timeout + 1
