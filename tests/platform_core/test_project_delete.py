"""Deleting a project: hidden at once, then purged by the worker in batches, files included."""
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from annotator.models import Annotation, AnnotationVersion
from platform_core.models import Prediction, Project, Role, Task
from platform_core.services.projects import project_delete, project_purge
from tests.annotator.factories import AnnotationFactory
from tests.factories import LABEL_CONFIGS, ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def project_url(project):
    return f"/api/v1/projects/{project.id}/"


def test_a_deleted_project_is_gone_for_everyone_before_the_worker_purges_it(
    project, member, api_client
):
    annotator = member(Role.ANNOTATOR, project.organization)
    task = TaskFactory(project=project)
    annotation = AnnotationFactory(task=TaskFactory(project=project), annotator=annotator)

    # No on-commit callbacks run here: the purge has not happened yet.
    response = api_client(member(Role.MANAGER, project.organization)).delete(project_url(project))

    assert response.status_code == 204
    assert Project.objects.get(pk=project.pk).deleting  # still there, for the worker
    client = api_client(annotator)
    responses = [
        client.get(project_url(project)),
        client.post(f"/api/v1/projects/{project.id}/next-task/", format="json"),
        client.get(f"/api/v1/projects/{project.id}/tasks/"),
        client.get(f"/api/v1/tasks/{task.id}/"),
        client.get(f"/api/v1/annotations/{annotation.id}/"),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    listed = client.get("/api/v1/projects/").json()["results"]
    assert project.id not in [row["id"] for row in listed]


def test_the_name_of_a_project_being_deleted_is_free_at_once(project, member, api_client):
    manager = member(Role.MANAGER, project.organization)
    api_client(manager).delete(project_url(project))

    body = {
        "organization": project.organization_id,
        "name": project.name,
        "task_type": project.task_type,
        "label_config": LABEL_CONFIGS[project.task_type],
    }
    response = api_client(manager).post("/api/v1/projects/", body, format="json")

    assert response.status_code == 201, response.json()


def test_the_worker_deletes_the_rows_then_the_files(
    project, member, api_client, django_capture_on_commit_callbacks
):
    tasks = [TaskFactory(project=project) for _ in range(3)]
    tasks[0].media.save("clip.wav", ContentFile(b"RIFF"), save=True)
    prediction = PredictionFactory(task=tasks[1])
    annotation = AnnotationFactory(task=tasks[1], prediction=prediction)
    AnnotationVersion.objects.create(
        annotation=annotation, result={}, lead_time_s=1, created_at=annotation.created_at
    )
    artifact = default_storage.save(f"projects/{project.id}/models/v1.bin", ContentFile(b"x"))
    kept = TaskFactory()  # another project's
    kept.media.save("other.wav", ContentFile(b"RIFF"), save=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(member(Role.MANAGER, project.organization)).delete(
            project_url(project)
        )

    assert response.status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Task.objects.filter(project_id=project.id).exists()
    assert not Prediction.objects.filter(pk=prediction.pk).exists()
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    assert not AnnotationVersion.objects.exists()
    assert not default_storage.exists(tasks[0].media.name)
    assert not default_storage.exists(artifact)
    assert default_storage.exists(kept.media.name) and Task.objects.filter(pk=kept.pk).exists()


def test_the_purge_goes_in_batches_and_resumes(project):
    for _ in range(10):
        AnnotationFactory(task=TaskFactory(project=project))
    project_delete(project=project)
    first_three = list(Task.objects.filter(project=project).order_by("id")[:3])
    Task.objects.filter(pk__in=[t.pk for t in first_three]).delete()  # an earlier, killed run

    assert project_purge(project_id=project.id, batch_size=3) == 7
    assert not Task.objects.filter(project_id=project.id).exists()
    assert not Project.objects.filter(pk=project.id).exists()
    assert project_purge(project_id=project.id, batch_size=3) == 0  # a redelivered message


def test_a_project_not_marked_for_deletion_is_never_purged():
    project = ProjectFactory()
    TaskFactory(project=project)

    assert project_purge(project_id=project.id) == 0
    assert Task.objects.filter(project=project).exists()
