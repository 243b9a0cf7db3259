"""Requests an attacker or a broken client would send: forged writes, open redirects, huge pages
and bodies, pixel bombs, and errors that must not show our insides."""
import io
import json
import struct
import zlib

import pytest
from django.test import Client
from PIL import Image, ImageFile

from platform_core.apis import projects as project_apis
from platform_core.models import Project, Role, Task, TaskType
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, ProjectFactory, UserFactory
from tests.platform_core.factories import TaskFactory
from tests.platform_core.importing import errors_of, png_bytes, run_import, zip_bytes

pytestmark = pytest.mark.django_db

SECRET = "secret-detail /srv/app/platform_core/x.py"
BODY_LIMIT = 1000


@pytest.fixture
def manager(project):
    return MembershipFactory(role=Role.MANAGER, organization=project.organization).user


@pytest.fixture
def manager_api(manager, api_client):
    return api_client(manager)


@pytest.fixture
def small_body_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT


def test_a_session_write_without_the_csrf_token_is_refused_and_with_it_accepted(project, manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    url = f"/api/v1/projects/{project.id}/"

    forged = browser.patch(url, {"name": "Forged"}, content_type="application/json")

    assert forged.status_code == 403
    assert "CSRF" in forged.json()["detail"]
    browser.get("/")  # the page a real browser loads first sets the cookie
    token = browser.cookies["csrftoken"].value
    genuine = browser.patch(
        url, {"name": "Renamed"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert genuine.status_code == 200
    project.refresh_from_db()
    assert project.name == "Renamed"


def test_a_session_post_without_the_csrf_token_creates_nothing(project, manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    body = {
        "organization": project.organization_id,
        "name": "Forged",
        "task_type": "text_classification",
    }

    response = browser.post("/api/v1/projects/", body, content_type="application/json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert not Project.objects.filter(name="Forged").exists()


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "https:/\\evil.example/",
    "http://testserver@evil.example/",
])
def test_the_login_page_never_redirects_to_another_host(target):
    user = UserFactory()

    response = Client().post(
        "/login/", {"username": user.username, "password": DEFAULT_PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_login_page_follows_a_local_next():
    user = UserFactory()

    response = Client().post(
        "/login/", {"username": user.username, "password": DEFAULT_PASSWORD, "next": "/projects/7/"}
    )

    assert response["Location"] == "/projects/7/"


def test_a_huge_page_size_is_capped(project, manager_api):
    Task.objects.bulk_create(TaskFactory.build_batch(201, project=project))

    body = manager_api.get(f"/api/v1/projects/{project.id}/tasks/?page_size=100000").json()

    assert body["count"] == 201
    assert len(body["results"]) == 200
    assert body["next"] is not None


def test_a_json_body_over_the_limit_is_a_413_with_a_json_error(project, manager_api, small_body_limit):
    body = json.dumps({"name": "x" * 2 * BODY_LIMIT})

    response = manager_api.patch(
        f"/api/v1/projects/{project.id}/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": f"The request body is {len(body)} bytes; the limit is {BODY_LIMIT}."
    }
    project.refresh_from_db()
    assert not project.name.startswith("xxx")


def test_a_body_under_the_limit_that_is_not_json_is_still_a_400(project, manager_api, small_body_limit):
    response = manager_api.patch(
        f"/api/v1/projects/{project.id}/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_multipart_fields_over_the_limit_are_a_413_with_a_json_error(project, manager_api, small_body_limit):
    # Django's multipart parser counts the text fields against the limit, not the files.
    response = manager_api.post(
        f"/api/v1/projects/{project.id}/imports/", {"note": "x" * 2 * BODY_LIMIT}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request's form fields are over the limit of {BODY_LIMIT} bytes."
    }


def test_too_many_form_fields_are_a_400_with_a_json_error(project, manager_api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    fields = {f"f{n}": "x" for n in range(5)}

    response = manager_api.post(
        f"/api/v1/projects/{project.id}/imports/", fields, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request has too many fields or files."}


def pixel_bomb(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header claims width × height pixels (its IHDR CRC recomputed)."""
    png = bytearray(png_bytes(1, 1))
    assert png[12:16] == b"IHDR"
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(png[12:29]))
    return bytes(png)


def test_an_image_claiming_100000_by_100000_pixels_is_refused_without_decoding(monkeypatch):
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda image: decoded.append(image) or real_load(image)
    )
    bomb = pixel_bomb(100_000, 100_000)
    with monkeypatch.context() as unlimited:  # the forged header reads as such
        unlimited.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(io.BytesIO(bomb)) as image:
            assert image.size == (100_000, 100_000)
    project = ProjectFactory(task_type=TaskType.IMAGE_CLASSIFICATION)
    archive = zip_bytes({"bomb.png": bomb, "ok.png": png_bytes(4, 4)})

    job = run_import(project, "photos.zip", archive)

    assert job.imported == 1
    assert "bomb.png" in errors_of(job)[1]
    assert f"claims more than {Image.MAX_IMAGE_PIXELS:,} pixels" in errors_of(job)[1]
    assert not Task.objects.filter(data__file="bomb.png").exists()
    assert decoded == []


@pytest.fixture
def broken_selector(monkeypatch):
    def explode(**kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(project_apis, "projects_for_user", explode)
    monkeypatch.setattr("annotator.views.projects_for_user", explode)


def assert_says_nothing_internal(text: str) -> None:
    for leak in ("secret-detail", "/srv/app", "x.py", "Traceback", "RuntimeError", "File \""):
        assert leak not in text


def test_the_json_500_says_nothing_internal(manager, broken_selector, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(manager)

    response = client.get("/api/v1/projects/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    assert_says_nothing_internal(response.content.decode())


def test_the_html_500_page_is_ours_and_says_nothing_internal(manager, broken_selector, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(manager)

    response = client.get("/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert_says_nothing_internal(page)


def test_the_bounded_json_parser_answers_413_on_any_drf_version(small_body_limit):
    """DRF before 3.17.2 parses the stream itself, past Django's check: our parser refuses."""
    from rest_framework.test import APIRequestFactory

    from platform_core.apis.common import BoundedJSONParser
    from platform_core.apis.errors import RequestTooLarge

    body = json.dumps({"name": "x" * 2 * BODY_LIMIT}).encode()
    request = APIRequestFactory().post("/", body, content_type="application/json")
    with pytest.raises(RequestTooLarge) as refused:
        BoundedJSONParser().parse(io.BytesIO(body), parser_context={"request": request})
    assert refused.value.status_code == 413


def test_a_database_that_stopped_answering_is_a_503_to_retry_not_a_500(manager, monkeypatch):
    """While PostgreSQL restarts (bench/fault_drill.py), the API says to try again."""
    from django.db import OperationalError

    def restarting(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(project_apis, "projects_for_user", restarting)
    client = Client(raise_request_exception=False)
    client.force_login(manager)

    response = client.get("/api/v1/projects/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["detail"].startswith("The database is not answering; nothing was saved.")
    assert "administrator" not in response.content.decode()
