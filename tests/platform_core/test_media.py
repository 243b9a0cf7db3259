import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from platform_core.media import safe_content_type
from platform_core.models import Role
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


@pytest.fixture
def audio_task(project):
    task = TaskFactory(project=project, media_type="audio/wav")
    task.media.save("clip.wav", ContentFile(WAV), save=True)
    return task


def media_url(task):
    return f"/media/tasks/{task.id}/"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_member_gets_the_file_with_headers_that_stop_browsers_running_it(
    audio_task, member, api_client
):
    annotator = member(Role.ANNOTATOR, audio_task.project.organization)
    audio_task.locked_by = annotator  # annotators reach the media of the tasks they hold
    audio_task.save()

    response = api_client(annotator).get(media_url(audio_task), HTTP_ACCEPT="audio/*")

    assert response.status_code == 200
    assert body_of(response) == WAV
    assert response["Content-Type"] == "audio/wav"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "private" in response["Cache-Control"]


def test_token_clients_get_media_too(audio_task, member):
    annotator = member(Role.REVIEWER, audio_task.project.organization)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=annotator).key}")

    assert client.get(media_url(audio_task)).status_code == 200


def test_the_file_is_stored_through_django_storage(audio_task):
    assert default_storage.exists(audio_task.media.name)
    assert audio_task.media.name.startswith(f"projects/{audio_task.project_id}/media/")


def test_members_of_other_organizations_get_404(audio_task, other_org, member, api_client):
    outsider = member(Role.ADMIN, other_org)

    response = api_client(outsider).get(media_url(audio_task))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert WAV not in response.content


def test_annotators_get_404_for_the_media_of_tasks_not_theirs(audio_task, member, api_client):
    annotator = member(Role.ANNOTATOR, audio_task.project.organization)

    response = api_client(annotator).get(media_url(audio_task))

    assert response.status_code == 404
    assert WAV not in response.content


def test_anonymous_callers_get_404(audio_task, api_client):
    assert api_client().get(media_url(audio_task)).status_code == 404


def test_a_task_without_media_is_404(project, member, api_client):
    task = TaskFactory(project=project)

    response = api_client(member(Role.ANNOTATOR, project.organization)).get(media_url(task))

    assert response.status_code == 404


def test_a_file_missing_from_storage_is_404(audio_task, member, api_client):
    default_storage.delete(audio_task.media.name)

    response = api_client(member(Role.ANNOTATOR, audio_task.project.organization)).get(
        media_url(audio_task)
    )

    assert response.status_code == 404


def test_an_html_file_is_served_as_a_download_never_as_a_page(project, member, api_client):
    task = TaskFactory(project=project, media_type="text/html")
    task.media.save("page.html", ContentFile(b"<script>alert(1)</script>"), save=True)

    response = api_client(member(Role.REVIEWER, project.organization)).get(media_url(task))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    "media_type, served_as",
    [
        ("image/png", "image/png"),
        ("IMAGE/JPEG", "image/jpeg"),
        ("audio/mpeg", "audio/mpeg"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/html", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("text/html; x=image/png", "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_only_types_a_browser_cannot_execute_keep_their_content_type(media_type, served_as):
    assert safe_content_type(media_type) == served_as
