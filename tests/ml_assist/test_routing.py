"""Confidence routing: auto-accepting, the spot-check sample, precision, raising the threshold."""
import importlib
import random
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from ml_assist import routing
from ml_assist.routing import (
    precision_estimate,
    review_sample_pending,
    route_confident,
    routing_review_record,
    threshold_adjust,
    wilson_interval,
)
from ml_assist.routing_models import RoutingDecision, RoutingVerdict
from platform_core.holdout import suggestion_holdout
from platform_core.models import Prediction, Task, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory, UserFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory


def _tasks(project, count, status=TaskStatus.SUGGESTED):
    return Task.objects.bulk_create(
        Task(project=project, data={"text": f"t{n}"}, checksum=f"{project.pk}-{n}", status=status)
        for n in range(count)
    )


def _statuses(tasks):
    found = dict(Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("id", "status"))
    return [found[t.pk] for t in tasks]


def _reviewed(project, rows, threshold=0.5):
    """Auto-accepted tasks with spot-check verdicts: rows of (confidence, correct?)."""
    tasks = _tasks(project, len(rows), status=TaskStatus.AUTO_ACCEPTED)
    now = timezone.now()
    RoutingDecision.objects.bulk_create(
        RoutingDecision(
            task=task, confidence=confidence, threshold=threshold, sampled_for_review=True,
            verdict=RoutingVerdict.CORRECT if correct else RoutingVerdict.INCORRECT,
            reviewed_at=now,
        )
        for task, (confidence, correct) in zip(tasks, rows)
    )
    return tasks


def _unreviewed(project, confidences, threshold=0.5, offset=10_000):
    tasks = Task.objects.bulk_create(
        Task(project=project, data={"text": f"u{n}"}, checksum=f"{project.pk}-u{offset + n}",
             status=TaskStatus.AUTO_ACCEPTED)
        for n in range(len(confidences))
    )
    RoutingDecision.objects.bulk_create(
        RoutingDecision(task=task, confidence=c, threshold=threshold)
        for task, c in zip(tasks, confidences)
    )
    return tasks


# -- routing -------------------------------------------------------------------------------------


def test_tasks_at_or_above_the_threshold_are_auto_accepted_with_their_prediction(db):
    project = ProjectFactory(auto_accept_threshold=0.9, review_sample_rate=0.0)
    sure, exact, unsure = _tasks(project, 3)
    prediction = PredictionFactory(task=sure, model_version="builtin-v2", confidence=0.97)
    PredictionFactory(task=sure, model_version="builtin-v1")
    result = route_confident(
        project=project, task_confidences={sure.pk: 0.97, exact.pk: 0.9, unsure.pk: 0.89},
        model_version="builtin-v2",
    )
    assert result.auto_accepted == [sure.pk, exact.pk]
    assert result.sampled_for_review == [] and result.skipped == []
    assert _statuses([sure, exact, unsure]) == ["auto_accepted", "auto_accepted", "suggested"]
    decision = RoutingDecision.objects.get(task=sure)
    assert decision.prediction_id == prediction.pk
    assert (decision.confidence, decision.threshold) == (0.97, 0.9)
    assert RoutingDecision.objects.get(task=exact).prediction is None


def test_an_auto_accepted_task_keeps_the_label_it_was_accepted_on_as_its_final_label(db):
    project = ProjectFactory(auto_accept_threshold=0.9, review_sample_rate=0.0)
    linked, latest, bare = _tasks(project, 3)
    PredictionFactory(task=linked, model_version="v2", result={"labels": ["positive"]})
    PredictionFactory(task=linked, model_version="v3", result={"labels": ["negative"]})
    PredictionFactory(task=latest, model_version="v1", result={"labels": ["neutral"]})
    PredictionFactory(task=latest, model_version="v3", result={"labels": ["negative"]})
    route_confident(project=project, task_confidences={linked.pk: 0.95}, model_version="v2")
    route_confident(project=project, task_confidences={latest.pk: 0.95, bare.pk: 0.95})
    accepted = dict(Task.objects.filter(project=project).values_list("id", "accepted_result"))
    assert accepted == {linked.pk: {"labels": ["positive"]}, latest.pk: {"labels": ["negative"]},
                        bare.pk: None}
    decision = RoutingDecision.objects.get(task=linked)
    assert decision.prediction.result == accepted[linked.pk]


def test_tasks_auto_accepted_before_routing_stored_labels_get_theirs_from_the_migration(db):
    backfill = importlib.import_module("ml_assist.migrations.0004_auto_accepted_result")
    project = ProjectFactory()
    routed, unlinked, bare, checked = _tasks(project, 4, status=TaskStatus.AUTO_ACCEPTED)
    linked = PredictionFactory(task=routed, model_version="v1", result={"labels": ["positive"]})
    PredictionFactory(task=routed, model_version="v2", result={"labels": ["negative"]})
    RoutingDecision.objects.create(task=routed, prediction=linked, confidence=0.9, threshold=0.8)
    PredictionFactory(task=unlinked, result={"labels": ["neutral"]})
    Task.objects.filter(pk=checked.pk).update(accepted_result={"labels": ["fixed"]})
    PredictionFactory(task=checked, result={"labels": ["positive"]})
    backfill.backfill_auto_accepted_result(django_apps, None)
    accepted = dict(Task.objects.filter(project=project).values_list("id", "accepted_result"))
    assert accepted == {routed.pk: {"labels": ["positive"]}, unlinked.pk: {"labels": ["neutral"]},
                        bare.pk: None, checked.pk: {"labels": ["fixed"]}}


def test_a_task_returned_to_the_queue_loses_the_machine_label_it_was_accepted_with(db):
    project = ProjectFactory(
        auto_accept_threshold=0.8, target_precision=0.95, review_sample_rate=0.0
    )
    _reviewed(project, [(0.9, n % 3 != 0) for n in range(40)], threshold=0.8)
    task = TaskFactory(project=project, status=TaskStatus.SUGGESTED)
    PredictionFactory(task=task, result={"labels": ["positive"]})
    route_confident(project=project, task_confidences={task.pk: 0.82})
    assert threshold_adjust(project=project)["returned_task_ids"] == [task.pk]
    task.refresh_from_db()
    assert (task.status, task.accepted_result, task.accepted_at) == ("suggested", None, None)


def test_nothing_is_routed_when_the_threshold_is_off(db):
    project = ProjectFactory(auto_accept_threshold=None)
    [task] = _tasks(project, 1)
    assert route_confident(project=project, task_confidences={task.pk: 1.0}).auto_accepted == []
    assert _statuses([task]) == ["suggested"]


def test_tasks_already_taken_annotated_routed_or_elsewhere_are_left_alone(db):
    project = ProjectFactory(auto_accept_threshold=0.5)
    free, in_progress, annotated, routed, locked = _tasks(project, 5)
    Task.objects.filter(pk=in_progress.pk).update(status=TaskStatus.IN_PROGRESS)
    AnnotationFactory(task=annotated)
    RoutingDecision.objects.create(task=routed, confidence=0.6, threshold=0.5)
    user = UserFactory()
    Task.objects.filter(pk=locked.pk).update(
        locked_by=user, locked_until=timezone.now() + timedelta(minutes=5)
    )
    stranger = TaskFactory(status=TaskStatus.SUGGESTED)
    confident = {t.pk: 0.99 for t in (free, in_progress, annotated, routed, locked, stranger)}
    result = route_confident(project=project, task_confidences=confident)
    assert result.auto_accepted == [free.pk]
    assert sorted(result.skipped) == sorted(set(confident) - {free.pk})
    assert _statuses([annotated, stranger]) == ["suggested", "suggested"]


def test_the_review_sample_is_about_the_rate_and_reproducible_with_a_seed(db):
    project = ProjectFactory(auto_accept_threshold=0.8, review_sample_rate=0.1)
    tasks = _tasks(project, 3000)
    confidences = {t.pk: 0.8 + (n % 20) / 100 for n, t in enumerate(tasks)}
    result = route_confident(project=project, task_confidences=confidences, rng=random.Random(7))
    assert len(result.auto_accepted) == 3000
    share = len(result.sampled_for_review) / 3000
    assert 0.085 < share < 0.115
    replay = random.Random(7)
    assert result.sampled_for_review == [t for t in sorted(confidences) if replay.random() < 0.1]
    assert set(review_sample_pending(project=project).values_list("task_id", flat=True)) == set(
        result.sampled_for_review
    )


def test_a_confidence_outside_the_unit_interval_is_refused(db):
    project = ProjectFactory(auto_accept_threshold=0.8)
    with pytest.raises(ValueError, match="must be in 0..1"):
        route_confident(project=project, task_confidences={1: 1.3})


# -- measuring -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (95, 100, 0.8882, 0.9785),
        (0, 0, 0.0, 1.0),
    ],
)
def test_wilson_interval_matches_known_values(successes, n, low, high):
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_precision_is_measured_on_the_reviewed_sample_at_the_current_threshold(db):
    project = ProjectFactory(auto_accept_threshold=0.9)
    _reviewed(project, [(0.95, True)] * 8 + [(0.92, False)] * 2 + [(0.7, False)] * 5)
    _unreviewed(project, [0.99] * 10)
    precision, low, high, n = precision_estimate(project=project)
    assert (precision, n) == (0.8, 10)
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert precision_estimate(project=project, min_confidence=0.0).n == 15


def test_labels_reviewed_outside_the_random_sample_do_not_count(db):
    project = ProjectFactory(auto_accept_threshold=0.9)
    [task] = _tasks(project, 1, status=TaskStatus.AUTO_ACCEPTED)
    RoutingDecision.objects.create(
        task=task, confidence=0.95, threshold=0.9, sampled_for_review=False,
        verdict=RoutingVerdict.INCORRECT, reviewed_at=timezone.now(),
    )
    assert precision_estimate(project=project) == (None, 0.0, 1.0, 0)


def test_a_review_verdict_is_recorded_with_its_reviewer_and_time(db):
    project = ProjectFactory(auto_accept_threshold=0.9, review_sample_rate=1.0)
    [task] = _tasks(project, 1)
    route_confident(project=project, task_confidences={task.pk: 0.95})
    [decision] = review_sample_pending(project=project)
    reviewer = UserFactory()
    routing_review_record(decision=decision, verdict=RoutingVerdict.CORRECT, reviewer=reviewer)
    decision.refresh_from_db()
    assert (decision.verdict, decision.reviewed_by, decision.reviewed_at is not None) == (
        "correct", reviewer, True)
    assert list(review_sample_pending(project=project)) == []
    assert precision_estimate(project=project).precision == 1.0


# -- threshold ----------------------------------------------------------------------------------


def test_threshold_rises_to_the_lowest_confidence_that_meets_the_target(db):
    project = ProjectFactory(auto_accept_threshold=0.8, target_precision=0.95)
    # 80 correct at 0.95+, errors packed right under them, correct ones below the errors.
    rows = [(0.95 + (n % 5) / 100, True) for n in range(80)]
    rows += [(0.85 + n / 100, False) for n in range(10)] + [(0.8, True)] * 20
    reviewed = _reviewed(project, rows, threshold=0.8)
    below = _unreviewed(project, [0.82, 0.9, 0.949], threshold=0.8)
    above = _unreviewed(project, [0.95, 0.99], threshold=0.8, offset=20_000)
    summary = threshold_adjust(project=project)
    assert summary["changed"] and summary["new_threshold"] == 0.95
    assert summary["old_threshold"] == 0.8 and summary["n"] == 110
    assert summary["low"] < 0.95
    assert summary["returned_task_ids"] == [t.pk for t in below] and summary["returned"] == 3
    project.refresh_from_db()
    assert project.auto_accept_threshold == 0.95
    assert set(_statuses(below)) == {"suggested"}
    assert set(_statuses(above)) == {"auto_accepted"}
    assert set(_statuses(reviewed)) == {"auto_accepted"}  # reviewed labels stay where they are
    assert not RoutingDecision.objects.filter(task__in=below).exists()
    assert precision_estimate(project=project).low >= 0.95
    assert threshold_adjust(project=project)["reason"] == "lower bound meets the target"


def test_threshold_rises_by_a_step_when_no_confidence_meets_the_target(db):
    project = ProjectFactory(auto_accept_threshold=0.8, target_precision=0.95)
    _reviewed(project, [(0.9, n % 3 != 0) for n in range(40)], threshold=0.8)
    summary = threshold_adjust(project=project)
    assert summary["changed"] and summary["new_threshold"] == pytest.approx(0.85)
    assert summary["returned"] == 0


def test_threshold_stays_with_too_few_reviews_when_off_or_at_the_top(db):
    few = ProjectFactory(auto_accept_threshold=0.8)
    _reviewed(few, [(0.9, False)] * (routing.MIN_REVIEWED_TO_ADJUST - 1))
    assert not threshold_adjust(project=few)["changed"]
    off = ProjectFactory(auto_accept_threshold=None)
    assert threshold_adjust(project=off)["reason"] == "confidence routing is off"
    top = ProjectFactory(auto_accept_threshold=1.0)
    _reviewed(top, [(1.0, False)] * 40)
    assert threshold_adjust(project=top)["reason"] == "threshold is already at its maximum"


def test_a_returned_task_can_be_routed_again_later(db):
    project = ProjectFactory(
        auto_accept_threshold=0.8, target_precision=0.95, review_sample_rate=0.0
    )
    _reviewed(project, [(0.9, n % 3 != 0) for n in range(40)], threshold=0.8)
    [task] = _unreviewed(project, [0.82], threshold=0.8)
    assert threshold_adjust(project=project)["returned_task_ids"] == [task.pk]
    project.refresh_from_db()
    result = route_confident(project=project, task_confidences={task.pk: 0.9})
    assert result.auto_accepted == [task.pk]
    assert RoutingDecision.objects.get(task=task).threshold == pytest.approx(0.85)


# -- holdout -------------------------------------------------------------------------------------


def test_holdout_is_stable_and_about_the_rate():
    held = [task_id for task_id in range(1, 20_001) if suggestion_holdout(task_id, 0.05)]
    assert 0.045 < len(held) / 20_000 < 0.055
    assert held == [task_id for task_id in range(1, 20_001) if suggestion_holdout(task_id, 0.05)]
    assert not any(suggestion_holdout(task_id, 0.0) for task_id in range(1000))
    assert all(suggestion_holdout(task_id, 1.0) for task_id in range(1000))
    # A larger rate holds out a superset: raising it never brings suggestions back.
    assert set(held) <= {t for t in range(1, 20_001) if suggestion_holdout(t, 0.1)}


def test_prediction_links_are_cleared_when_the_prediction_goes(db):
    project = ProjectFactory(auto_accept_threshold=0.5)
    [task] = _tasks(project, 1)
    PredictionFactory(task=task)
    route_confident(project=project, task_confidences={task.pk: 0.7})
    Prediction.objects.filter(task=task).delete()
    assert RoutingDecision.objects.get(task=task).prediction is None
