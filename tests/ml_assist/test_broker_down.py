"""While the broker is down, work people save is answered as saved: the after-commit messages
(retrain check, threshold adjustment) are logged as lost instead of turning a 201 into a 500."""
import logging

import pytest
from kombu.exceptions import OperationalError

from annotator.models import Annotation, Review
from annotator.services import annotation_submit, task_claim_next
from ml_assist import tasks
from platform_core.models import Role
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    from platform_core.tasks import import_run_task, project_purge_task

    for task in (tasks.retrain_check_task, tasks.threshold_adjust_task, tasks.prelabel_task,
                 tasks.train_task, import_run_task, project_purge_task):
        monkeypatch.setattr(task, "apply_async", refuse)


def test_a_submit_is_a_201_and_saved_while_the_broker_is_down(
    project, member, api_client, broker_down, django_capture_on_commit_callbacks, caplog
):
    task = TaskFactory(project=project)
    client = api_client(member(Role.ANNOTATOR, project.organization))
    client.post(f"/api/v1/projects/{project.id}/next-task/")

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/tasks/{task.id}/annotations/",
            {"result": {"labels": ["positive"]}, "lead_time_s": 2.0}, format="json",
        )

    assert response.status_code == 201, response.content
    assert Annotation.objects.filter(task=task).exists()
    assert "ml.retrain_check" in caplog.text


def test_a_verdict_is_a_201_and_saved_while_the_broker_is_down(
    project, member, api_client, broker_down, django_capture_on_commit_callbacks
):
    TaskFactory(project=project)
    annotator = member(Role.ANNOTATOR, project.organization)
    held = task_claim_next(project=project, user=annotator)
    annotation = annotation_submit(
        task_id=held.pk, user=annotator, result={"labels": ["positive"]}, lead_time_s=1.0
    )
    client = api_client(member(Role.REVIEWER, project.organization))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/annotations/{annotation.id}/review/", {"verdict": "accept"}, format="json"
        )

    assert response.status_code == 201, response.content
    assert Review.objects.filter(annotation=annotation, verdict="accept").exists()


def test_jobs_asked_for_while_the_broker_is_down_are_accepted_and_left_for_the_sweeper(
    project, member, api_client, broker_down, django_capture_on_commit_callbacks, caplog
):
    """The job row is committed; its message is re-sent by platform_core.jobs.jobs_sweep."""
    from ml_assist.models import MlJob
    from platform_core.models import ImportJob, Project

    client = api_client(member(Role.MANAGER, project.organization))
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        imported = client.post(
            f"/api/v1/projects/{project.id}/imports/", {"tasks": [{"text": "a"}]}, format="json"
        )
        train = client.post(f"/api/v1/projects/{project.id}/train/", {}, format="json")
        prelabel = client.post(f"/api/v1/projects/{project.id}/prelabel/", {}, format="json")
        deleted = client.delete(f"/api/v1/projects/{project.id}/")

    assert [r.status_code for r in (imported, train, prelabel, deleted)] == [202, 202, 202, 204]
    assert ImportJob.objects.get(pk=imported.json()["id"]).status == "queued"
    assert set(MlJob.objects.filter(project=project).values_list("status", flat=True)) == {"queued"}
    assert Project.objects.get(pk=project.pk).deleting
    assert caplog.text.count("The broker refused") == 4
