"""next-review and verdicts read and write through hand-written SQL and render by hand (see
annotator/review_selectors.py, annotator/services/reviews.py): they must still say what DRF
would, keep the signals others follow, and scope as the ORM did."""
import threading
import time
from functools import partial

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.test import RequestFactory
from rest_framework import serializers

from annotator.apis.review_serializers import (
    EarlierReviewOutputSerializer,
    ReviewedAnnotationOutputSerializer,
    ReviewItemOutputSerializer,
    ReviewTaskOutputSerializer,
    VerdictOutputSerializer,
)
from annotator.models import Annotation, Review, ReviewItem
from annotator.review_selectors import review_item_subject
from annotator.services import annotation_submit, review_item_for_verdict, task_claim_next
from ml_assist.signals import schedule_retrain_check
from platform_core.models import Role, Task
from tests.annotator.test_queue_concurrency import postgres_only
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


def drf_rendering(serializer, instance):
    return serializers.Serializer.to_representation(serializer, instance)


def label(project, user, result=POSITIVE, prediction=None):
    task = task_claim_next(project=project, user=user)
    return annotation_submit(
        task_id=task.pk, user=user, result=result, lead_time_s=2.0,
        prediction_id=prediction.pk if prediction else None,
    )


def next_review(client, project):
    return client.post(f"/api/v1/projects/{project.id}/next-review/", {}, format="json")


def test_a_second_stage_item_renders_as_drf_would_with_its_earlier_review(member, api_client):
    project = ProjectFactory(second_review_rate=1.0)
    org = project.organization
    task = TaskFactory(project=project, data={"text": "<b>x</b>"}, media="media/a.wav")
    suggestion = PredictionFactory(task=task, result=NEGATIVE, confidence=0.4)
    label(project, member(Role.ANNOTATOR, org), POSITIVE, prediction=suggestion)
    first = api_client(member(Role.REVIEWER, org))
    url = next_review(first, project).json()["verdict_url"]
    first.post(url, {"verdict": "correct", "result": NEGATIVE}, format="json")
    second = member(Role.REVIEWER, org)
    body = next_review(api_client(second), project).json()

    item = ReviewItem.objects.get(pk=body["id"])
    subject = {"item": item, **review_item_subject(item=item)}
    serializer = ReviewItemOutputSerializer(subject, context={"request": RequestFactory().post("/")})

    assert serializer.data == drf_rendering(serializer, subject)
    assert [review["verdict"] for review in serializer.data["earlier_reviews"]] == ["correct"]
    nested = (
        (ReviewTaskOutputSerializer, subject["task"]),
        (ReviewedAnnotationOutputSerializer, subject["annotation"]),
        (EarlierReviewOutputSerializer, subject["earlier_reviews"][0]),
    )
    for serializer_class, instance in nested:
        plain = serializer_class(instance, context=serializer.context)
        assert plain.data == drf_rendering(plain, instance)


@pytest.mark.parametrize("body", [
    {"verdict": "accept"},
    {"verdict": "correct", "result": NEGATIVE},
    {"verdict": "reject", "comment": "Not positive."},
])
def test_a_verdict_renders_as_drf_would(project, member, api_client, body):
    TaskFactory(project=project)
    label(project, member(Role.ANNOTATOR, project.organization))
    client = api_client(member(Role.REVIEWER, project.organization))
    url = next_review(client, project).json()["verdict_url"]

    response = client.post(url, body, format="json")

    assert response.status_code == 201, response.json()
    review = Review.objects.select_related("reviewer", "task").get()
    review.task_status, review.second_stage = review.task.status, False
    serializer = VerdictOutputSerializer(review)
    assert response.json() == drf_rendering(serializer, review)


def test_an_accept_counts_towards_retraining_and_a_reject_does_not(
    project, member, api_client, django_capture_on_commit_callbacks
):
    TaskFactory.create_batch(2, project=project)
    annotator = member(Role.ANNOTATOR, project.organization)
    label(project, annotator)
    label(project, annotator)
    client = api_client(member(Role.REVIEWER, project.organization))
    verdicts = ({"verdict": "accept"}, {"verdict": "reject", "comment": "No."})

    scheduled = []
    for body in verdicts:
        url = next_review(client, project).json()["verdict_url"]
        with django_capture_on_commit_callbacks() as callbacks:
            assert client.post(url, body, format="json").status_code == 201
        scheduled.append([
            callback.args for callback in callbacks
            if isinstance(callback, partial) and callback.func is schedule_retrain_check
        ])

    assert scheduled == [[(project.id,)], []]


def test_the_rows_a_verdict_writes_in_sql_have_no_save_or_delete_receivers():
    """Annotation's save signals are sent by hand; these models' would be skipped."""
    for signal in (pre_save, post_save, pre_delete, post_delete):
        for model in (Review, ReviewItem, Task):
            assert not signal.has_listeners(model), (signal, model)


def test_a_superuser_reviews_any_organization_as_an_admin(project, member, api_client):
    TaskFactory(project=project)
    label(project, member(Role.ANNOTATOR, project.organization))
    client = api_client(UserFactory(is_superuser=True))

    body = next_review(client, project).json()
    verdict = client.post(body["verdict_url"], {"verdict": "accept"}, format="json")

    assert verdict.status_code == 201, verdict.json()


def test_ids_that_are_not_numbers_or_too_large_are_not_found(project, member, api_client):
    client = api_client(member(Role.REVIEWER, project.organization))

    for annotation_id in (2**63, 2**70):
        response = client.post(f"/api/v1/annotations/{annotation_id}/review/", {}, format="json")
        assert response.status_code == 404
    assert client.post(f"/api/v1/tasks/{2**64}/spot-check/", {}, format="json").status_code == 404
    assert next_review(client, ProjectFactory()).status_code == 404


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_verdict_locks_the_item_then_the_task_then_the_annotation():
    """The order claims and submits take them in, so that a verdict cannot deadlock with them:
    while a verdict waits for a task someone else holds, it holds the item, not the annotation."""
    project = ProjectFactory()
    TaskFactory(project=project)
    annotation = label(project, MembershipFactory(organization=project.organization).user)
    reviewer = MembershipFactory(organization=project.organization, role=Role.REVIEWER).user
    task_held, verdict_done = threading.Event(), threading.Event()

    def hold_the_task():
        with transaction.atomic():
            Task.objects.select_for_update().get(pk=annotation.task_id)
            task_held.set()
            verdict_done.wait(10)
        connections.close_all()

    def decide():
        task_held.wait(10)
        with transaction.atomic():
            review_item_for_verdict(user=reviewer, annotation=annotation)
            transaction.set_rollback(True)
        verdict_done.set()
        connections.close_all()

    threads = [threading.Thread(target=hold_the_task), threading.Thread(target=decide)]
    for thread in threads:
        thread.start()
    try:
        _wait_for_a_lock_wait()
        locked = {
            name: _is_locked(queryset)
            for name, queryset in (
                ("item", ReviewItem.objects.filter(annotation=annotation)),
                ("annotation", Annotation.objects.filter(pk=annotation.pk)),
            )
        }
    finally:
        verdict_done.set()  # lets the holder go: the verdict then runs and rolls back
        for thread in threads:
            thread.join(10)
    assert locked == {"item": True, "annotation": False}


def _wait_for_a_lock_wait(timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the verdict never waited for the task")


def _is_locked(queryset) -> bool:
    try:
        with transaction.atomic():
            list(queryset.select_for_update(nowait=True))
    except DatabaseError:
        return True
    return False
