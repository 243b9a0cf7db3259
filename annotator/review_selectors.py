"""Reads of the review side: what a reviewer sees of an item, their progress, a task's history.

Scoped like annotator.selectors: another organization's ids are not found (404).
"""
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from annotator.models import Annotation, Review, ReviewItem, ReviewKind
from annotator.selectors import (
    PREDICTION_ROWS,
    TASK_ROWS,
    annotations_in_callers_organizations,
    get_or_404,
)
from platform_core.holdout import suggestion_holdout
from platform_core.models import Membership, Prediction, Task
from platform_core.sql import ModelRows, hot_cursor

User = get_user_model()
ANNOTATION_ROWS = ModelRows(Annotation)
# Projects with this many pending items count them from the cache (see review_progress).
PENDING_COUNT_CACHED_FROM = 50_000
PENDING_COUNT_CACHE_SECONDS = 10

# Everything the reviewer's screen needs about a claimed item, in one statement: the task, the
# annotation with its author's name, and the machine's suggestion (the item's own prediction
# for a spot-check, else the one the annotator started from, else the task's latest).
_ITEM_SUBJECT_SQL = f"""
SELECT {TASK_ROWS.columns("t")}, {ANNOTATION_ROWS.columns("a")}, u.username,
       {PREDICTION_ROWS.columns("p")}
FROM {Task._meta.db_table} t
LEFT JOIN {Annotation._meta.db_table} a ON a.id = CAST(%(annotation)s AS BIGINT)
LEFT JOIN {User._meta.db_table} u ON u.id = a.annotator_id
LEFT JOIN {Prediction._meta.db_table} p ON p.id = COALESCE(
    CAST(%(prediction)s AS BIGINT), a.prediction_id,
    (SELECT p2.id FROM {Prediction._meta.db_table} p2 WHERE p2.task_id = t.id
     ORDER BY p2.created_at DESC, p2.id DESC LIMIT 1))
WHERE t.id = %(task)s
"""


def review_item_subject(*, item: ReviewItem) -> dict:
    """{"task", "annotation" (with `annotator_username`), "suggestion", "result",
    "earlier_reviews"} of a claimed item: what the review page and API show."""
    params = {"task": item.task_id, "annotation": item.annotation_id, "prediction": item.prediction_id}
    with hot_cursor() as cursor:
        cursor.execute(_ITEM_SUBJECT_SQL, params)
        row = cursor.fetchone()
    task = TASK_ROWS.instance(row[: TASK_ROWS.width])
    start = TASK_ROWS.width
    annotation_values = row[start : start + ANNOTATION_ROWS.width]
    start += ANNOTATION_ROWS.width
    username = row[start]
    prediction_values = row[start + 1 : start + 1 + PREDICTION_ROWS.width]
    annotation = None
    if annotation_values[ANNOTATION_ROWS.pk_index] is not None:
        annotation = ANNOTATION_ROWS.instance(annotation_values)
        annotation.annotator_username = username
    suggestion = None
    if prediction_values[PREDICTION_ROWS.pk_index] is not None:
        suggestion = PREDICTION_ROWS.instance(prediction_values)
    if item.result is not None:
        result = item.result
    elif annotation is not None:
        result = annotation.result
    else:
        result = suggestion.result if suggestion is not None else None
    return {
        "task": task,
        "annotation": annotation,
        "suggestion": suggestion,
        "result": result,
        "earlier_reviews": list(reviews_of_task(task_id=task.pk)),
    }


def reviews_of_task(*, task_id: int) -> QuerySet[Review]:
    return Review.objects.filter(task_id=task_id).select_related("reviewer").order_by(
        "created_at", "id"
    )


def annotation_get_for_review(*, user, annotation_id) -> Annotation:
    """An annotation of one of the caller's organizations (any role: the view's permission
    class answers 403 for roles that may not review), with its task and project."""
    annotations = annotations_in_callers_organizations(user=user)
    return get_or_404(
        annotations.select_related("task__project"), annotation_id, "No such annotation."
    )


def review_item_get_for_user(*, user, item_id) -> ReviewItem:
    items = ReviewItem.objects.filter(project__deleting=False).select_related("project")
    if not user.is_superuser:
        items = items.filter(
            project__organization__in=Membership.objects.filter(user=user).values(
                "organization_id"
            )
        )
    return get_or_404(items, item_id, "No such review item.")


def review_progress(*, user, project) -> dict:
    """The reviewer's progress line: their verdicts here since midnight UTC, the pending items
    they may take (not their own work, not what they passed at the first stage), and every
    verdict the project has had.

    On large queues the pending count is cached for a few seconds, as the labeling page's is.
    """
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    done_today = Review.objects.filter(
        reviewer=user, created_at__gte=midnight, task__project=project
    ).count()
    key = f"annotator:review-pending:{project.pk}:{user.pk}"
    left = cache.get(key)
    if left is None:
        mine = Q(author=user) | Q(excluded_reviewer=user)
        left = ReviewItem.objects.filter(project=project).exclude(mine).count()
        if left >= PENDING_COUNT_CACHED_FROM:
            cache.set(key, left, PENDING_COUNT_CACHE_SECONDS)
    return {
        "done_today": done_today,
        "left": left,
        "total_reviewed": Review.objects.filter(task__project=project).count(),
    }


def task_history(*, task: Task, user, full: bool) -> dict:
    """The task's whole story: its suggestions, each annotation with its earlier versions and
    reviews, and the spot-checks of its machine label.

    `full` for reviewers, managers and admins. Anyone else sees only their own annotations and
    the reviews of them (a rejected annotator reads why), and no suggestion the queue held out
    from them.
    """
    annotations = (
        Annotation.objects.filter(task=task)
        .select_related("annotator")
        .prefetch_related(
            "versions",
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer").order_by("id")),
        )
        .order_by("created_at", "id")
    )
    suggestions = Prediction.objects.filter(task=task).order_by("created_at", "id")
    spot_checks = reviews_of_task(task_id=task.pk).filter(kind=ReviewKind.SPOT_CHECK)
    if not full:
        annotations = annotations.filter(annotator=user)
        spot_checks = spot_checks.none()
        if suggestion_holdout(task.pk, task.project.suggestion_holdout_rate):
            suggestions = suggestions.none()
    return {
        "suggestions": list(suggestions),
        "annotations": list(annotations),
        "spot_checks": list(spot_checks),
    }
