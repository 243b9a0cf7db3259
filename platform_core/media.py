"""Task media, streamed to members of the task's organization only.

Media never has a public URL (see MEDIA_URL in settings): every file goes through this view,
which answers 404 to anyone who is not a signed-in member, exactly as for a missing file.
Imported files are untrusted, so they are served in a way no browser will run as a page.
"""
from pathlib import PurePosixPath

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny

from platform_core.apis.common import ApiView
from platform_core.apis.scoping import task_get_visible

SAFE_TEXT_TYPES = frozenset({"text/plain"})
FALLBACK_CONTENT_TYPE = "application/octet-stream"


def safe_content_type(media_type: str) -> str:
    """The stored type if a browser cannot execute it; otherwise a plain download type.

    SVG is an image that may carry scripts, so it is downloaded rather than displayed.
    """
    main_type = media_type.split(";", 1)[0].strip().lower()
    if main_type.startswith(("image/", "audio/")) and "xml" not in main_type:
        return main_type
    if main_type in SAFE_TEXT_TYPES:
        return f"{main_type}; charset=utf-8"
    return FALLBACK_CONTENT_TYPE


class TaskMediaView(ApiView):
    """The task's media file, for the members of its organization who may see the task."""

    # Membership is checked below so that anonymous callers get the same 404 as outsiders.
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, FALLBACK_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file; image/*, audio/* or text/plain when the task says so.",
            )
        }
    )
    def get(self, request, task_id: int):
        if not request.user.is_authenticated:
            raise Http404("No such media.")
        # An annotator fetches the media of the tasks they hold or labeled, as the task API.
        task = task_get_visible(request, task_id)
        # Private data: shared caches must not keep it.
        return media_response(task, cache_control="private, max-age=3600")


def media_response(task, *, cache_control: str) -> FileResponse:
    """The task's stored file with the headers that keep it inert on our origin: never HTML,
    never sniffed, sandboxed if opened directly. Http404 when there is no file."""
    if not task.media:
        raise Http404("No such media.")
    try:
        stream = task.media.storage.open(task.media.name, "rb")
    except OSError:
        raise Http404("No such media.") from None
    response = FileResponse(
        stream,
        content_type=safe_content_type(task.media_type),
        filename=PurePosixPath(task.media.name).name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = cache_control
    return response
