"""Task media, streamed to members of the task's organization only.

Media never has a public URL (see MEDIA_URL in settings): every file goes through this view,
which answers 404 to anyone who is not a signed-in member, exactly as for a missing file.
Imported files are untrusted, so they are served in a way no browser will run as a page.
Single byte ranges are answered (206), so players can seek in long recordings.
"""
import re
from pathlib import PurePosixPath

from django.http import FileResponse, Http404, HttpResponse
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
            ),
            (206, FALLBACK_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The one byte range a Range header asked for."
            ),
            416: OpenApiResponse(description="The range starts past the end of the file."),
        }
    )
    def get(self, request, task_id: int):
        if not request.user.is_authenticated:
            raise Http404("No such media.")
        # An annotator fetches the media of the tasks they hold or labeled, as the task API.
        task = task_get_visible(request, task_id)
        # Private data: shared caches must not keep it.
        return media_response(request, task, cache_control="private, max-age=3600")


def media_response(request, task, *, cache_control: str) -> HttpResponse:
    """The task's stored file with the headers that keep it inert on our origin: never HTML,
    never sniffed, sandboxed if opened directly. Http404 when there is no file.

    A GET with one byte range (an <audio> element seeking) gets 206 and only those bytes, read
    from storage in blocks; a range past the end is 416; a malformed or multi-range header gets
    the whole file, as HTTP allows.
    """
    if not task.media:
        raise Http404("No such media.")
    try:
        stream = task.media.storage.open(task.media.name, "rb")
    except OSError:
        raise Http404("No such media.") from None
    content_type = safe_content_type(task.media_type)
    filename = PurePosixPath(task.media.name).name
    header = _range_header(request)
    size = stream.size if header else 0
    try:
        wanted = byte_range(header, size=size) if header else None
    except RangeNotSatisfiable:
        stream.close()
        response = HttpResponse(status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if wanted is None:
            response = FileResponse(stream, content_type=content_type, filename=filename)
        else:
            start, end = wanted
            length = end - start + 1
            response = FileResponse(
                FileSlice(stream, start=start, length=length),
                status=206,
                content_type=content_type,
                filename=filename,
            )
            response["Content-Length"] = length
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = cache_control
    return response


def _range_header(request) -> str | None:
    """The Range header, if this request is one that may be answered in part."""
    # We send no validators (ETag, Last-Modified), so an If-Range can never match: whole file.
    if request.method != "GET" or "If-Range" in request.headers:
        return None
    return request.headers.get("Range")


class RangeNotSatisfiable(Exception):
    pass


# One range of bytes (RFC 9110 §14.1.2): "first-last", "first-" or "-suffix length".
_BYTE_RANGE = re.compile(r"bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


def byte_range(header: str, *, size: int) -> tuple[int, int] | None:
    """(first, last) byte positions, inclusive, of the one range a Range header asks for; None
    for the whole file (several ranges, or a header we cannot read, which HTTP says to ignore).
    Raises RangeNotSatisfiable when the range starts past the end of the file.
    """
    match = _BYTE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # invalid, so ignored
    if start >= size:
        raise RangeNotSatisfiable
    end = min(int(last), size - 1) if last else size - 1
    return start, end


class FileSlice:
    """`length` bytes of an open file from `start`, read in the caller's block size.

    FileResponse streams it like a file; having no fileno() or tell(), it is never handed to
    sendfile or measured to the end of the file, so no server sends more than the slice.
    """

    def __init__(self, file, *, start: int, length: int):
        file.seek(start)  # storage files seek too (django-storages' S3 files use ranged GETs)
        self.file = file
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        data = self.file.read(self.remaining if size < 0 else min(size, self.remaining))
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.file.close()
