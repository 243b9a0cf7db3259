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
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save
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
from annotator.review_selectors import ANNOTATION_ROWS
from annotator.selectors import TASK_ROWS
from annotator.services.errors import QueueConflict
from annotator.services.review_queue import ITEM_ROWS
from annotator.signals import machine_label_reviewed
from platform_core.models import AcceptedSource, Prediction, Project, Task, TaskStatus
from platform_core.results import results_equal, validate_result
from platform_core.selectors import PROJECT_ROWS
from platform_core.sql import fetch_one, hot_cursor

# Statuses in which a verdict settles the task; an open one was sent back to labeling already.
_UNDER_REVIEW = (TaskStatus.SUBMITTED, TaskStatus.AUTO_ACCEPTED)
_ITEM, _TASK = ReviewItem._meta.db_table, Task._meta.db_table


def _item_for_verdict_sql(*, of_annotation: bool) -> str:
    """The pending item of an annotation (or the spot-check item of a task), oldest stage
    first, with the task, its project and the annotation: the rows a verdict reads and writes,
    in one statement (see platform_core.sql). `FOR UPDATE OF` is added per call."""
    if of_annotation:
        annotation_columns = f", {ANNOTATION_ROWS.columns('a')}"
        annotation_join = f"JOIN {Annotation._meta.db_table} a ON a.id = i.annotation_id"
        subject = "i.annotation_id = %(annotation)s"
    else:
        annotation_columns = annotation_join = ""
        subject = f"i.task_id = %(task)s AND i.kind = '{ReviewKind.SPOT_CHECK.value}'"
    return f"""
SELECT {ITEM_ROWS.columns("i")}, {TASK_ROWS.columns("t")}, {PROJECT_ROWS.columns("p")}
       {annotation_columns}
FROM {_ITEM} i JOIN {_TASK} t ON t.id = i.task_id
JOIN {Project._meta.db_table} p ON p.id = t.project_id
{annotation_join}
WHERE {subject}
ORDER BY i.stage, i.id LIMIT 1
"""


_ITEM_OF_ANNOTATION_SQL = _item_for_verdict_sql(of_annotation=True)
_SPOT_CHECK_ITEM_SQL = _item_for_verdict_sql(of_annotation=False)
# The lock order of claims and submits (item, then task, then annotation), so a verdict cannot
# deadlock against them: PostgreSQL locks a row's tables in the order FOR UPDATE OF names them.
# The project is read, not locked.
_ROW_LOCKS = {True: "FOR UPDATE OF i, t, a", False: "FOR UPDATE OF i, t"}


def review_item_for_verdict(
    *, user, annotation: Annotation | None = None, task: Task | None = None
) -> ReviewItem:
    """The pending item of `annotation` (or the spot-check item of `task`), row-locked with its
    task (`item.task`, with its project) and annotation (`item.annotation`).

    Preconditions: inside a transaction; the annotation or task was fetched scoped to the
    caller's organizations and the caller's role may review. PermissionDenied for one's own
    annotation or the item one passed at the first stage; QueueConflict when nothing is
    pending or another reviewer holds the item.
    """
    if annotation is not None and annotation.annotator_id == user.pk:
        raise PermissionDenied("You cannot review your own annotation.")
    of_annotation = annotation is not None
    readers = (ITEM_ROWS, TASK_ROWS, PROJECT_ROWS) + ((ANNOTATION_ROWS,) if of_annotation else ())
    sql = _ITEM_OF_ANNOTATION_SQL if of_annotation else _SPOT_CHECK_ITEM_SQL
    if connection.features.has_select_for_update:
        sql += _ROW_LOCKS[of_annotation]
    params = {"annotation": annotation.pk} if of_annotation else {"task": task.pk}
    found = fetch_one(sql, params, *readers)
    if found is None:
        raise QueueConflict("Nothing here is waiting for review.", code="not_pending")
    item, item.task, item.task.project, *locked_annotation = found
    if locked_annotation:
        item.annotation = locked_annotation[0]
        item.annotation.task = item.task  # its save signals read the task: no second fetch
    if item.excluded_reviewer_id == user.pk:
        raise PermissionDenied("A second-stage review must come from a different reviewer.")
    held_by_other = item.locked_by_id not in (None, user.pk)
    if held_by_other and item.locked_until and item.locked_until > timezone.now():
        raise QueueConflict("Another reviewer holds this item.", code="locked_by_other")
    return item


@transaction.atomic(savepoint=False)  # always inside the transaction that locked the item
def review_record(
    *, item: ReviewItem, reviewer, verdict: str, result=None, comment: str = "", rng=None
) -> Review:
    """Record the reviewer's verdict on `item` and move its task on (see the module docstring).

    Precondition: `item` came from review_item_for_verdict in this transaction (its task and
    annotation are the locked rows read with it). ValidationError (a 400 naming the field) for
    a reject without a comment, a correction without a result or one that does not fit the
    label config. A correction identical to the result under review is recorded as an accept.
    """
    task, annotation = item.task, item.annotation
    project = task.project
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
        project=project,
        annotation=annotation,
        author_id=annotation.annotator_id if annotation else None,
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
        exclude=["task", "project", "annotation", "author", "prediction", "reviewer"],
        validate_constraints=False,
    )
    _review_insert(review)
    with hot_cursor() as cursor:
        cursor.execute(_DELETE_ITEM_SQL, [item.pk])

    review.second_stage = False
    if verdict == ReviewVerdict.REJECT:
        _send_back_to_labeling(task, annotation)
    else:
        if annotation is not None and annotation.status != AnnotationStatus.ACCEPTED:
            _annotation_status_set(annotation, AnnotationStatus.ACCEPTED)
        review.second_stage = _second_stage(item, project, final, reviewer, rng)
        if task.status in _UNDER_REVIEW and not review.second_stage:
            if not _items_pending(task):
                task.status = TaskStatus.ACCEPTED
                task.accepted_result = final
                task.accepted_source = _accepted_source(task, item.kind, verdict)
                # A spot-check confirming an auto-accepted label keeps the machine's time.
                task.accepted_at = task.accepted_at or timezone.now()
    _task_save(task)
    review.task_status = task.status
    if item.kind == ReviewKind.SPOT_CHECK:
        machine_label_reviewed.send(
            sender=Review, review=review, correct=verdict == ReviewVerdict.ACCEPT
        )
    return review


# SQL, not the ORM, for every statement a verdict runs (see platform_core.sql): compiled by
# Django, each write cost more CPU than the database spent on it, and was planned anew. The
# values written are valid by construction (the review was full_clean'ed). Review, ReviewItem
# and Task have no save or delete receivers, so the SQL skips nothing; Annotation's save signals
# are sent as Model.save sends them (ml_assist counts accepted labels from post_save).
_REVIEW_FIELDS = [field for field in Review._meta.concrete_fields if not field.primary_key]
_INSERT_REVIEW_SQL = "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id".format(
    table=Review._meta.db_table,
    columns=", ".join(f'"{field.column}"' for field in _REVIEW_FIELDS),
    values=", ".join(["%s"] * len(_REVIEW_FIELDS)),
)
_DELETE_ITEM_SQL = f"DELETE FROM {_ITEM} WHERE id = %s"
_ITEMS_PENDING_SQL = f"SELECT 1 FROM {_ITEM} WHERE task_id = %s LIMIT 1"
_ANNOTATION_STATUS_SQL = (
    f"UPDATE {Annotation._meta.db_table} SET status = %s, updated_at = %s WHERE id = %s"
)
_TASK_SAVE_SQL = f"""
UPDATE {_TASK} SET status = %(status)s, annotation_count = %(annotation_count)s,
    accepted_result = %(accepted_result)s, accepted_at = %(accepted_at)s,
    accepted_source = %(accepted_source)s, updated_at = %(now)s
WHERE id = %(task)s
"""
# An accepted annotation of the task that kept the suggestion and that no verdict corrected.
_SUGGESTION_KEPT_SQL = f"""
SELECT 1 FROM {Annotation._meta.db_table} a
WHERE a.task_id = %s AND a.status = %s AND a.changed_from_suggestion = %s
  AND NOT EXISTS (SELECT 1 FROM {Review._meta.db_table} r
                  WHERE r.annotation_id = a.id AND r.verdict = %s)
LIMIT 1
"""
_ACCEPTED_RESULT = Task._meta.get_field("accepted_result")
_STATUS_FIELDS = frozenset({"status", "updated_at"})


def _review_insert(review: Review) -> None:
    """Insert a new review as Model.save would: each field's value prepared by the field
    (created_at stamped), the new id set."""
    values = [
        field.get_db_prep_save(field.pre_save(review, add=True), connection)
        for field in _REVIEW_FIELDS
    ]
    with hot_cursor() as cursor:
        cursor.execute(_INSERT_REVIEW_SQL, values)
        review.pk = cursor.fetchone()[0]
    review._state.adding, review._state.db = False, connection.alias


def _annotation_status_set(annotation: Annotation, status: str) -> None:
    annotation.status, annotation.updated_at = status, timezone.now()
    updated_at = connection.ops.adapt_datetimefield_value(annotation.updated_at)
    signal = {"sender": Annotation, "instance": annotation, "raw": False,
              "using": connection.alias, "update_fields": _STATUS_FIELDS}
    pre_save.send(**signal)
    with hot_cursor() as cursor:
        cursor.execute(_ANNOTATION_STATUS_SQL, [status, updated_at, annotation.pk])
    post_save.send(created=False, **signal)


def _accepted_source(task: Task, kind: str, verdict: str) -> str | None:
    """Where the label of a task becoming accepted came from, for the machine's share: the
    machine's when a spot-check kept it, the suggestion's when an annotation kept it and no
    reviewer corrected it, else (a person's label) None."""
    if kind == ReviewKind.SPOT_CHECK:
        return AcceptedSource.MACHINE if verdict == ReviewVerdict.ACCEPT else None
    params = [task.pk, AnnotationStatus.ACCEPTED, False, ReviewVerdict.CORRECT]
    with hot_cursor() as cursor:
        cursor.execute(_SUGGESTION_KEPT_SQL, params)
        return AcceptedSource.SUGGESTION if cursor.fetchone() is not None else None


def _items_pending(task: Task) -> bool:
    """Whether other items of the task still wait for a verdict. Precondition: holding the
    task's row lock, which every writer of its items takes, so the answer holds until commit."""
    with hot_cursor() as cursor:
        cursor.execute(_ITEMS_PENDING_SQL, [task.pk])
        return cursor.fetchone() is not None


def _task_save(task: Task) -> None:
    task.updated_at = timezone.now()
    params = {
        "status": task.status,
        "annotation_count": task.annotation_count,
        "accepted_result": _ACCEPTED_RESULT.get_db_prep_save(task.accepted_result, connection),
        "accepted_at": connection.ops.adapt_datetimefield_value(task.accepted_at),
        "accepted_source": task.accepted_source,
        "now": connection.ops.adapt_datetimefield_value(task.updated_at),
        "task": task.pk,
    }
    with hot_cursor() as cursor:
        cursor.execute(_TASK_SAVE_SQL, params)


def _result_under_review(item: ReviewItem, annotation: Annotation | None) -> dict:
    if item.result is not None:  # a second stage judges what the first reviewer passed
        return item.result
    if annotation is not None:
        return annotation.result
    return Prediction.objects.values_list("result", flat=True).get(pk=item.prediction_id)


def _send_back_to_labeling(task: Task, annotation: Annotation | None) -> None:
    if annotation is not None:
        _annotation_status_set(annotation, AnnotationStatus.REJECTED)
        task.annotation_count = max(0, task.annotation_count - 1)
    task.status = TaskStatus.REJECTED
    task.accepted_result = None
    task.accepted_at = None


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
