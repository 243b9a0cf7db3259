"""The metrics are computed in one transaction with their own database settings
(platform_core.metrics.metrics_database_settings): JIT off on PostgreSQL, nothing to set on
SQLite, and the connection's own settings untouched after the request."""
from datetime import UTC, datetime

import pytest
from django.db import connection

from platform_core.metrics import metrics_period_parse, metrics_request

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = metrics_period_parse(
    window="7d", bucket="day", start=datetime(2026, 1, 1, tzinfo=UTC),
    now=datetime(2026, 12, 10, tzinfo=UTC),
)


def jit() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


def test_metrics_run_without_jit_and_leave_the_connection_as_it_was():
    before = jit()
    with metrics_request(PERIOD):
        assert connection.in_atomic_block
        inside = jit()
    assert jit() == before
    if connection.vendor == "postgresql":
        assert inside == "off"
    else:
        assert inside is None  # SQLite: nothing set, and nothing broke
