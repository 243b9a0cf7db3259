"""Annotations: submitting a held task, and an annotator editing their own submission."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotator.models import Annotation, AnnotationStatus, AnnotationVersion
from annotator.selectors import task_get_for_annotator
from annotator.services.errors import QueueConflict
from annotator.services.queue import release_lock, require_lock_holder
from annotator.services.review_queue import review_items_enqueue_submitted
from platform_core.models import Prediction, Task, TaskStatus
from platform_core.models.tasks import OPEN_STATUSES
from platform_core.results import gold_matches, results_equal, validate_result

# The foreign keys are objects this module just loaded; full_clean would re-read each one.
# The one-annotation-per-annotator constraint is the database's: a violation becomes a 409.
_CLEAN_KWARGS = {"exclude": ["task", "project", "annotator", "prediction"], "validate_constraints": False}


@transaction.atomic
def annotation_submit(
    *, task_id: int, user, result, lead_time_s: float | None, prediction_id: int | None = None
) -> Annotation:
    """Store the caller's answer for the task they hold, and free the task. `lead_time_s` is
    None when the active time is unknown (a label made elsewhere, loaded by a script).

    Http404 unless the task is in one of the caller's organizations. Refused with
    QueueConflict when the caller does not hold the lock (see require_lock_holder), has
    annotated the task already, or the task needs no more annotations; ValidationError (a 400
    naming the field) when the result does not fit the project's label config.
    """
    task = task_get_for_annotator(user=user, task_id=task_id, lock=True)
    project = task.project
    # The holder of the lock cannot have annotated the task (claims skip those, submits free
    # the lock), so the lookup runs only on the way to a 409; the unique constraint backs it.
    if task.locked_by_id != user.pk:
        _refuse_a_second_annotation(task, user)
    require_lock_holder(task=task, user=user)
    if task.annotation_count >= project.overlap:
        raise QueueConflict("This task has all the annotations it needs.", code="overlap_full")
    if task.status not in OPEN_STATUSES:
        raise QueueConflict(f"This task is {task.status}; it takes no annotations.", code="closed")
    result = validate_result(project=project, task=task, result=result)
    prediction = _suggestion_of(task, prediction_id)

    annotation = Annotation(
        task=task,
        project=project,
        annotator=user,
        result=result,
        prediction=prediction,
        lead_time_s=lead_time_s,
        **_judged(task, prediction, result),
    )
    annotation.full_clean(**_CLEAN_KWARGS)
    try:
        annotation.save()
    except IntegrityError:
        # The transaction is aborted now: no query can look up the existing annotation's id.
        raise QueueConflict(
            "You have annotated this task already; edit that annotation instead.",
            code="already_annotated",
        ) from None
    task.annotation_count += 1
    release_lock(task=task)
    if task.status == TaskStatus.SUBMITTED:
        review_items_enqueue_submitted(task=task, annotation=annotation)
    return annotation


@transaction.atomic
def annotation_update(
    *, annotation: Annotation, user, result, lead_time_s: float = 0.0
) -> Annotation:
    """Replace the result of the caller's own annotation, keeping the previous one as history.

    `lead_time_s` is the active time spent on this edit; it adds to the annotation's total. An
    unknown total stays unknown: the edit alone is not the time the label took.
    Precondition: `annotation` was fetched scoped to its owner. Refused (QueueConflict) once a
    reviewer has decided on it: the review refers to the result it saw.
    """
    annotation = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("task__project", "prediction")
        .get(pk=annotation.pk)
    )
    if annotation.annotator_id != user.pk:
        raise PermissionDenied("Only the annotator may edit an annotation.")
    if annotation.status != AnnotationStatus.SUBMITTED:
        raise QueueConflict(
            f"This annotation has been reviewed ({annotation.status}); it can no longer change.",
            code="reviewed",
        )
    if annotation.review_items.filter(locked_until__gt=timezone.now()).exists():
        raise QueueConflict(
            "A reviewer is looking at this annotation right now; it cannot change meanwhile.",
            code="in_review",
        )
    task = annotation.task
    result = validate_result(project=task.project, task=task, result=result)
    if result != annotation.result:
        version = AnnotationVersion(
            annotation=annotation,
            result=annotation.result,
            lead_time_s=annotation.lead_time_s,
            changed_from_suggestion=annotation.changed_from_suggestion,
            created_at=annotation.updated_at,
        )
        version.full_clean(exclude=["annotation"])
        version.save()
        annotation.result = result
        for field, value in _judged(task, annotation.prediction, result).items():
            setattr(annotation, field, value)
    if annotation.lead_time_s is not None:
        annotation.lead_time_s += lead_time_s
    annotation.full_clean(**_CLEAN_KWARGS)
    annotation.save()
    return annotation


def _refuse_a_second_annotation(task: Task, user) -> None:
    existing = (
        Annotation.objects.filter(task=task, annotator=user)
        .exclude(status=AnnotationStatus.REJECTED)
        .values_list("pk", flat=True)
    )
    existing = existing.first()
    if existing is not None:
        raise QueueConflict(
            "You have annotated this task already; edit that annotation instead.",
            code="already_annotated",
            annotation=existing,
        )


def _suggestion_of(task: Task, prediction_id: int | None) -> Prediction | None:
    if prediction_id is None:
        return None
    prediction = Prediction.objects.filter(task=task, pk=prediction_id).first()
    if prediction is None:
        raise ValidationError({"prediction": ["Not a suggestion for this task."]})
    return prediction


def _judged(task: Task, prediction: Prediction | None, result: dict) -> dict:
    """What is measured about a result: did it change the suggestion, is it right on gold."""
    task_type = task.project.task_type
    changed = None
    if prediction is not None:
        changed = not results_equal(task_type, result, prediction.result)
    gold = None if task.gold_result is None else gold_matches(task_type, result, task.gold_result)
    return {"changed_from_suggestion": changed, "gold_correct": gold}


def judge_gold(*, task: Task) -> int:
    """Judge every annotation of `task` against its gold answer (or stop judging them when it
    has none); returns how many changed. Precondition: inside the transaction that changed
    the gold answer, holding the task's row lock."""
    changed = 0
    task_type = task.project.task_type
    for annotation in Annotation.objects.filter(task=task).only("id", "result", "gold_correct"):
        verdict = None
        if task.gold_result is not None:
            verdict = gold_matches(task_type, annotation.result, task.gold_result)
        if verdict != annotation.gold_correct:
            annotation.gold_correct = verdict
            annotation.save(update_fields=["gold_correct"])
            changed += 1
    return changed
