"""Signed media links answer byte ranges as member-only media does."""
import pytest
from django.core.files.base import ContentFile

from ml_assist.media_links import media_token
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

CLIP = bytes(range(256)) * 40


@pytest.fixture
def signed_url(project):
    task = TaskFactory(project=project, media_type="audio/wav")
    task.media.save("long.wav", ContentFile(CLIP), save=True)
    return f"/media/signed/{media_token(task.pk)}/"


def test_a_signed_link_answers_a_byte_range_with_206(client, signed_url):
    response = client.get(signed_url, HTTP_RANGE="bytes=256-511")

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == CLIP[256:512]
    assert response["Content-Range"] == f"bytes 256-511/{len(CLIP)}"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_signed_link_answers_416_past_the_end(client, signed_url):
    response = client.get(signed_url, HTTP_RANGE="bytes=-0")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CLIP)}"


def test_a_signed_link_answers_head_with_the_size(client, signed_url):
    response = client.head(signed_url)

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CLIP))
    assert response["Accept-Ranges"] == "bytes"
