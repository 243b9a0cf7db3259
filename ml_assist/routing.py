"""Confidence routing: confident suggestions skip human labeling, a sample of them is reviewed.

- `route_confident`: open, untouched tasks whose suggestion confidence is at or above the
  project's `auto_accept_threshold` become `auto_accepted`, with the prediction's result as
  their `accepted_result`; a random `review_sample_rate` share of them is flagged for a
  spot-check (RoutingDecision.sampled_for_review), whose verdict confirms or replaces it.
  In the exploration band just under the threshold (RoutingPolicy), a random share of tasks
  goes to a reviewer instead of an annotator: `submitted` with the suggestion as the result
  under review, never accepted before a verdict. Their verdicts are the evidence that lowers
  the threshold (ml_assist.services.thresholds).
- `precision_estimate`: precision of auto-accepted labels on the reviewed spot-check sample,
  with a 95% Wilson score interval. Only the random sample counts: labels reviewed for other
  reasons (a complaint) are not a fair sample.
- `threshold_adjust`: when the precision measured at the threshold falls short of
  `target_precision`, raise the threshold, send the auto-accepted, unreviewed tasks now under it back to the queue, and log
  the move with its evidence (ThresholdEvent).
- the stable share of tasks served without a suggestion is platform_core.holdout's.
"""
import random
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from annotator.models import Annotation, ReviewItem, ReviewKind
from annotator.quality import wilson_interval
from ml_assist.models import ModelVersion
from ml_assist.priority import id_batch_size, in_batches
from ml_assist.routing_models import (
    RoutingDecision,
    RoutingPolicy,
    RoutingVerdict,
    ThresholdEvent,
    ThresholdEventKind,
    ThresholdEvidence,
)
from platform_core.models import Prediction, Project, Task, TaskStatus

# Below this many reviewed labels the threshold is left alone: one wrong label in 10 reads as a
# precision of 0.9, so acting earlier would raise thresholds on noise and stop the
# auto-accepting that produces the next samples.
MIN_REVIEWED_TO_ADJUST = 30
# Raise by this much when no confidence in the sample certifies the target.
THRESHOLD_STEP = 0.05
ROUTABLE_STATUSES = (TaskStatus.NEW, TaskStatus.SUGGESTED)


@dataclass
class RoutingResult:
    auto_accepted: list[int] = field(default_factory=list)
    sampled_for_review: list[int] = field(default_factory=list)
    # Confident, but taken, annotated, locked or routed before: left in the queue.
    skipped: list[int] = field(default_factory=list)
    # From the exploration band: sent to a reviewer, not accepted.
    explored: list[int] = field(default_factory=list)


class PrecisionEstimate(NamedTuple):
    precision: float | None
    low: float
    high: float
    n: int


def route_confident(
    *,
    project: Project,
    task_confidences: dict[int, float],
    rng=None,
    model_version: str | None = None,
) -> RoutingResult:
    """Auto-accept the tasks whose confidence reaches the threshold; sample some for review.

    `task_confidences` maps task id -> the suggestion's confidence in 0..1. `rng` is anything
    with `.random()` (random.Random, numpy Generator); seed it for reproducible samples.
    `model_version` names the predictions to link; None links each task's latest prediction.
    Only tasks still new or suggested, unlocked, without annotations and never routed before
    are taken; on PostgreSQL rows another transaction holds (a claim) are skipped, not waited on.
    """
    threshold = project.auto_accept_threshold
    result = RoutingResult()
    if threshold is None:
        return result
    confidences = {
        int(task_id): float(confidence)
        for task_id, confidence in task_confidences.items()
        if confidence is not None
    }
    for task_id, confidence in confidences.items():
        if not 0.0 <= confidence <= 1.0:  # NaN fails this too
            raise ValueError(f"confidence of task {task_id} is {confidence}; must be in 0..1")
    wanted = sorted(task_id for task_id, value in confidences.items() if value >= threshold)
    rng = rng if rng is not None else random.Random()
    rate = project.review_sample_rate
    now = timezone.now()
    with transaction.atomic():
        for batch in in_batches(wanted, id_batch_size()):
            ids = sorted(
                _routable(project)
                .filter(pk__in=batch)
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)
            )
            if not ids:
                continue
            # The label accepted is the linked prediction's: the task's final label (what
            # exports deliver) until a spot-check confirms or corrects it.
            Task.objects.filter(pk__in=ids).update(
                status=TaskStatus.AUTO_ACCEPTED,
                accepted_result=Subquery(
                    _predictions(model_version)
                    .filter(task=OuterRef("pk"))
                    .order_by("-id")
                    .values("result")[:1]
                ),
                accepted_at=now,
                updated_at=now,
            )
            predictions = _prediction_ids(ids, model_version)
            decisions = []
            for task_id in ids:
                sampled = rng.random() < rate
                decisions.append(
                    RoutingDecision(
                        task_id=task_id,
                        prediction_id=predictions.get(task_id),
                        confidence=confidences[task_id],
                        threshold=threshold,
                        sampled_for_review=sampled,
                    )
                )
                if sampled:
                    result.sampled_for_review.append(task_id)
            RoutingDecision.objects.bulk_create(decisions)
            _spot_checks_queue(project, decisions)
            result.auto_accepted.extend(ids)
    routed = set(result.auto_accepted)
    result.skipped = [task_id for task_id in wanted if task_id not in routed]
    policy = routing_policy_of(project)
    if policy.exploration_rate > 0:
        floor = threshold - policy.exploration_width
        band = sorted(t for t, value in confidences.items() if floor <= value < threshold)
        chosen = [t for t in band if rng.random() < policy.exploration_rate]
        result.explored = _explore(project, chosen, confidences, threshold, model_version)
    return result


def _spot_checks_queue(project, decisions: list[RoutingDecision]) -> None:
    """Review items for the decisions sampled for review that have a machine label."""
    ReviewItem.objects.bulk_create(
        ReviewItem(
            project_id=project.pk,
            task_id=decision.task_id,
            prediction_id=decision.prediction_id,
            kind=ReviewKind.SPOT_CHECK,
            confidence=decision.confidence,
        )
        for decision in decisions
        if decision.sampled_for_review and decision.prediction_id is not None
    )


def _explore(project, task_ids, confidences, threshold, model_version) -> list[int]:
    """Send the tasks to a reviewer with their suggestion as the result under review."""
    explored = []
    now = timezone.now()
    with transaction.atomic():
        for batch in in_batches(task_ids, id_batch_size()):
            ids = sorted(
                _routable(project)
                .filter(pk__in=batch)
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)
            )
            predictions = _prediction_ids(ids, model_version)
            ids = [task_id for task_id in ids if task_id in predictions]
            if not ids:
                continue
            # `submitted`: out of the labeling queue and, unlike `auto_accepted`, not a final
            # label; a reviewer's accept makes it `accepted`, a reject sends it to annotators.
            Task.objects.filter(pk__in=ids).update(status=TaskStatus.SUBMITTED, updated_at=now)
            decisions = [
                RoutingDecision(
                    task_id=task_id,
                    prediction_id=predictions[task_id],
                    confidence=confidences[task_id],
                    threshold=threshold,
                    sampled_for_review=True,
                    exploration=True,
                )
                for task_id in ids
            ]
            RoutingDecision.objects.bulk_create(decisions)
            _spot_checks_queue(project, decisions)
            explored.extend(ids)
    return explored


def routing_policy_of(project: Project) -> RoutingPolicy:
    """The project's routing policy; the defaults (unsaved) when it has none."""
    return RoutingPolicy.objects.filter(project=project).first() or RoutingPolicy(project=project)


def _routable(project: Project) -> QuerySet:
    annotated = Annotation.objects.filter(task=OuterRef("pk"))
    routed = RoutingDecision.objects.filter(task=OuterRef("pk"))
    # Exists, not a LEFT JOIN: PostgreSQL refuses FOR UPDATE on the nullable side of one.
    return Task.objects.filter(
        project=project,
        status__in=ROUTABLE_STATUSES,
        annotation_count=0,
        locked_by__isnull=True,
    ).exclude(Exists(annotated)).exclude(Exists(routed))


def _predictions(model_version: str | None) -> QuerySet:
    """The predictions routing may accept a task on: of `model_version`, or any."""
    if model_version is None:
        return Prediction.objects.all()
    return Prediction.objects.filter(model_version=model_version)


def _prediction_ids(task_ids: list[int], model_version: str | None) -> dict[int, int]:
    """The prediction each task is accepted on: its latest of `model_version` (or of any)."""
    predictions = _predictions(model_version).filter(task_id__in=task_ids)
    latest: dict[int, int] = {}
    rows = predictions.order_by("task_id", "-id").values_list("task_id", "id")
    for task_id, prediction_id in rows:
        latest.setdefault(task_id, prediction_id)
    return latest


# -- measuring ----------------------------------------------------------------------------------


def reviewed_sample(*, project: Project, min_confidence: float = 0.0) -> QuerySet:
    """Spot-checked routing decisions of `project` with a verdict, at or above a confidence."""
    return RoutingDecision.objects.filter(
        task__project=project,
        sampled_for_review=True,
        verdict__isnull=False,
        confidence__gte=min_confidence,
    )


def precision_estimate(
    *, project: Project, min_confidence: float | None = None
) -> PrecisionEstimate:
    """(precision, low, high, n) of auto-accepted labels on the reviewed spot-check sample.

    By default only decisions at or above the current threshold count: the estimate is of what
    the threshold in force lets through, so labels under an old, lower threshold do not keep
    dragging it down after it was raised. Pass min_confidence=0.0 for every decision.
    precision is None while nothing has been reviewed.
    """
    if min_confidence is None:
        min_confidence = project.auto_accept_threshold or 0.0
    counts = reviewed_sample(project=project, min_confidence=min_confidence).aggregate(
        n=Count("id"), correct=Count("id", filter=Q(verdict=RoutingVerdict.CORRECT))
    )
    n, correct = counts["n"], counts["correct"]
    low, high = wilson_interval(correct, n)
    return PrecisionEstimate(correct / n if n else None, low, high, n)


# -- acting on the measurement ------------------------------------------------------------------


@transaction.atomic
def threshold_adjust(*, project: Project) -> dict:
    """Raise the threshold when the precision measured on the spot-checks at or above it falls
    short of the target; return a summary.

    Short means the measured precision, not its lower bound: the threshold in force was
    certified when it was set (a held-out proposal, an exploration band), and 30 of 30 right
    still has a lower bound of 0.89, so acting on the bound would push every threshold towards
    1.0 until far more spot-checks came in than a project reviews.

    The new threshold is the lowest confidence in the reviewed sample above which the sample's
    lower bound meets the target, or else the old one + THRESHOLD_STEP (at most 1.0).
    Auto-accepted tasks under the new threshold that nobody reviewed go back to the queue as
    `suggested`, and their routing decisions are deleted (they may be routed again later).
    The project row is locked for the duration, so two adjustments do not interleave.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    old = locked.auto_accept_threshold
    summary = {
        "changed": False,
        "old_threshold": old,
        "new_threshold": old,
        "target_precision": locked.target_precision,
        "precision": None,
        "low": 0.0,
        "high": 1.0,
        "n": 0,
        "returned": 0,
        "returned_task_ids": [],
        "reason": "",
    }
    if old is None:
        return {**summary, "reason": "confidence routing is off"}
    estimate = precision_estimate(project=locked)
    summary.update(estimate._asdict())
    if estimate.n < MIN_REVIEWED_TO_ADJUST:
        return {**summary, "reason": f"{estimate.n} reviewed; {MIN_REVIEWED_TO_ADJUST} needed"}
    if estimate.low >= locked.target_precision:
        return {**summary, "reason": "lower bound meets the target"}
    if estimate.precision >= locked.target_precision:
        return {**summary, "reason": "measured precision meets the target"}
    new = _raised_threshold(locked, old)
    if new <= old:
        return {**summary, "reason": "threshold is already at its maximum"}
    locked.auto_accept_threshold = new
    locked.full_clean()
    # An UPDATE, not save(): the save signal logs hand-made changes; this one is logged below.
    Project.objects.filter(pk=locked.pk).update(auto_accept_threshold=new, updated_at=timezone.now())
    project.auto_accept_threshold = new
    returned = _return_to_queue(locked, new)
    ThresholdEvent.objects.create(
        project=locked,
        kind=ThresholdEventKind.RAISED,
        evidence=ThresholdEvidence.SPOT_CHECKS,
        model_version=ModelVersion.objects.filter(project=locked, is_active=True).first(),
        old_threshold=old,
        new_threshold=new,
        target_precision=locked.target_precision,
        n=estimate.n,
        correct=round((estimate.precision or 0.0) * estimate.n),
        low=estimate.low,
        high=estimate.high,
        note=f"{len(returned)} unreviewed auto-accepted tasks went back to the queue.",
    )
    return {
        **summary,
        "changed": True,
        "new_threshold": new,
        "returned": len(returned),
        "returned_task_ids": returned,
        "reason": "lower bound under the target",
    }


def _raised_threshold(project: Project, old: float) -> float:
    rows = sorted(
        reviewed_sample(project=project, min_confidence=old).values_list("confidence", "verdict")
    )
    # Walk the sample from the top down, counting what a threshold at each confidence keeps.
    n = correct = 0
    best = None
    for index in range(len(rows) - 1, -1, -1):
        confidence, verdict = rows[index]
        n += 1
        correct += verdict == RoutingVerdict.CORRECT
        if index > 0 and rows[index - 1][0] == confidence:
            continue  # a threshold keeps all equal confidences or none
        if confidence > old and wilson_interval(correct, n)[0] >= project.target_precision:
            best = confidence
    if best is not None:
        return best
    return min(1.0, round(old + THRESHOLD_STEP, 6))


def _return_to_queue(project: Project, threshold: float) -> list[int]:
    task_ids = list(
        RoutingDecision.objects.filter(
            task__project=project,
            task__status=TaskStatus.AUTO_ACCEPTED,
            confidence__lt=threshold,
            verdict__isnull=True,
        )
        .order_by("task_id")
        .values_list("task_id", flat=True)
    )
    now = timezone.now()
    for batch in in_batches(task_ids, id_batch_size()):
        # Unreviewed, so the accepted label is the machine's routing stored: undone with it.
        Task.objects.filter(pk__in=batch, status=TaskStatus.AUTO_ACCEPTED).update(
            status=TaskStatus.SUGGESTED, accepted_result=None, accepted_at=None, updated_at=now
        )
        RoutingDecision.objects.filter(task_id__in=batch).delete()
        ReviewItem.objects.filter(task_id__in=batch, kind=ReviewKind.SPOT_CHECK).delete()
    return task_ids


# -- reviewing and holding out ------------------------------------------------------------------


def review_sample_pending(*, project: Project) -> QuerySet:
    """Sampled decisions of `project` awaiting a spot-check, oldest first."""
    return RoutingDecision.objects.filter(
        task__project=project, sampled_for_review=True, verdict__isnull=True
    ).order_by("id")


def routing_review_record(*, decision: RoutingDecision, verdict: str, reviewer) -> RoutingDecision:
    """Record a spot-check verdict ("correct" / "incorrect") on an auto-accepted label.

    Only the verdict: what happens to the task (kept, corrected, relabeled) is the review
    service's decision. Precondition: the reviewer may review in the task's project.
    """
    decision.verdict = verdict
    decision.reviewed_by = reviewer
    decision.reviewed_at = timezone.now()
    decision.full_clean()
    decision.save(update_fields=["verdict", "reviewed_by", "reviewed_at"])
    return decision
