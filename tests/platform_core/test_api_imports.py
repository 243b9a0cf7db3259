import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from platform_core.models import Dataset, ImportJob, ImportStatus, Role
from tests.platform_core.factories import ImportJobFactory

pytestmark = pytest.mark.django_db

ROWS = b'{"text": "good"}\n{"text": "bad"}\n'


def imports_url(project):
    return f"/api/v1/projects/{project.id}/imports/"


def upload(name="rows.jsonl", content=ROWS):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def manager_client(project, member, api_client):
    return api_client(member(Role.MANAGER, project.organization))


def test_upload_answers_202_with_a_stored_file_and_a_queued_job(
    project, manager_client, django_capture_on_commit_callbacks
):
    # The worker's import is not run here: only its registration after commit is checked.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = manager_client.post(
            imports_url(project), {"file": upload(), "dataset_name": "Batch 1"}, format="multipart"
        )

    assert response.status_code == 202
    body = response.json()
    job = ImportJob.objects.get(pk=body["id"])
    assert body["status"] == ImportStatus.QUEUED
    assert body["url"] == f"http://testserver/api/v1/imports/{job.id}/"
    assert (body["source_name"], body["file_size"]) == ("rows.jsonl", len(ROWS))
    assert body["progress"] == 0.0
    assert job.project == project
    assert Dataset.objects.get(pk=body["dataset"]).name == "Batch 1"
    with job.file.open("rb") as stored:
        assert stored.read() == ROWS
    assert len(callbacks) == 1


def test_inline_tasks_are_stored_as_jsonl(
    project, manager_client, django_capture_on_commit_callbacks
):
    rows = [{"text": "one"}, {"text": "two", "meta": {"lang": "en"}}]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = manager_client.post(imports_url(project), {"tasks": rows}, format="json")

    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    with job.file.open("rb") as stored:
        assert [json.loads(line) for line in stored.read().splitlines()] == rows
    assert len(callbacks) == 1


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ANNOTATOR])
def test_reviewers_and_annotators_cannot_import(project, member, api_client, role):
    response = api_client(member(role, project.organization)).post(
        imports_url(project), {"file": upload()}, format="multipart"
    )

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_a_400_and_stores_nothing(project, manager_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10

    response = manager_client.post(imports_url(project), {"file": upload()}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()
    assert not ImportJob.objects.exists()
    assert not Dataset.objects.exists()


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(project, manager_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10

    response = manager_client.post(
        imports_url(project), {"file": upload(content=b"x" * 100_000)}, format="multipart"
    )

    assert response.status_code == 400
    assert "100" in response.json()["file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "body, format, field",
    [
        ({"file": upload("rows.exe")}, "multipart", "file"),
        ({"file": upload(content=b"")}, "multipart", "file"),
        ({"dataset_name": "nothing"}, "multipart", "file"),
        ({"tasks": []}, "json", "tasks"),
        ({"tasks": "not a list"}, "json", "tasks"),
        ({}, "json", "tasks"),
        ({"file": "rows.jsonl"}, "json", "file"),
        ({"tasks": [{"text": "a"}], "dataset": 3}, "json", "dataset"),
    ],
)
def test_bad_import_requests_are_a_400_naming_the_field(
    project, manager_client, body, format, field
):
    response = manager_client.post(imports_url(project), body, format=format)

    assert response.status_code == 400
    assert field in response.json()
    assert not ImportJob.objects.exists()


def test_garbage_json_is_a_400(project, manager_client):
    response = manager_client.post(imports_url(project), "[{", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_managers_list_a_projects_imports(project, manager_client):
    job = ImportJobFactory(project=project)
    ImportJobFactory()  # another project's

    response = manager_client.get(imports_url(project))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [job.id]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ANNOTATOR])
def test_reviewers_and_annotators_cannot_read_imports(project, member, api_client, role):
    job = ImportJobFactory(project=project)
    client = api_client(member(role, project.organization))

    assert client.get(imports_url(project)).status_code == 403
    assert client.get(f"/api/v1/imports/{job.id}/").status_code == 403


def test_job_shows_counts_errors_and_progress(project, manager_client):
    job = ImportJobFactory(
        project=project,
        status=ImportStatus.RUNNING,
        file_size=200,
        file_position=50,
        total=4,
        imported=2,
        duplicates=1,
        error_count=1,
        errors=[{"row": 3, "error": "text is missing"}],
    )

    response = manager_client.get(f"/api/v1/imports/{job.id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == ImportStatus.RUNNING
    counts = [body[key] for key in ("total", "imported", "duplicates", "error_count")]
    assert counts == [4, 2, 1, 1]
    assert body["errors"] == [{"row": 3, "error": "text is missing"}]
    assert body["progress"] == 0.25
    assert body["url"].endswith(f"/api/v1/imports/{job.id}/")
    for key in ("dataset", "message", "created_at", "started_at", "finished_at"):
        assert key in body


def test_finished_job_reports_full_progress(project, manager_client):
    job = ImportJobFactory(project=project, status=ImportStatus.FAILED, message="Not UTF-8.")

    body = manager_client.get(f"/api/v1/imports/{job.id}/").json()

    assert (body["progress"], body["message"]) == (1.0, "Not UTF-8.")
