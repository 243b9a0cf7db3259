"""Every API error is JSON: `{"detail": …}` or field errors, never an HTML page or a trace."""
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def json_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # Services validate with full_clean(); surface their messages as a 400 with field names.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is not None:
        return response
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(
        {"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )
