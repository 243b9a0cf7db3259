"""Reads of the review side: what a reviewer sees of an item, their progress, a task's history.

Scoped like annotator.selectors: another organization's ids are not found (404). The reads that
next-review and every verdict run are hand-written SQL (see platform_core.sql), and bring the
caller's role with the object as `caller_role`, so the role check asks the database nothing more.
"""
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from annotator.models import Annotation, Review, ReviewItem, ReviewKind
from annotator.selectors import PREDICTION_ROWS, TASK_ROWS, get_or_404
from platform_core.holdout import suggestion_holdout
from platform_core.models import Membership, Prediction, Project, Role, Task
from platform_core.selectors import PROJECT_ROWS, row_id_or_none
from platform_core.sql import ModelRows, fetch_one, hot_cursor

User = get_user_model()
ANNOTATION_ROWS, REVIEW_ROWS = ModelRows(Annotation), ModelRows(Review)
MEMBERSHIP_ROWS, USER_ROWS = ModelRows(Membership), ModelRows(User)
# Counts this large come from the cache (see review_progress).
COUNTS_CACHED_FROM = 50_000
COUNTS_CACHE_SECONDS = 10

# The scope of every read below: a project not being deleted, of an organization the caller
# belongs to (superusers: any). The membership comes along for its role; the view's permission
# class answers 403 for roles that may not review.
_SCOPED_TO_CALLER = f"""
LEFT JOIN {Membership._meta.db_table} m
    ON m.organization_id = p.organization_id AND m.user_id = %(user)s
WHERE NOT p.deleting AND (%(superuser)s OR m.id IS NOT NULL)
"""
_PROJECT_FOR_REVIEWER_SQL = f"""
SELECT {PROJECT_ROWS.columns("p")}, {MEMBERSHIP_ROWS.columns("m")}
FROM {Project._meta.db_table} p {_SCOPED_TO_CALLER} AND p.id = %(id)s
"""
_TASK_FOR_REVIEWER_SQL = f"""
SELECT {TASK_ROWS.columns("t")}, {PROJECT_ROWS.columns("p")}, {MEMBERSHIP_ROWS.columns("m")}
FROM {Task._meta.db_table} t JOIN {Project._meta.db_table} p ON p.id = t.project_id
{_SCOPED_TO_CALLER} AND t.id = %(id)s
"""
_ANNOTATION_FOR_REVIEWER_SQL = f"""
SELECT {ANNOTATION_ROWS.columns("a")}, {TASK_ROWS.columns("t")}, {PROJECT_ROWS.columns("p")},
       {MEMBERSHIP_ROWS.columns("m")}
FROM {Annotation._meta.db_table} a JOIN {Task._meta.db_table} t ON t.id = a.task_id
JOIN {Project._meta.db_table} p ON p.id = t.project_id
{_SCOPED_TO_CALLER} AND a.id = %(id)s
"""


def _fetch_scoped(sql: str, *, user, object_id, readers: tuple, message: str) -> list:
    """The instances of `readers` in the row of `sql` for `object_id`, the last one (the
    project) with the caller's role as `caller_role`; Http404(message) when out of scope."""
    object_id = row_id_or_none(object_id)
    params = {"id": object_id, "user": user.pk, "superuser": user.is_superuser}
    found = None
    if object_id is not None:
        found = fetch_one(sql, params, *readers, PROJECT_ROWS, MEMBERSHIP_ROWS)
    if found is None:
        raise Http404(message)
    *instances, project, membership = found
    # Superusers act as admins (platform_core.selectors.role_in_organization).
    project.caller_role = Role.ADMIN if user.is_superuser else membership.role
    return [*instances, project]


def project_get_for_reviewer(*, user, project_id) -> Project:
    """The project if the caller is a member of its organization (any role), with their role as
    `caller_role`; else Http404."""
    [project] = _fetch_scoped(
        _PROJECT_FOR_REVIEWER_SQL, user=user, object_id=project_id, readers=(),
        message="No such project.",
    )
    return project


def task_get_for_review(*, user, task_id) -> Task:
    """A task of one of the caller's organizations (any role), with its project and the
    caller's role on it as `task.project.caller_role`; else Http404."""
    task, task.project = _fetch_scoped(
        _TASK_FOR_REVIEWER_SQL, user=user, object_id=task_id, readers=(TASK_ROWS,),
        message="No such task.",
    )
    return task


def annotation_get_for_review(*, user, annotation_id) -> Annotation:
    """An annotation of one of the caller's organizations (any role), with its task, project
    and the caller's role as `annotation.task.project.caller_role`; else Http404."""
    annotation, task, task.project = _fetch_scoped(
        _ANNOTATION_FOR_REVIEWER_SQL, user=user, object_id=annotation_id,
        readers=(ANNOTATION_ROWS, TASK_ROWS), message="No such annotation.",
    )
    annotation.task = task
    return annotation


# Everything the reviewer's screen needs about a claimed item, in one statement: the task, the
# annotation with its author, the machine's suggestion (the item's own prediction for a
# spot-check, else the one the annotator started from, else the task's latest), and the task's
# verdicts so far with their reviewers (a second stage shows the first; a rework, why it came
# back), one row per verdict, oldest first: the rest of the row repeats.
_ITEM_SUBJECT_SQL = f"""
SELECT {TASK_ROWS.columns("t")}, {ANNOTATION_ROWS.columns("a")}, {USER_ROWS.columns("au")},
       {PREDICTION_ROWS.columns("p")}, {REVIEW_ROWS.columns("r")}, {USER_ROWS.columns("ru")}
FROM {Task._meta.db_table} t
LEFT JOIN {Annotation._meta.db_table} a ON a.id = CAST(%(annotation)s AS BIGINT)
LEFT JOIN {User._meta.db_table} au ON au.id = a.annotator_id
LEFT JOIN {Prediction._meta.db_table} p ON p.id = COALESCE(
    CAST(%(prediction)s AS BIGINT), a.prediction_id,
    (SELECT p2.id FROM {Prediction._meta.db_table} p2 WHERE p2.task_id = t.id
     ORDER BY p2.created_at DESC, p2.id DESC LIMIT 1))
LEFT JOIN {Review._meta.db_table} r ON r.task_id = t.id
LEFT JOIN {User._meta.db_table} ru ON ru.id = r.reviewer_id
WHERE t.id = %(task)s
ORDER BY r.created_at, r.id
"""
_SUBJECT_READERS = (TASK_ROWS, ANNOTATION_ROWS, USER_ROWS, PREDICTION_ROWS)
_REVIEW_READERS = (REVIEW_ROWS, USER_ROWS)


def review_item_subject(*, item: ReviewItem) -> dict:
    """{"task", "annotation" (with `annotator_username`), "suggestion", "result",
    "earlier_reviews"} of a claimed item: what the review page and API show."""
    params = {
        "task": item.task_id, "annotation": item.annotation_id, "prediction": item.prediction_id
    }
    with hot_cursor() as cursor:
        cursor.execute(_ITEM_SUBJECT_SQL, params)
        rows = cursor.fetchall()
    width = sum(reader.width for reader in _SUBJECT_READERS)
    task, annotation, annotator, suggestion = _instances(rows[0][:width], _SUBJECT_READERS)
    if annotation is not None:
        annotation.annotator_username = annotator.username
    earlier_reviews = []
    for row in rows:
        review, reviewer = _instances(row[width:], _REVIEW_READERS)
        if review is not None:
            review.reviewer = reviewer
            earlier_reviews.append(review)
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
        "earlier_reviews": earlier_reviews,
    }


def _instances(values, readers) -> list:
    """One instance per reader from its slice of `values`, in turn; None for a slice whose
    primary key is NULL (the outer side of a LEFT JOIN that found nothing), as fetch_one."""
    instances, start = [], 0
    for reader in readers:
        piece = values[start : start + reader.width]
        start += reader.width
        instances.append(None if piece[reader.pk_index] is None else reader.instance(piece))
    return instances


def reviews_of_task(*, task_id: int) -> QuerySet[Review]:
    return Review.objects.filter(task_id=task_id).select_related("reviewer").order_by(
        "created_at", "id"
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

    The review page asks after every next-review. Large counts (the pending items, the
    project's verdicts) are kept for a few seconds, as the labeling page's are: each is a pass
    over a project's rows.
    """
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    done_today = Review.objects.filter(
        reviewer=user, created_at__gte=midnight, project=project
    ).count()
    mine = Q(author=user) | Q(excluded_reviewer=user)
    left = _count_cached(
        f"annotator:review-pending:{project.pk}:{user.pk}",
        ReviewItem.objects.filter(project=project).exclude(mine),
    )
    reviewed = Review.objects.filter(project=project)
    total_reviewed = _count_cached(f"annotator:reviews-total:{project.pk}", reviewed)
    return {"done_today": done_today, "left": left, "total_reviewed": total_reviewed}


def _count_cached(key: str, queryset: QuerySet) -> int:
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        if count >= COUNTS_CACHED_FROM:
            cache.set(key, count, COUNTS_CACHE_SECONDS)
    return count


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
