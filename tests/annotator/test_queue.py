"""The task queue: order, locks and their expiry, overlap, submit, who may use it (skip and gold
tasks: test_queue_skip_and_gold.py)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotator.models import Annotation
from annotator.services import annotation_submit, task_claim_next
from annotator.services.queue import NEXT_FREE_TASK_SQL
from platform_core.models import Role, Task, TaskStatus
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}


def next_task(client, project):
    return client.post(f"/api/v1/projects/{project.id}/next-task/", format="json")


def submit(client, task_id, result=POSITIVE, **extra):
    body = {"result": result, "lead_time_s": 2.5, **extra}
    return client.post(f"/api/v1/tasks/{task_id}/annotations/", body, format="json")


def claim(project, user):
    task = task_claim_next(project=project, user=user)
    return None if task is None else task.id


def expire_lock(task_id):
    Task.objects.filter(pk=task_id).update(locked_until=timezone.now() - timedelta(seconds=1))


def label(project, user, task_id):
    return annotation_submit(task_id=task_id, user=user, result=POSITIVE, lead_time_s=1.0)


# --- order --------------------------------------------------------------------------------------


def test_next_task_serves_the_highest_priority_first(project, annotator, colleague, member):
    low = TaskFactory(project=project, priority=0.1)
    high = TaskFactory(project=project, priority=0.9)
    middle = TaskFactory(project=project, priority=0.5)
    third = member(Role.ANNOTATOR, project.organization)

    served = [claim(project, user) for user in (annotator, colleague, third)]

    assert served == [high.id, middle.id, low.id]


def test_equal_priorities_are_served_oldest_first(project, annotator, colleague):
    first, second = TaskFactory(project=project), TaskFactory(project=project)

    assert claim(project, annotator) == first.id
    assert claim(project, colleague) == second.id


def test_closed_tasks_are_never_served(project, annotator):
    for status in (TaskStatus.SUBMITTED, TaskStatus.ACCEPTED, TaskStatus.AUTO_ACCEPTED):
        TaskFactory(project=project, status=status, priority=1.0)
    open_task = TaskFactory(project=project, status=TaskStatus.SUGGESTED)

    assert claim(project, annotator) == open_task.id


def test_next_task_answers_204_when_nothing_is_left(project, annotator, api_client):
    assert next_task(api_client(annotator), project).status_code == 204


@pytest.mark.servers  # the plan is PostgreSQL's
def test_the_claim_can_walk_the_queue_index_in_order_without_sorting(project):
    params = {"user": 1, "project": project.id, "overlap": 1, "now": timezone.now(), "until": None}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + NEXT_FREE_TASK_SQL.format(row_lock=""), params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "task_open_queue_idx" in plan and "Sort" not in plan, plan


# --- locks --------------------------------------------------------------------------------------


def test_next_task_returns_the_task_its_suggestion_and_lock_expiry(project, annotator, api_client):
    task = TaskFactory(project=project, data={"text": "hi"}, gold_result=POSITIVE)
    PredictionFactory(task=task, model_version="v1", result={"labels": ["negative"]})
    latest = PredictionFactory(task=task, model_version="v2", confidence=0.8)

    body = next_task(api_client(annotator), project).json()

    assert (body["id"], body["data"], body["status"]) == (task.id, {"text": "hi"}, "in_progress")
    assert body["suggestion"]["id"] == latest.id
    assert (body["suggestion"]["model_version"], body["suggestion"]["confidence"]) == ("v2", 0.8)
    assert body["suggestion"]["result"] == POSITIVE
    assert body["lock_expires_at"]
    assert "gold_result" not in body and "locked_by" not in body


def test_next_task_shows_the_task_as_the_task_api_does_plus_the_lock_and_review_note(
    project, annotator, api_client
):
    task = TaskFactory(project=project, data={"text": "hi"}, meta={"source": "web"})
    PredictionFactory(task=task)
    client = api_client(annotator)

    served = next_task(client, project).json()
    shown = client.get(f"/api/v1/tasks/{task.id}/").json()
    # The queue serves open tasks: no final label yet, and the history lives on the task page.
    shown_while_open = {k: v for k, v in shown.items() if k not in ("accepted_result", "history")}

    assert set(served) == set(shown_while_open) | {"lock_expires_at", "review_note"}
    assert {key: served[key] for key in shown_while_open} == shown_while_open
    assert served["review_note"] is None


def test_the_lock_lasts_the_configured_lease(project, annotator, settings):
    settings.ANNOTATOR_LOCK_SECONDS = 30
    task = TaskFactory(project=project)

    before = timezone.now()
    claim(project, annotator)

    task.refresh_from_db()
    assert task.locked_by == annotator and task.status == TaskStatus.IN_PROGRESS
    lease = timedelta(seconds=30)
    assert before + lease - timedelta(seconds=1) < task.locked_until <= timezone.now() + lease


def test_asking_again_while_holding_a_live_lock_returns_the_same_task(
    project, annotator, api_client
):
    TaskFactory(project=project, priority=1.0)
    TaskFactory(project=project)
    client = api_client(annotator)

    first = next_task(client, project).json()
    Task.objects.filter(pk=first["id"]).update(locked_until=timezone.now() + timedelta(seconds=5))
    again = next_task(client, project).json()

    assert again["id"] == first["id"]
    assert again["lock_expires_at"] >= first["lock_expires_at"]  # renewed, not shortened
    assert Task.objects.filter(locked_by=annotator).count() == 1


def test_a_live_lock_keeps_the_task_from_everyone_else(project, annotator, colleague):
    task = TaskFactory(project=project)

    assert claim(project, annotator) == task.id
    assert claim(project, colleague) is None


def test_an_expired_lock_frees_the_task_for_another_annotator(project, annotator, colleague):
    task = TaskFactory(project=project)
    claim(project, annotator)
    expire_lock(task.id)

    assert claim(project, colleague) == task.id
    assert Task.objects.get(pk=task.id).locked_by == colleague


def test_a_submit_after_the_lock_expired_and_was_taken_is_a_409(
    project, annotator, colleague, api_client
):
    task = TaskFactory(project=project)
    claim(project, annotator)
    expire_lock(task.id)
    claim(project, colleague)

    response = submit(api_client(annotator), task.id)

    assert response.status_code == 409
    assert response.json()["code"] == "locked_by_other"
    assert submit(api_client(colleague), task.id).status_code == 201
    assert list(Annotation.objects.values_list("annotator", flat=True)) == [colleague.id]


def test_a_submit_on_an_expired_lock_nobody_took_is_accepted(project, annotator, api_client):
    task = TaskFactory(project=project)
    claim(project, annotator)
    expire_lock(task.id)

    assert submit(api_client(annotator), task.id).status_code == 201


def test_a_submit_from_someone_who_never_held_the_task_is_a_409(
    project, annotator, colleague, api_client
):
    held, free = TaskFactory(project=project), TaskFactory(project=project)
    claim(project, annotator)

    taken = submit(api_client(colleague), held.id)
    untaken = submit(api_client(colleague), free.id)

    assert (taken.status_code, taken.json()["code"]) == (409, "locked_by_other")
    assert (untaken.status_code, untaken.json()["code"]) == (409, "not_locked")
    assert not Annotation.objects.exists()


def test_release_gives_the_task_back_to_the_queue(project, annotator, colleague, api_client):
    task = TaskFactory(project=project)
    claim(project, annotator)

    response = api_client(annotator).post(f"/api/v1/tasks/{task.id}/release/", format="json")

    assert response.status_code == 204
    task.refresh_from_db()
    assert (task.locked_by, task.locked_until, task.status) == (None, None, TaskStatus.NEW)
    assert claim(project, colleague) == task.id


def test_a_release_naming_an_old_lease_keeps_the_renewed_lock(project, annotator, api_client):
    """A reload: the new page claims the task again before the old page's goodbye arrives."""
    task = TaskFactory(project=project)
    client = api_client(annotator)
    old_lease = client.post(f"/api/v1/projects/{project.id}/next-task/").json()["lock_expires_at"]
    new_lease = client.post(f"/api/v1/projects/{project.id}/next-task/").json()["lock_expires_at"]
    url = f"/api/v1/tasks/{task.id}/release/"

    late_goodbye = client.post(url, {"lock_expires_at": old_lease}, format="json")
    task.refresh_from_db()
    still_held = task.locked_by
    goodbye = client.post(url, {"lock_expires_at": new_lease}, format="json")

    assert old_lease != new_lease
    assert (late_goodbye.status_code, still_held) == (204, annotator)
    assert goodbye.status_code == 204
    task.refresh_from_db()
    assert task.locked_by is None


def test_releasing_a_task_one_does_not_hold_is_a_409(project, annotator, api_client):
    task = TaskFactory(project=project)

    response = api_client(annotator).post(f"/api/v1/tasks/{task.id}/release/", format="json")

    assert (response.status_code, response.json()["code"]) == (409, "not_locked")


# --- overlap and submit -------------------------------------------------------------------------


def test_overlap_two_hands_a_task_to_two_annotators_and_never_a_third(org, member):
    project = ProjectFactory(organization=org, overlap=2)
    task = TaskFactory(project=project)
    first, second, third = (member(Role.ANNOTATOR, org) for _ in range(3))

    assert claim(project, first) == task.id
    assert claim(project, second) is None  # one lock at a time, even with overlap
    label(project, first, task.id)
    assert claim(project, first) is None  # never the same annotator twice
    assert claim(project, second) == task.id
    label(project, second, task.id)

    assert claim(project, third) is None
    task.refresh_from_db()
    assert (task.annotation_count, task.status, task.locked_by) == (2, TaskStatus.SUBMITTED, None)


def test_a_partly_annotated_task_stays_in_progress_and_unlocked(org, member):
    project = ProjectFactory(organization=org, overlap=2)
    task = TaskFactory(project=project)
    annotator = member(Role.ANNOTATOR, org)
    claim(project, annotator)

    label(project, annotator, task.id)

    task.refresh_from_db()
    assert (task.annotation_count, task.status, task.locked_by) == (1, TaskStatus.IN_PROGRESS, None)


def test_a_submit_when_overlap_is_already_full_is_a_409(project, annotator, api_client):
    task = TaskFactory(project=project)
    claim(project, annotator)
    Task.objects.filter(pk=task.id).update(annotation_count=1)  # e.g. a manager lowered overlap

    response = submit(api_client(annotator), task.id)

    assert (response.status_code, response.json()["code"]) == (409, "overlap_full")


def test_submit_records_lead_time_and_the_suggestion_it_started_from(
    project, annotator, api_client
):
    task = TaskFactory(project=project)
    suggestion = PredictionFactory(task=task, result=POSITIVE)
    client = api_client(annotator)
    next_task(client, project)

    response = submit(client, task.id, prediction=suggestion.id)

    assert response.status_code == 201, response.json()
    annotation = Annotation.objects.get()
    assert (annotation.lead_time_s, annotation.prediction, annotation.changed_from_suggestion) == (
        2.5,
        suggestion,
        False,
    )
    assert response.json()["id"] == annotation.id


def test_a_result_differing_from_the_suggestion_is_marked_changed(project, annotator, api_client):
    task = TaskFactory(project=project)
    suggestion = PredictionFactory(task=task, result={"labels": ["negative"]})
    client = api_client(annotator)
    next_task(client, project)

    submit(client, task.id, prediction=suggestion.id)

    assert Annotation.objects.get().changed_from_suggestion is True


def test_without_a_suggestion_changed_is_unknown(project, annotator, api_client):
    task = TaskFactory(project=project)
    client = api_client(annotator)
    next_task(client, project)

    submit(client, task.id, prediction=None)

    assert Annotation.objects.get().changed_from_suggestion is None


# --- who may use the queue ----------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_of_the_organization_may_label(project, member, api_client, role):
    task = TaskFactory(project=project)
    client = api_client(member(role, project.organization))

    assert next_task(client, project).json()["id"] == task.id
    assert submit(client, task.id).status_code == 201


def test_another_organization_gets_404_everywhere(project, annotator, member, api_client):
    task = TaskFactory(project=project)
    claim(project, annotator)
    outsider = api_client(member(Role.ADMIN))

    responses = [
        next_task(outsider, project),
        outsider.get(f"/api/v1/projects/{project.id}/progress/"),
        outsider.get(f"/api/v1/projects/{project.id}/gold-accuracy/"),
        submit(outsider, task.id),
        outsider.post(f"/api/v1/tasks/{task.id}/skip/", {}, format="json"),
        outsider.post(f"/api/v1/tasks/{task.id}/release/", {}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert Task.objects.get(pk=task.id).locked_by == annotator


def test_ids_beyond_the_databases_range_are_not_found(annotator, api_client):
    client = api_client(annotator)
    beyond = 2**63

    responses = [
        client.post(f"/api/v1/projects/{beyond}/next-task/", format="json"),
        submit(client, beyond),
        client.post(f"/api/v1/tasks/{beyond}/skip/", {}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert all("detail" in r.json() for r in responses)


def test_anonymous_callers_are_refused(project, api_client):
    assert next_task(api_client(), project).status_code in (401, 403)
