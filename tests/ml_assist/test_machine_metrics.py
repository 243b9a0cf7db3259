"""The `machine` section of the project metrics after real routing, labeling and reviewing, and
Task.accepted_at as routing and verdicts set it (the metrics count accepted items by it)."""
import random
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from annotator.services import annotation_submit, task_claim_next
from ml_assist.routing import route_confident, threshold_adjust
from ml_assist.routing_models import RoutingDecision
from platform_core.models import Prediction, Role, Task, TaskStatus
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE, NEGATIVE = {"labels": ["positive"]}, {"labels": ["negative"]}
ROUTED_AT = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def project(org):
    # No holdout: every task shows its suggestion, so the test decides who keeps it.
    return ProjectFactory(
        organization=org, auto_accept_threshold=0.9, review_sample_rate=1.0,
        target_precision=0.95, suggestion_holdout_rate=0.0,
    )


def suggested(project, count, confidence):
    tasks = [TaskFactory(project=project, status=TaskStatus.SUGGESTED) for _ in range(count)]
    for task in tasks:
        Prediction.objects.create(task=task, model_version="m1", result=POSITIVE,
                                  confidence=confidence)
    return tasks


def routed(project, tasks, rate=1.0, when=ROUTED_AT):
    project.review_sample_rate = rate
    with frozen(when):
        route_confident(project=project, task_confidences={t.pk: 0.95 for t in tasks},
                        rng=random.Random(0), model_version="m1")


def review(client, project, **body):
    item = client.post(f"/api/v1/projects/{project.id}/next-review/", {}, format="json").json()
    response = client.post(item["verdict_url"], body, format="json")
    assert response.status_code == 201, response.json()
    return item


def accepted_at(task):
    task.refresh_from_db()
    return task.status, task.accepted_at


def test_routing_sets_accepted_at_a_spot_check_keeps_or_clears_it(
    project, member, api_client, django_capture_on_commit_callbacks
):
    kept, rejected = suggested(project, 2, 0.95)
    routed(project, [kept, rejected])
    assert accepted_at(kept) == (TaskStatus.AUTO_ACCEPTED, ROUTED_AT)
    client = api_client(member(Role.REVIEWER, project.organization))

    with django_capture_on_commit_callbacks():
        review(client, project, verdict="accept")  # the first routed task: `kept`
        review(client, project, verdict="reject", comment="Not positive.")

    # Confirmed by a person later, accepted when the machine accepted it.
    assert accepted_at(kept) == (TaskStatus.ACCEPTED, ROUTED_AT)
    assert accepted_at(rejected) == (TaskStatus.REJECTED, None)


def test_a_raised_threshold_sends_auto_accepted_tasks_back_without_accepted_at(project):
    checked = suggested(project, 30, 0.95)
    [under] = suggested(project, 1, 0.91)
    project.review_sample_rate = 0.0
    confidences = {**{task.pk: 0.95 for task in checked}, under.pk: 0.91}
    with frozen(ROUTED_AT):
        route_confident(project=project, task_confidences=confidences, rng=random.Random(0))
    # 30 spot-checks, all wrong: the threshold goes up to 0.95, and the unreviewed task
    # auto-accepted at 0.91 returns to the queue.
    RoutingDecision.objects.filter(task__in=checked).update(
        sampled_for_review=True, verdict="incorrect", reviewed_at=ROUTED_AT
    )
    assert accepted_at(under) == (TaskStatus.AUTO_ACCEPTED, ROUTED_AT)

    assert threshold_adjust(project=project)["new_threshold"] == 0.95

    assert accepted_at(under) == (TaskStatus.SUGGESTED, None)


def test_a_verdict_stamps_accepted_at_and_a_reject_clears_it(project, member, api_client):
    annotator = member(Role.ANNOTATOR, project.organization)
    client = api_client(member(Role.REVIEWER, project.organization))
    first, second = suggested(project, 2, 0.5)
    for _ in range(2):
        task = task_claim_next(project=project, user=annotator)
        annotation_submit(task_id=task.pk, user=annotator, result=POSITIVE, lead_time_s=5.0)
    verdict_time = ROUTED_AT + timedelta(hours=3)

    with frozen(verdict_time):
        review(client, project, verdict="accept")
    review(client, project, verdict="reject", comment="No.")

    assert accepted_at(first) == (TaskStatus.ACCEPTED, verdict_time)
    assert accepted_at(second) == (TaskStatus.REJECTED, None)


def test_machine_share_after_routing_labeling_and_review(project, member, api_client):
    """Two tasks auto-accepted, one of them spot-checked and kept; four labeled from the
    suggestion: kept and accepted (the machine's), changed and accepted, kept but corrected
    by the reviewer, kept but rejected (not accepted)."""
    annotator = member(Role.ANNOTATOR, project.organization)
    client = api_client(member(Role.REVIEWER, project.organization))
    machine_tasks = suggested(project, 2, 0.95)
    # Now, not at ROUTED_AT: `window=all` runs from the project's creation to now.
    routed(project, machine_tasks[:1], rate=1.0, when=timezone.now())
    routed(project, machine_tasks[1:], rate=0.0, when=timezone.now())
    review(client, project, verdict="accept")  # the spot-check
    people = suggested(project, 4, 0.5)
    for result in (POSITIVE, NEGATIVE, POSITIVE, POSITIVE):
        task = task_claim_next(project=project, user=annotator)
        prediction = Prediction.objects.get(task=task)
        annotation_submit(task_id=task.pk, user=annotator, result=result, lead_time_s=5.0,
                          prediction_id=prediction.pk)
    review(client, project, verdict="accept")
    review(client, project, verdict="accept")
    review(client, project, verdict="correct", result=NEGATIVE)
    review(client, project, verdict="reject", comment="No.")
    assert [Task.objects.get(pk=t.pk).status for t in people] == ["accepted"] * 3 + ["rejected"]

    manager = api_client(member(Role.MANAGER, project.organization))
    machine = manager.get(f"/api/v1/projects/{project.id}/metrics/?window=all").json()["machine"]

    # Accepted: 2 machine tasks + 3 labeled. The machine's: both auto-accepted ones and the
    # first labeled task (kept, accepted as is): 3 of 5.
    assert (machine["accepted"], machine["auto_accepted"], machine["accepted_unchanged"]) == (
        5, 2, 1
    )
    assert machine["share"]["value"] == 0.6
    assert sum(machine["series"]["machine"]) == 3
    assert machine["auto_accept_precision"]["n"] == 1


def test_precision_meets_the_target_only_on_a_large_enough_sample(project, member, api_client):
    tasks = suggested(project, 30, 0.95)
    routed(project, tasks, rate=1.0)
    client = api_client(member(Role.REVIEWER, project.organization))
    manager = api_client(member(Role.MANAGER, project.organization))
    url = f"/api/v1/projects/{project.id}/metrics/?window=all"
    for _ in range(29):
        review(client, project, verdict="accept")
    before = manager.get(url).json()["machine"]["auto_accept_precision"]
    review(client, project, verdict="accept")
    after = manager.get(url).json()["machine"]["auto_accept_precision"]

    assert (before["n"], before["insufficient"], before["meets_target"]) == (29, True, None)
    assert before["reason"] == "29 spot-checked machine labels; 30 needed"
    # 30 of 30: the Wilson lower bound is 0.886, under the 0.95 target.
    assert (after["n"], after["insufficient"], after["reason"]) == (30, False, None)
    assert after["low"] == pytest.approx(0.8865, abs=1e-4)
    assert after["meets_target"] is False
