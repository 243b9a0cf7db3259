"""Exports kept by the worker, and the delivery of a custom project: its final export with a
checksum, then an admin's purge of its data, recorded in an audit row that outlives it."""
import hashlib
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from platform_core.models import ExportJob, Project, ProjectDelivery, ProjectKind, Role, Task, TaskStatus
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}


@pytest.fixture
def custom(org):
    project = ProjectFactory(organization=org, kind=ProjectKind.CUSTOM, name="Acme reviews")
    for number in range(3):
        task = TaskFactory(project=project, data={"text": f"review {number}"})
        task.media.save(f"clip{number}.txt", ContentFile(b"x"), save=False)
        Task.objects.filter(pk=task.pk).update(
            media=task.media.name, status=TaskStatus.ACCEPTED, accepted_result=POSITIVE
        )
    TaskFactory(project=project, data={"text": "not labeled yet"})
    return project


@pytest.fixture
def people(org, member, api_client):
    return {role: api_client(member(role, org)) for role in (Role.ADMIN, Role.MANAGER, Role.ANNOTATOR)}


def read_lines(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    return [json.loads(line) for line in body.splitlines()]


def test_an_export_job_writes_the_file_with_its_checksum_for_download(
    custom, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = people[Role.MANAGER].post(
            f"/api/v1/projects/{custom.id}/exports/", {"format": "jsonl"}, format="json"
        )
    assert queued.status_code == 202, queued.content
    job = people[Role.MANAGER].get(queued.json()["url"]).json()
    assert job["status"] == "succeeded" and job["attempts"] == 1

    download = people[Role.MANAGER].get(job["download_url"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == job["checksum"] and len(body) == job["file_size"]
    rows = [json.loads(line) for line in body.splitlines()]
    assert sorted(row["data"]["text"] for row in rows) == ["review 0", "review 1", "review 2"]
    assert download["Digest"] == f"sha-256={job['checksum']}"


def test_annotators_and_other_organizations_do_not_get_kept_exports(
    custom, people, member, api_client, other_org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = people[Role.MANAGER].post(f"/api/v1/projects/{custom.id}/exports/", {}, format="json").json()["id"]
    outsider = api_client(member(Role.ADMIN, other_org))
    assert outsider.get(f"/api/v1/exports/{job_id}/").status_code == 404
    assert outsider.get(f"/api/v1/exports/{job_id}/download/").status_code == 404
    assert outsider.post(f"/api/v1/projects/{custom.id}/exports/", {}, format="json").status_code == 404
    assert people[Role.ANNOTATOR].get(f"/api/v1/exports/{job_id}/download/").status_code == 403


def test_a_format_the_type_lacks_is_refused_before_anything_is_queued(custom, people):
    response = people[Role.MANAGER].post(
        f"/api/v1/projects/{custom.id}/exports/", {"format": "coco"}, format="json"
    )
    assert response.status_code == 400 and "coco" in json.dumps(response.json())
    assert not ExportJob.objects.exists()


def deliver(custom, people, capture) -> dict:
    with capture(execute=True):
        response = people[Role.MANAGER].post(f"/api/v1/projects/{custom.id}/deliver/", {}, format="json")
    assert response.status_code == 202, response.content
    return people[Role.MANAGER].get(f"/api/v1/deliveries/{response.json()['id']}/").json()


def test_delivery_keeps_the_final_export_and_the_purge_removes_the_data_but_not_the_record(
    custom, people, django_capture_on_commit_callbacks
):
    delivery = deliver(custom, people, django_capture_on_commit_callbacks)
    export = delivery["export"]
    assert export["status"] == "succeeded" and export["purpose"] == "delivery"
    assert delivery["counts"] == {"tasks": 4, "accepted": 3, "annotated": 0}
    media = list(Task.objects.filter(project=custom).exclude(media="").values_list("media", flat=True))
    assert len(media) == 3 and all(default_storage.exists(name) for name in media)

    refused = people[Role.ADMIN].post(
        f"/api/v1/deliveries/{delivery['id']}/purge/", {"confirm": "acme reviews"}, format="json"
    )
    assert refused.status_code == 400 and Project.objects.filter(pk=custom.pk, deleting=False).exists()
    assert people[Role.MANAGER].post(
        f"/api/v1/deliveries/{delivery['id']}/purge/", {"confirm": "Acme reviews"}, format="json"
    ).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        purged = people[Role.ADMIN].post(
            f"/api/v1/deliveries/{delivery['id']}/purge/", {"confirm": "Acme reviews"}, format="json"
        )

    assert purged.status_code == 202, purged.content
    assert not Project.objects.filter(pk=custom.pk).exists()
    assert not Task.objects.filter(project_id=custom.pk).exists()
    assert not any(default_storage.exists(name) for name in media)
    record = ProjectDelivery.objects.get(pk=delivery["id"])
    assert (record.project_id, record.project_name) == (None, "Acme reviews")
    assert record.purged_by_username and record.purged_at is not None
    assert record.purge["removed"]["tasks"] == 4 and record.purge["removed"]["media_files"] == 3
    assert export["checksum"] in record.purge["remains"][0]
    # The delivery file outlives the project, and still matches its checksum.
    kept = ExportJob.objects.get(pk=export["id"])
    with default_storage.open(kept.file.name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == export["checksum"]
    download = people[Role.MANAGER].get(f"/api/v1/exports/{export['id']}/download/")
    assert download.status_code == 200
    listed = people[Role.MANAGER].get(f"/api/v1/organizations/{custom.organization_id}/deliveries/")
    assert [d["id"] for d in listed.json()["results"]] == [delivery["id"]]


def test_a_product_dataset_is_neither_delivered_nor_purged(org, people, django_capture_on_commit_callbacks):
    product = ProjectFactory(organization=org, kind=ProjectKind.PRODUCT)
    response = people[Role.MANAGER].post(f"/api/v1/projects/{product.id}/deliver/", {}, format="json")
    assert response.status_code == 400
    assert "Product datasets" in json.dumps(response.json())
    assert not ProjectDelivery.objects.exists()


def test_a_delivery_turned_product_afterwards_refuses_the_purge(custom, people, django_capture_on_commit_callbacks):
    delivery = deliver(custom, people, django_capture_on_commit_callbacks)
    Project.objects.filter(pk=custom.pk).update(kind=ProjectKind.PRODUCT)
    response = people[Role.ADMIN].post(
        f"/api/v1/deliveries/{delivery['id']}/purge/", {"confirm": custom.name}, format="json"
    )
    assert response.status_code == 400 and Project.objects.filter(pk=custom.pk, deleting=False).exists()


def test_the_purge_waits_for_the_delivery_export(custom, people, django_capture_on_commit_callbacks):
    response = people[Role.MANAGER].post(f"/api/v1/projects/{custom.id}/deliver/", {}, format="json")
    assert response.status_code == 202  # no commit callbacks ran: the export is still queued
    refused = people[Role.ADMIN].post(
        f"/api/v1/deliveries/{response.json()['id']}/purge/", {"confirm": custom.name}, format="json"
    )
    assert refused.status_code == 400 and "queued" in json.dumps(refused.json())


def test_other_organizations_do_not_see_deliveries(custom, people, member, api_client, other_org, django_capture_on_commit_callbacks):
    delivery = deliver(custom, people, django_capture_on_commit_callbacks)
    outsider = api_client(member(Role.ADMIN, other_org))
    assert outsider.get(f"/api/v1/deliveries/{delivery['id']}/").status_code == 404
    assert outsider.post(
        f"/api/v1/deliveries/{delivery['id']}/purge/", {"confirm": custom.name}, format="json"
    ).status_code == 404
    assert outsider.get(f"/api/v1/organizations/{custom.organization_id}/deliveries/").status_code == 404
