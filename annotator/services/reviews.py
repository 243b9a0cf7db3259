"""Review verdicts: accept, correct or reject a result in the review queue, and keep the record.

What a verdict does to the task:
- accept / correct: the result (the one under review, or the reviewer's correction) becomes
  the task's `accepted_result` and the task `accepted`, unless another item of the task is still
  pending or the project sampled this one for a second stage (then the task stays `submitted`).
- reject: the annotation is `rejected` (kept as history; it no longer fills an overlap slot) and
  the task goes back to the labeling queue as `rejected`, where the next annotator sees the
  comment. A rejected machine label sends its task to labeling the same way.
A verdict on a spot-checked machine label is announced with `machine_label_reviewed`, which
confidence routing (ml_assist) records as evidence of the machine's precision.
"""
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from annotator.models import (
    Annotation,
    AnnotationStatus,
    Review,
    ReviewItem,
    ReviewKind,
    ReviewVerdict,
)
from annotator.quality import edit_figure
from annotator.services.errors import QueueConflict
from annotator.signals import machine_label_reviewed
from platform_core.models import Prediction, Task, TaskStatus
from platform_core.results import results_equal, validate_result

# Statuses in which a verdict settles the task; an open one was sent back to labeling already.
_UNDER_REVIEW = (TaskStatus.SUBMITTED, TaskStatus.AUTO_ACCEPTED)


def review_item_for_verdict(
    *, user, annotation: Annotation | None = None, task: Task | None = None
) -> ReviewItem:
    """The pending item of `annotation` (or the spot-check item of `task`), row-locked.

    Preconditions: inside a transaction; the annotation or task was fetched scoped to the
    caller's organizations and the caller's role may review. PermissionDenied for one's own
    annotation or the item one passed at the first stage; QueueConflict when nothing is
    pending or another reviewer holds the item.
    """
    if annotation is not None and annotation.annotator_id == user.pk:
        raise PermissionDenied("You cannot review your own annotation.")
    items = ReviewItem.objects.select_for_update()
    if annotation is not None:
        items = items.filter(annotation=annotation)
    else:
        items = items.filter(task=task, kind=ReviewKind.SPOT_CHECK)
    item = items.order_by("stage", "id").first()
    if item is None:
        raise QueueConflict("Nothing here is waiting for review.", code="not_pending")
    if item.excluded_reviewer_id == user.pk:
        raise PermissionDenied("A second-stage review must come from a different reviewer.")
    held_by_other = item.locked_by_id not in (None, user.pk)
    if held_by_other and item.locked_until and item.locked_until > timezone.now():
        raise QueueConflict("Another reviewer holds this item.", code="locked_by_other")
    return item


@transaction.atomic
def review_record(
    *, item: ReviewItem, reviewer, verdict: str, result=None, comment: str = "", rng=None
) -> Review:
    """Record the reviewer's verdict on `item` and move its task on (see the module docstring).

    Precondition: `item` came from review_item_for_verdict in this transaction. ValidationError
    (a 400 naming the field) for a reject without a comment, a correction without a result or
    one that does not fit the label config. A correction identical to the result under review
    is recorded as an accept.
    """
    task = Task.objects.select_for_update().select_related("project").get(pk=item.task_id)
    project = task.project
    annotation = None
    if item.annotation_id is not None:
        annotation = Annotation.objects.select_for_update().get(pk=item.annotation_id)
        annotation.task = task  # its save signals read the task: no second fetch
    prediction_id = item.prediction_id or (annotation.prediction_id if annotation else None)
    reviewed = _result_under_review(item, annotation)
    comment = comment.strip()

    if verdict == ReviewVerdict.CORRECT:
        if result is None:
            raise ValidationError({"result": ["A correction needs the corrected result."]})
        result = validate_result(project=project, task=task, result=result)
        if results_equal(project.task_type, result, reviewed):
            verdict = ReviewVerdict.ACCEPT
    elif result is not None:
        raise ValidationError({"result": ["Only a correction sends a result."]})
    if verdict == ReviewVerdict.REJECT and not comment:
        raise ValidationError({"comment": ["Say what is wrong: the annotator will read it."]})
    final = {ReviewVerdict.ACCEPT: reviewed, ReviewVerdict.CORRECT: result}.get(verdict)

    review = Review(
        task=task,
        annotation=annotation,
        prediction_id=prediction_id,
        kind=item.kind,
        stage=item.stage,
        reviewer=reviewer,
        verdict=verdict,
        reviewed_result=reviewed,
        result=final,
        edit=None if final is None else edit_figure(project.task_type, reviewed, final),
        comment=comment,
        confidence=item.confidence,
    )
    # The foreign keys were just loaded and the check constraints are the database's.
    review.full_clean(
        exclude=["task", "annotation", "prediction", "reviewer"], validate_constraints=False
    )
    review.save()
    item.delete()

    if verdict == ReviewVerdict.REJECT:
        _send_back_to_labeling(task, annotation)
    else:
        if annotation is not None and annotation.status != AnnotationStatus.ACCEPTED:
            annotation.status = AnnotationStatus.ACCEPTED
            annotation.save(update_fields=["status", "updated_at"])
        second_stage = _second_stage(item, project, final, reviewer, rng)
        if task.status in _UNDER_REVIEW and not second_stage:
            if not ReviewItem.objects.filter(task=task).exists():
                task.status = TaskStatus.ACCEPTED
                task.accepted_result = final
        review.second_stage = second_stage
    task.save(update_fields=["status", "annotation_count", "accepted_result", "updated_at"])
    review.task_status = task.status
    if item.kind == ReviewKind.SPOT_CHECK:
        machine_label_reviewed.send(
            sender=Review, review=review, correct=verdict == ReviewVerdict.ACCEPT
        )
    return review


def _result_under_review(item: ReviewItem, annotation: Annotation | None) -> dict:
    if item.result is not None:  # a second stage judges what the first reviewer passed
        return item.result
    if annotation is not None:
        return annotation.result
    return Prediction.objects.values_list("result", flat=True).get(pk=item.prediction_id)


def _send_back_to_labeling(task: Task, annotation: Annotation | None) -> None:
    if annotation is not None:
        annotation.status = AnnotationStatus.REJECTED
        annotation.save(update_fields=["status", "updated_at"])
        task.annotation_count = max(0, task.annotation_count - 1)
    task.status = TaskStatus.REJECTED
    task.accepted_result = None


def _second_stage(item, project, final, reviewer, rng) -> bool:
    """Sample an accepted annotation for acceptance by a second, different reviewer."""
    if item.kind != ReviewKind.ANNOTATION or item.stage != 1:
        return False
    if (rng or random).random() >= project.second_review_rate:
        return False
    ReviewItem.objects.create(
        project_id=item.project_id,
        task_id=item.task_id,
        annotation_id=item.annotation_id,
        kind=ReviewKind.ANNOTATION,
        stage=2,
        result=final,
        author_id=item.author_id,
        excluded_reviewer=reviewer,
    )
    return True
