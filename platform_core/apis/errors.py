"""Every API error is JSON: `{"detail": …}` or field errors, never an HTML page or a trace."""
import logging

from django import db
from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "request_too_large"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is not answering; nothing was saved. Try again in a moment."
    default_code = "database_unavailable"


def json_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # Services validate with full_clean(); surface their messages as a 400 with field names.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, SuspiciousOperation):
        exc = _client_error(exc, context["request"])
    elif isinstance(exc, (db.OperationalError, db.InterfaceError)):
        # The database is restarting or unreachable: nothing was saved, and asking again in a
        # moment works. Logged without the traceback, which a restart would repeat per request.
        logger.error("Database unavailable: %s", exc)
        exc = DatabaseUnavailable()
    response = exception_handler(exc, context)
    if isinstance(exc, DatabaseUnavailable):
        response["Retry-After"] = "5"
    if response is not None:
        return response
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(
        {"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def _client_error(exc: SuspiciousOperation, request) -> exceptions.APIException:
    """Django answers these with a 400 page; DRF's handler knows none of them, so they would be
    logged 500s here. Django raises them while reading the body: JSON and form bodies over
    DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads `request.body` since 3.17), multipart fields over
    it, too many fields or files, a malformed multipart body. Logged as Django logs them."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.content_type.startswith("multipart/"):
            # Files stream to disk and do not count; the text fields beside them do.
            return RequestTooLarge(
                f"The request's form fields are over the limit of {limit} bytes."
            )
        length = request.META.get("CONTENT_LENGTH")
        return RequestTooLarge(f"The request body is {length} bytes; the limit is {limit}.")
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return exceptions.ParseError("The request has too many fields or files.")
    return exceptions.ParseError("The request is malformed.")
