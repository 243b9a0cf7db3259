"""GET /healthz: 200 when the database and the broker answer, 503 naming what failed.

Load balancers call this every few seconds, so each check is bounded to about two seconds.
"""
import logging

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.celery_app import app as celery_app
from platform_core.apis.common import ApiView

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    # max_retries=0: one attempt; the health check itself is what gets retried.
    with celery_app.connection_for_write(connect_timeout=BROKER_TIMEOUT_S) as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_S)


health_response = inline_serializer(
    "Health",
    fields={
        # Plain strings: two fields sharing one choice set make the schema warn about its name.
        "database": serializers.CharField(help_text='"ok" or "unavailable"'),
        "broker": serializers.CharField(help_text='"ok" or "unavailable"'),
    },
)


class HealthApi(ApiView):
    """200 when the database and the broker answer, 503 naming the part that does not."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: health_response, 503: health_response}, auth=[])
    def get(self, request):
        results = {"database": _run(check_database), "broker": _run(check_broker)}
        healthy = all(value == "ok" for value in results.values())
        return Response(
            results, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE
        )


def _run(check) -> str:
    try:
        check()
    except Exception:  # any failure means "not healthy"; the reason goes to the log, not out
        logger.exception("Health check %s failed", check.__name__)
        return "unavailable"
    return "ok"
