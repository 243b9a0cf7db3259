"""What the annotator's API views share.

Who may label: every member of the project's organization, whatever their role (reviewers and
managers often label too). The scoped fetch is therefore the whole check: another
organization's project, task or annotation is a 404, and there is no role to refuse with 403.
Views reading results for others (gold accuracy) combine the platform's role classes.
"""
from contextlib import contextmanager

from rest_framework import status
from rest_framework.exceptions import APIException

from annotator.services import QueueConflict


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The task's state does not allow this."
    default_code = "conflict"

    def __init__(self, conflict: QueueConflict):
        super().__init__()
        # A plain dict, not ErrorDetails: `annotation` must stay a number in the JSON.
        self.detail = {"detail": conflict.message, "code": conflict.code}
        if conflict.annotation is not None:
            self.detail["annotation"] = conflict.annotation


@contextmanager
def conflicts_as_409():
    """Turn a service's QueueConflict into a 409 `{"detail": …, "code": …}`."""
    try:
        yield
    except QueueConflict as conflict:
        raise Conflict(conflict) from None
