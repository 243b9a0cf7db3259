"""Short-lived signed links to one task's media, for model servers that must fetch it.

Media is member-only (platform_core.media); a model server is not a member. The token is the
task id signed with SECRET_KEY and a timestamp (django.core.signing.TimestampSigner): whoever
holds the link may read that one file until ML_MEDIA_LINK_MAX_AGE_S have passed, and nothing
else. A bad, expired or unknown token is the same 404 as a missing file.
"""

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_safe

from platform_core.media import media_response
from platform_core.models import Task

_SALT = "ml_assist.media_links"


def media_token(task_id: int) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(str(task_id))


def media_token_task_id(token: str, *, max_age: float | None = None) -> int | None:
    """The task id a token was made for; None if the token is forged, altered or expired."""
    max_age = settings.ML_MEDIA_LINK_MAX_AGE_S if max_age is None else max_age
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return int(value) if value.isdigit() else None


def signed_media_url(task: Task) -> str | None:
    """An absolute, expiring URL to the task's file; None without media or ML_MEDIA_BASE_URL.

    Needs `path("", include("ml_assist.media_urls"))` in config/urls.py.
    """
    base = settings.ML_MEDIA_BASE_URL.rstrip("/")
    if not base or not task.media:
        return None
    return base + reverse("ml-signed-media", args=[media_token(task.pk)])


@require_safe  # GET, and HEAD for the size and Accept-Ranges
def signed_media_view(request, token: str):
    task_id = media_token_task_id(token)
    task = Task.objects.filter(pk=task_id).first() if task_id is not None else None
    if task is None:
        raise Http404("No such media.")
    # The link is a capability: no cache anywhere may keep the file after it expires.
    response = media_response(request, task, cache_control="no-store")
    response["Referrer-Policy"] = "no-referrer"
    return response
