"""Spot-checks of auto-accepted machine labels go through the review queue, and each verdict is
routing's evidence: it moves the precision estimate and, past its minimum sample, the
threshold."""
import random

import pytest

from annotator.models import Review, ReviewItem
from ml_assist.routing import MIN_REVIEWED_TO_ADJUST, precision_estimate, route_confident
from ml_assist.routing_models import RoutingDecision, RoutingVerdict
from platform_core.models import Prediction, Role, Task, TaskStatus
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


def auto_accepted(project, count, confidence=0.95):
    """`count` tasks with a confident machine label, routed with every one sampled."""
    tasks = Task.objects.bulk_create(
        Task(project=project, data={"text": f"t{n}"}, checksum=f"{project.pk}-{n}",
             status=TaskStatus.SUGGESTED)
        for n in range(count)
    )
    Prediction.objects.bulk_create(
        Prediction(task=task, model_version="builtin-v1", result=POSITIVE, confidence=confidence)
        for task in tasks
    )
    route_confident(
        project=project, task_confidences={task.pk: confidence for task in tasks},
        rng=random.Random(0), model_version="builtin-v1",
    )
    return tasks


@pytest.fixture
def routed_project(org):
    return ProjectFactory(
        organization=org, auto_accept_threshold=0.9, review_sample_rate=1.0,
        target_precision=0.95,
    )


def spot_check(client, project, capture, **body):
    item = client.post(f"/api/v1/projects/{project.id}/next-review/", {}, format="json").json()
    with capture(execute=True):
        response = client.post(item["verdict_url"], body, format="json")
    assert response.status_code == 201, response.json()
    return item, response.json()


def test_a_sampled_machine_label_is_served_as_the_models_work_with_its_confidence(
    routed_project, member, api_client
):
    [task] = auto_accepted(routed_project, 1)
    client = api_client(member(Role.REVIEWER, routed_project.organization))

    item = client.post(f"/api/v1/projects/{routed_project.id}/next-review/").json()

    assert (item["kind"], item["annotation"], item["result"]) == ("spot_check", None, POSITIVE)
    assert item["machine"] == {"model_version": "builtin-v1", "confidence": 0.95}
    assert item["verdict_url"] == f"/api/v1/tasks/{task.id}/spot-check/"


def test_accepting_a_machine_label_confirms_it_and_moves_the_precision_estimate(
    routed_project, member, api_client, django_capture_on_commit_callbacks
):
    [task] = auto_accepted(routed_project, 1)
    client = api_client(member(Role.REVIEWER, routed_project.organization))
    assert precision_estimate(project=routed_project).n == 0

    spot_check(client, routed_project, django_capture_on_commit_callbacks, verdict="accept")

    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)
    assert RoutingDecision.objects.get(task=task).verdict == RoutingVerdict.CORRECT
    estimate = precision_estimate(project=routed_project)
    assert (estimate.n, estimate.precision) == (1, 1.0)
    metrics = client.get(f"/api/v1/projects/{routed_project.id}/metrics/").json()
    assert metrics["quality"]["auto_accept_precision"]["n"] == 1


def test_a_corrected_machine_label_counts_against_the_machine_and_keeps_the_fix(
    routed_project, member, api_client, django_capture_on_commit_callbacks
):
    [task] = auto_accepted(routed_project, 1)
    client = api_client(member(Role.REVIEWER, routed_project.organization))

    _, review = spot_check(
        client, routed_project, django_capture_on_commit_callbacks,
        verdict="correct", result=NEGATIVE,
    )

    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, NEGATIVE)
    assert review["confidence"] == 0.95
    assert RoutingDecision.objects.get(task=task).verdict == RoutingVerdict.INCORRECT
    assert precision_estimate(project=routed_project).precision == 0.0


def test_a_rejected_machine_label_sends_the_task_to_annotators_with_the_comment(
    routed_project, member, api_client, django_capture_on_commit_callbacks
):
    [task] = auto_accepted(routed_project, 1)
    client = api_client(member(Role.REVIEWER, routed_project.organization))

    spot_check(client, routed_project, django_capture_on_commit_callbacks,
               verdict="reject", comment="Not a review at all: spam.")

    task.refresh_from_db()
    assert task.status == TaskStatus.REJECTED
    annotator = api_client(member(Role.ANNOTATOR, routed_project.organization))
    served = annotator.post(f"/api/v1/projects/{routed_project.id}/next-task/").json()
    assert served["id"] == task.id
    assert served["review_note"]["comment"] == "Not a review at all: spam."


def test_spot_check_verdicts_past_the_minimum_sample_raise_the_threshold(
    routed_project, member, api_client, django_capture_on_commit_callbacks
):
    tasks = auto_accepted(routed_project, MIN_REVIEWED_TO_ADJUST + 5, confidence=0.92)
    client = api_client(member(Role.REVIEWER, routed_project.organization))

    # The machine is wrong on every third label: far under the 0.95 target.
    for n in range(MIN_REVIEWED_TO_ADJUST - 1):
        body = {"verdict": "accept"} if n % 3 else {"verdict": "correct", "result": NEGATIVE}
        spot_check(client, routed_project, django_capture_on_commit_callbacks, **body)
    routed_project.refresh_from_db()
    assert routed_project.auto_accept_threshold == 0.9  # not enough evidence yet

    spot_check(client, routed_project, django_capture_on_commit_callbacks, verdict="accept")

    routed_project.refresh_from_db()
    assert routed_project.auto_accept_threshold == pytest.approx(0.95)
    assert Review.objects.filter(kind="spot_check").count() == MIN_REVIEWED_TO_ADJUST
    # The unreviewed machine labels now under the threshold went back to the queue, and their
    # spot-check items with them.
    left = [t.pk for t in tasks[MIN_REVIEWED_TO_ADJUST:]]
    assert set(Task.objects.filter(pk__in=left).values_list("status", flat=True)) == {
        TaskStatus.SUGGESTED
    }
    assert not ReviewItem.objects.filter(task_id__in=left).exists()
