"""Submitting through the API (its 400s and 409s), editing one's own annotation with history,
and the progress line."""
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from annotator import selectors
from annotator.models import Annotation, AnnotationStatus, AnnotationVersion
from annotator.services import annotation_submit, task_claim_next
from platform_core.models import Role, Task, TaskStatus, TaskType
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


@pytest.fixture
def held_task(project, annotator):
    TaskFactory(project=project)
    return task_claim_next(project=project, user=annotator)


def submit(client, task, body):
    return client.post(f"/api/v1/tasks/{task.id}/annotations/", body, format="json")


def annotation_url(annotation_id):
    return f"/api/v1/annotations/{annotation_id}/"


@pytest.fixture
def submitted(held_task, annotator, api_client):
    response = submit(api_client(annotator), held_task, {"result": POSITIVE, "lead_time_s": 4})
    assert response.status_code == 201, response.json()
    return response.json()


# --- submit: 400 and 409 ------------------------------------------------------------------------


def test_an_invalid_result_is_a_400_naming_the_field_and_keeps_the_lock(
    held_task, annotator, api_client
):
    body = {"result": {"labels": ["x"]}, "lead_time_s": 1}

    response = submit(api_client(annotator), held_task, body)

    assert response.status_code == 400
    assert response.json() == {"result": ["labels[0]: unknown label 'x'."]}
    held_task.refresh_from_db()
    assert held_task.locked_by == annotator and held_task.annotation_count == 0


def test_a_span_outside_the_text_is_a_400_naming_its_path(org, member, api_client):
    project = ProjectFactory(organization=org, task_type=TaskType.TEXT_SPANS)
    TaskFactory(project=project, data={"text": "Ada"})
    user = member(Role.ANNOTATOR, org)
    task = task_claim_next(project=project, user=user)
    spans = [{"start": 0, "end": 3, "label": "PER"}, {"start": 1, "end": 9, "label": "PER"}]

    response = submit(api_client(user), task, {"result": {"spans": spans}, "lead_time_s": 1})

    assert response.status_code == 400
    assert response.json()["result"][0].startswith("spans[1]: needs 0 <= start < end <= 3")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"lead_time_s": 1}, "result"),
        ({"result": POSITIVE, "lead_time_s": -1}, "lead_time_s"),
        ({"result": POSITIVE, "lead_time_s": "soon"}, "lead_time_s"),
        ({"result": POSITIVE, "lead_time_s": [4]}, "lead_time_s"),
        ({"result": POSITIVE, "lead_time_s": 1, "status": "accepted"}, "status"),
        ({"result": POSITIVE, "lead_time_s": 1, "prediction": "latest"}, "prediction"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(held_task, annotator, api_client, body, field):
    response = submit(api_client(annotator), held_task, body)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("body", [{"result": POSITIVE}, {"result": POSITIVE, "lead_time_s": None}])
def test_a_submit_without_an_active_time_stores_it_as_unknown(
    held_task, annotator, api_client, body
):
    # Scripts loading labels made elsewhere have no active time; unknown is not zero seconds.
    response = submit(api_client(annotator), held_task, body)

    assert response.status_code == 201, response.json()
    assert response.json()["lead_time_s"] is None
    assert Annotation.objects.get(pk=response.json()["id"]).lead_time_s is None
    held_task.refresh_from_db()
    assert held_task.locked_by is None and held_task.annotation_count == 1


def test_a_suggestion_of_another_task_is_refused(held_task, annotator, project, api_client):
    elsewhere = PredictionFactory(task=TaskFactory(project=project))
    body = {"result": POSITIVE, "lead_time_s": 1, "prediction": elsewhere.id}

    response = submit(api_client(annotator), held_task, body)

    assert response.status_code == 400
    assert response.json() == {"prediction": ["Not a suggestion for this task."]}


def test_submitting_twice_is_a_409_pointing_at_the_annotation_to_edit(
    held_task, annotator, api_client, submitted
):
    response = submit(api_client(annotator), held_task, {"result": NEGATIVE, "lead_time_s": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "already_annotated"
    assert response.json()["annotation"] == submitted["id"]


def test_the_submit_response_is_the_annotation(submitted, held_task, annotator):
    assert submitted["task"] == held_task.id and submitted["annotator"] == annotator.id
    assert (submitted["result"], submitted["lead_time_s"], submitted["status"]) == (
        POSITIVE,
        4.0,
        "submitted",
    )
    assert submitted["changed_from_suggestion"] is None and submitted["prediction"] is None


# --- edit with history --------------------------------------------------------------------------


def test_editing_keeps_each_earlier_result_in_the_history(submitted, annotator, api_client):
    client = api_client(annotator)

    url = annotation_url(submitted["id"])

    first = client.patch(url, {"result": NEGATIVE, "lead_time_s": 2}, format="json")
    second = client.patch(url, {"result": POSITIVE}, format="json")

    assert first.status_code == 200 and second.status_code == 200
    body = client.get(annotation_url(submitted["id"])).json()
    assert body["result"] == POSITIVE
    assert body["lead_time_s"] == 6.0  # 4 s labeling + 2 s on the first edit + 0
    assert [version["result"] for version in body["history"]] == [NEGATIVE, POSITIVE]
    assert [version["lead_time_s"] for version in body["history"]] == [6.0, 4.0]


def test_an_edit_that_changes_nothing_adds_no_history(submitted, annotator, api_client):
    client = api_client(annotator)

    client.patch(annotation_url(submitted["id"]), {"result": POSITIVE}, format="json")

    assert not AnnotationVersion.objects.exists()


def test_an_edit_is_validated_like_a_submit(submitted, annotator, api_client):
    response = api_client(annotator).patch(
        annotation_url(submitted["id"]), {"result": {"labels": []}}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"result": ["labels: must be a non-empty list of labels."]}
    assert Annotation.objects.get().result == POSITIVE and not AnnotationVersion.objects.exists()


def test_an_edit_re_measures_the_change_from_the_suggestion(project, annotator, api_client):
    task = TaskFactory(project=project)
    suggestion = PredictionFactory(task=task, result=POSITIVE)
    task_claim_next(project=project, user=annotator)
    client = api_client(annotator)
    body = {"result": POSITIVE, "lead_time_s": 1, "prediction": suggestion.id}
    created = submit(client, task, body)
    assert created.json()["changed_from_suggestion"] is False

    edited = client.patch(annotation_url(created.json()["id"]), {"result": NEGATIVE}, format="json")

    assert edited.json()["changed_from_suggestion"] is True
    assert edited.json()["history"][0]["changed_from_suggestion"] is False


def test_an_edit_re_judges_a_gold_answer(project, annotator, api_client):
    TaskFactory(project=project, gold_result=POSITIVE)
    task = task_claim_next(project=project, user=annotator)
    client = api_client(annotator)
    created = submit(client, task, {"result": NEGATIVE, "lead_time_s": 1}).json()
    assert Annotation.objects.get().gold_correct is False

    client.patch(annotation_url(created["id"]), {"result": POSITIVE}, format="json")

    assert Annotation.objects.get().gold_correct is True


def test_a_reviewed_annotation_can_no_longer_be_edited(submitted, annotator, api_client):
    Annotation.objects.filter(pk=submitted["id"]).update(status=AnnotationStatus.ACCEPTED)

    response = api_client(annotator).patch(
        annotation_url(submitted["id"]), {"result": NEGATIVE}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "reviewed")


def test_the_suggestion_an_annotation_started_from_cannot_be_changed(
    submitted, annotator, api_client
):
    response = api_client(annotator).patch(
        annotation_url(submitted["id"]), {"result": NEGATIVE, "prediction": 1}, format="json"
    )

    assert response.status_code == 400 and "prediction" in response.json()


# --- who may read and edit ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.MANAGER, Role.ADMIN, Role.REVIEWER])
def test_only_the_author_edits_an_annotation_others_get_404(
    submitted, project, member, api_client, role
):
    other = api_client(member(role, project.organization))

    response = other.patch(annotation_url(submitted["id"]), {"result": NEGATIVE}, format="json")

    assert response.status_code == 404
    assert Annotation.objects.get().result == POSITIVE


@pytest.mark.parametrize("role, status", [
    (Role.ANNOTATOR, 404), (Role.REVIEWER, 200), (Role.MANAGER, 200), (Role.ADMIN, 200),
])
def test_reviewers_and_managers_read_annotations_other_annotators_do_not(
    submitted, project, member, api_client, role, status
):
    response = api_client(member(role, project.organization)).get(annotation_url(submitted["id"]))

    assert response.status_code == status


def test_another_organization_cannot_read_or_edit_an_annotation(submitted, member, api_client):
    outsider = api_client(member(Role.ADMIN))

    url = annotation_url(submitted["id"])

    assert outsider.get(url).status_code == 404
    assert outsider.patch(url, {"result": NEGATIVE}, format="json").status_code == 404


def test_an_author_who_left_the_organization_can_no_longer_edit(
    submitted, annotator, project, api_client
):
    annotator.memberships.filter(organization=project.organization).delete()

    response = api_client(annotator).patch(
        annotation_url(submitted["id"]), {"result": NEGATIVE}, format="json"
    )

    assert response.status_code == 404


def test_a_submit_does_not_touch_other_tasks(held_task, project, annotator, api_client):
    other = TaskFactory(project=project)

    submit(api_client(annotator), held_task, {"result": POSITIVE, "lead_time_s": 1})

    assert Task.objects.get(pk=other.id).annotation_count == 0


# --- progress -----------------------------------------------------------------------------------


def test_the_progress_line_counts_done_today_left_and_total(org, member, api_client):
    project = ProjectFactory(organization=org, overlap=1)
    tasks = [TaskFactory(project=project) for _ in range(4)]
    TaskFactory(project=project, status=TaskStatus.ACCEPTED)
    annotator, other = member(Role.ANNOTATOR, org), member(Role.ANNOTATOR, org)
    _label_next(project, annotator)
    _label_next(project, other)
    yesterday = AnnotationFactory(task=tasks[3], annotator=annotator)
    a_day_ago = timezone.now() - timedelta(days=1)
    Annotation.objects.filter(pk=yesterday.pk).update(created_at=a_day_ago)

    response = api_client(annotator).get(f"/api/v1/projects/{project.id}/progress/")

    assert response.json() == {"done_today": 1, "left": 2, "total": 5}


def test_a_large_projects_task_counts_are_kept_for_a_few_seconds(
    project, annotator, api_client, monkeypatch
):
    monkeypatch.setattr(selectors, "TASK_COUNTS_CACHED_FROM", 2)  # "large" from 2 tasks on
    cache.clear()
    TaskFactory.create_batch(2, project=project)
    client = api_client(annotator)
    first = client.get(f"/api/v1/projects/{project.id}/progress/").json()

    TaskFactory(project=project)
    second = client.get(f"/api/v1/projects/{project.id}/progress/").json()

    assert first == second == {"done_today": 0, "left": 2, "total": 2}
    cache.clear()
    assert client.get(f"/api/v1/projects/{project.id}/progress/").json()["total"] == 3


def _label_next(project, user):
    task = task_claim_next(project=project, user=user)
    annotation_submit(task_id=task.id, user=user, result=POSITIVE, lead_time_s=1.0)


# --- the suggestion holdout ----------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "shown"), [(0.0, True), (1.0, False)])
def test_next_task_hides_the_suggestion_for_the_held_out_share(
    project, annotator, api_client, rate, shown
):
    project.suggestion_holdout_rate = rate
    project.save()
    prediction = PredictionFactory(task=TaskFactory(project=project), result=POSITIVE)

    response = api_client(annotator).post(f"/api/v1/projects/{project.id}/next-task/")

    assert response.status_code == 200
    suggestion = response.json()["suggestion"]
    assert (suggestion["id"] if suggestion else None) == (prediction.id if shown else None)


def test_the_held_out_share_is_stable_and_about_the_rate():
    from platform_core.holdout import suggestion_holdout

    held = [task_id for task_id in range(1, 20_001) if suggestion_holdout(task_id, 0.1)]
    assert 0.09 < len(held) / 20_000 < 0.11
    assert held == [task_id for task_id in range(1, 20_001) if suggestion_holdout(task_id, 0.1)]
