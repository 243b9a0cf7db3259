"""Changing a project's overlap re-derives the status of the tasks it decides: lowered, tasks
that now hold enough annotations are submitted and go to review instead of staying
`in_progress` for ever; raised, submitted tasks short of it are open to annotators again."""
import pytest

from annotator.models import ReviewItem
from annotator.services import task_claim_next
from platform_core.models import Role, Task, TaskStatus
from platform_core.services.projects import project_update
from tests.annotator.test_reviews_api import label, next_review
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def overlapped(org):
    return ProjectFactory(organization=org, overlap=3)


def status_of(task):
    task.refresh_from_db()
    return task.status


def test_lowering_overlap_submits_the_tasks_that_have_enough_and_queues_them_for_review(
    overlapped, member, api_client
):
    org = overlapped.organization
    first, second, untouched = (TaskFactory(project=overlapped) for _ in range(3))
    people = [member(Role.ANNOTATOR, org) for _ in range(2)]
    label(overlapped, people[0])  # first: one annotation
    label(overlapped, people[1])  # first again (the queue fills a started task): two
    assert status_of(first) == TaskStatus.IN_PROGRESS and first.annotation_count == 2
    reviewer = member(Role.REVIEWER, org)
    assert next_review(api_client(reviewer), overlapped).status_code == 204

    project_update(project=overlapped, data={"overlap": 2})

    assert status_of(first) == TaskStatus.SUBMITTED
    assert (status_of(second), status_of(untouched)) == (TaskStatus.NEW, TaskStatus.NEW)
    assert ReviewItem.objects.filter(task=first).count() == 2
    assert next_review(api_client(reviewer), overlapped).json()["task"]["id"] == first.pk


def test_a_lock_on_a_task_that_no_longer_needs_labels_is_released(overlapped, member):
    org = overlapped.organization
    task = TaskFactory(project=overlapped)
    label(overlapped, member(Role.ANNOTATOR, org))
    holder = member(Role.ANNOTATOR, org)
    assert task_claim_next(project=overlapped, user=holder).pk == task.pk

    overlapped = project_update(project=overlapped, data={"overlap": 1})

    task.refresh_from_db()
    assert (task.status, task.locked_by_id, task.locked_until) == (TaskStatus.SUBMITTED, None, None)
    assert task_claim_next(project=overlapped, user=holder) is None


def test_raising_overlap_reopens_submitted_tasks_and_leaves_accepted_ones(org, member):
    project = ProjectFactory(organization=org, overlap=1)
    submitted, accepted = TaskFactory(project=project), TaskFactory(project=project)
    label(project, member(Role.ANNOTATOR, org))
    label(project, member(Role.ANNOTATOR, org))
    Task.objects.filter(pk=accepted.pk).update(status=TaskStatus.ACCEPTED)
    assert status_of(submitted) == TaskStatus.SUBMITTED

    project = project_update(project=project, data={"overlap": 2})

    assert (status_of(submitted), status_of(accepted)) == (TaskStatus.IN_PROGRESS, TaskStatus.ACCEPTED)
    newcomer = member(Role.ANNOTATOR, org)
    assert task_claim_next(project=project, user=newcomer).pk == submitted.pk


def test_the_api_patch_re_derives_too(overlapped, member, api_client):
    org = overlapped.organization
    task = TaskFactory(project=overlapped)
    label(overlapped, member(Role.ANNOTATOR, org))
    manager = member(Role.MANAGER, org)
    response = api_client(manager).patch(
        f"/api/v1/projects/{overlapped.id}/", {"overlap": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert status_of(task) == TaskStatus.SUBMITTED
