"""Managers make a task gold from its accepted result (or a given answer) and unmake it; the
task's annotations are judged against the answer at once."""
import pytest

from platform_core.models import Role, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


def gold_url(task):
    return f"/api/v1/tasks/{task.id}/gold/"


def test_the_accepted_result_becomes_the_gold_answer_and_judges_the_annotations(
    project, member, api_client
):
    task = TaskFactory(project=project, status=TaskStatus.ACCEPTED, accepted_result=POSITIVE)
    right = AnnotationFactory(task=task, result=POSITIVE)
    wrong = AnnotationFactory(task=task, result=NEGATIVE)
    client = api_client(member(Role.MANAGER, project.organization))

    response = client.post(gold_url(task), {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["gold_result"] == POSITIVE
    right.refresh_from_db(), wrong.refresh_from_db()
    assert (right.gold_correct, wrong.gold_correct) == (True, False)

    cleared = client.delete(gold_url(task))

    assert cleared.status_code == 200 and cleared.json()["gold_result"] is None
    right.refresh_from_db()
    assert right.gold_correct is None


def test_a_given_answer_is_validated_and_a_task_without_one_is_a_400(project, member, api_client):
    task = TaskFactory(project=project)
    client = api_client(member(Role.ADMIN, project.organization))

    assert client.post(gold_url(task), {}, format="json").status_code == 400
    bad = client.post(gold_url(task), {"result": {"labels": ["nope"]}}, format="json")
    assert bad.status_code == 400 and "result" in bad.json()
    good = client.post(gold_url(task), {"result": NEGATIVE}, format="json")
    assert good.json()["gold_result"] == NEGATIVE


def test_only_managers_and_admins_of_the_organization_mark_gold(
    project, member, other_org, api_client
):
    task = TaskFactory(project=project, accepted_result=POSITIVE)

    for role in (Role.ANNOTATOR, Role.REVIEWER):
        client = api_client(member(role, project.organization))
        assert client.post(gold_url(task), {}, format="json").status_code == 403
    outsider = api_client(member(Role.ADMIN, other_org))
    assert outsider.post(gold_url(task), {}, format="json").status_code == 404
    task.refresh_from_db()
    assert task.gold_result is None
