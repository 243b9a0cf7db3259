"""The task queue: skipping a task, and gold tasks (accuracy recorded, never shown)."""
import pytest

from annotator.models import Annotation, TaskSkip
from annotator.services import annotation_submit, task_claim_next
from platform_core.models import Role, Task, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.annotator.test_queue import POSITIVE, claim, label, next_task, submit
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db


# --- skip ---------------------------------------------------------------------------------------


def test_a_skipped_task_is_not_served_again_to_that_annotator_but_is_to_others(
    project, annotator, colleague, api_client
):
    task = TaskFactory(project=project)
    client = api_client(annotator)
    assert next_task(client, project).json()["id"] == task.id

    response = client.post(
        f"/api/v1/tasks/{task.id}/skip/", {"reason": "unreadable"}, format="json"
    )

    assert response.status_code == 204
    assert TaskSkip.objects.get().reason == "unreadable"
    assert next_task(client, project).status_code == 204
    assert claim(project, colleague) == task.id


def test_a_skipped_task_goes_back_to_suggested_when_it_has_a_suggestion(project, annotator):
    task = TaskFactory(project=project, status=TaskStatus.SUGGESTED)
    PredictionFactory(task=task)
    claim(project, annotator)

    from annotator.services import task_skip

    task_skip(task_id=task.id, user=annotator, reason="")

    task.refresh_from_db()
    assert (task.status, task.locked_by) == (TaskStatus.SUGGESTED, None)


def test_skipping_a_task_one_does_not_hold_is_a_409(project, annotator, colleague, api_client):
    task = TaskFactory(project=project)
    claim(project, colleague)

    response = api_client(annotator).post(f"/api/v1/tasks/{task.id}/skip/", {}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "locked_by_other")
    assert not TaskSkip.objects.exists()


def test_a_skip_reason_longer_than_500_characters_is_a_400(project, annotator, api_client):
    task = TaskFactory(project=project)
    claim(project, annotator)

    response = api_client(annotator).post(
        f"/api/v1/tasks/{task.id}/skip/", {"reason": "x" * 501}, format="json"
    )

    assert response.status_code == 400 and "reason" in response.json()
    assert Task.objects.get(pk=task.id).locked_by == annotator


def test_annotated_tasks_are_not_served_again_to_their_annotator(org, member):
    project = ProjectFactory(organization=org, overlap=3)
    done, todo = TaskFactory(project=project, priority=1.0), TaskFactory(project=project)
    annotator = member(Role.ANNOTATOR, org)
    AnnotationFactory(task=done, annotator=annotator)

    assert claim(project, annotator) == todo.id


# --- gold ---------------------------------------------------------------------------------------


def test_gold_accuracy_is_recorded_per_annotator(org, member, api_client):
    project = ProjectFactory(organization=org, overlap=2)
    annotator, colleague = member(Role.ANNOTATOR, org), member(Role.ANNOTATOR, org)
    for index in range(3):
        TaskFactory(project=project, gold_result=POSITIVE, priority=10 - index)
    answers = {annotator: ["positive", "positive", "negative"], colleague: ["negative"]}
    for user, labels in answers.items():
        for value in labels:
            task = task_claim_next(project=project, user=user)
            annotation_submit(task_id=task.id, user=user, result={"labels": [value]}, lead_time_s=1)

    manager = member(Role.MANAGER, project.organization)
    response = api_client(manager).get(f"/api/v1/projects/{project.id}/gold-accuracy/")

    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["annotators"]}
    mine = rows[annotator.username]
    assert (mine["gold_answered"], mine["correct"]) == (3, 2)
    assert mine["accuracy"] == pytest.approx(2 / 3)
    assert (rows[colleague.username]["correct"], rows[colleague.username]["accuracy"]) == (0, 0.0)


def test_non_gold_tasks_do_not_count_towards_gold_accuracy(project, annotator):
    TaskFactory(project=project)
    label(project, annotator, claim(project, annotator))

    assert Annotation.objects.get().gold_correct is None


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_gold_accuracy_is_for_admins_and_managers_only(project, member, api_client, role):
    response = api_client(member(role, project.organization)).get(
        f"/api/v1/projects/{project.id}/gold-accuracy/"
    )

    assert response.status_code == 403


def test_annotators_never_see_gold_results_or_whether_they_matched(project, annotator, api_client):
    task = TaskFactory(project=project, gold_result=POSITIVE)
    client = api_client(annotator)

    served = next_task(client, project)
    submitted = submit(client, task.id)
    read = client.get(f"/api/v1/annotations/{submitted.json()['id']}/")

    for response in (served, submitted, read):
        text = response.content.decode()
        assert "gold" not in text, text
