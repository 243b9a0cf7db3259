"""Reads of the annotator app, scoped to the caller: another organization's ids are not found."""
from datetime import UTC

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from annotator.models import Annotation, Review, ReviewVerdict
from platform_core.holdout import suggestion_holdout
from platform_core.models import Membership, Prediction, Project, Task
from platform_core.models.organizations import REVIEWING_ROLES
from platform_core.models.tasks import OPEN_STATUSES
from platform_core.selectors import PROJECT_ROWS, row_id_or_none
from platform_core.sql import ModelRows, fetch_one, hot_cursor

User = get_user_model()

# Besides its author, these roles may read an annotation (to review it, to manage the project).
ANNOTATION_READER_ROLES = REVIEWING_ROLES
# Projects this large get their task counts from the cache (see project_task_counts); smaller
# ones are counted exactly on every call.
TASK_COUNTS_CACHED_FROM = 50_000
TASK_COUNTS_CACHE_SECONDS = 10


def get_or_404(queryset: QuerySet, pk, message: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(message) from None


TASK_ROWS, PREDICTION_ROWS = ModelRows(Task), ModelRows(Prediction)
# SQL, not a queryset: every submit runs it (see platform_core.sql). The project comes in the
# same row.
_TASK_FOR_USER_SQL = f"""
SELECT {TASK_ROWS.columns("t")}, {PROJECT_ROWS.columns("p")}
FROM {Task._meta.db_table} t JOIN {Project._meta.db_table} p ON p.id = t.project_id
WHERE t.id = %(task)s AND NOT p.deleting AND (%(superuser)s OR EXISTS (
    SELECT 1 FROM {Membership._meta.db_table} m
    WHERE m.organization_id = p.organization_id AND m.user_id = %(user)s))
{{row_lock}}
"""


def task_get_for_annotator(*, user, task_id, lock: bool = False) -> Task:
    """A task of one of the caller's organizations, with its project; else Http404.

    Every role labels, so membership is the whole check. With `lock`, the task's row (not the
    project's) is locked: call inside a transaction.
    """
    task_id = row_id_or_none(task_id)
    row_lock = "FOR UPDATE OF t" if lock and connection.features.has_select_for_update else ""
    sql = _TASK_FOR_USER_SQL.format(row_lock=row_lock)
    params = {"task": task_id, "user": user.pk, "superuser": user.is_superuser}
    found = None if task_id is None else fetch_one(sql, params, TASK_ROWS, PROJECT_ROWS)
    if found is None:
        raise Http404("No such task.")
    task, task.project = found
    return task


def suggestion_for_annotator(*, task: Task, project) -> Prediction | None:
    """The suggestion to prefill, or None for the held-out share of tasks: their labeling time
    without help is what the metrics compare suggestions against."""
    if suggestion_holdout(task.pk, project.suggestion_holdout_rate):
        return None
    return latest_suggestion(task=task)


def latest_prediction_sql(task_id: str) -> str:
    """The newest prediction of the task whose id is the SQL expression `task_id`, as
    PREDICTION_ROWS."""
    return (
        f"SELECT {PREDICTION_ROWS.columns('p')} FROM {Prediction._meta.db_table} p "
        f"WHERE p.task_id = {task_id} ORDER BY p.created_at DESC, p.id DESC LIMIT 1"
    )


_LATEST_PREDICTION_SQL = latest_prediction_sql("%s")


def latest_suggestion(*, task: Task) -> Prediction | None:
    """The prediction shown as the suggestion: the newest one (as GET /api/v1/tasks/{id}/).

    Read with the task when it came from a claim (`latest_predictions`, as
    with_latest_suggestion attaches it); else SQL, not a queryset, as next-task runs it."""
    prefetched = getattr(task, "latest_predictions", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    found = fetch_one(_LATEST_PREDICTION_SQL, [task.pk], PREDICTION_ROWS)
    return None if found is None else found[0]


_REVIEW_NOTE_SQL = f"""
SELECT r.verdict, r.comment, u.username, r.created_at
FROM {Review._meta.db_table} r JOIN {User._meta.db_table} u ON u.id = r.reviewer_id
WHERE r.task_id = %s ORDER BY r.created_at DESC, r.id DESC LIMIT 1
"""


def review_note(*, task: Task) -> dict | None:
    """The reviewer's comment when the task's latest review sent it back to labeling, else
    None: the next annotator reads what was wrong before labeling it again."""
    with hot_cursor() as cursor:
        cursor.execute(_REVIEW_NOTE_SQL, [task.pk])
        row = cursor.fetchone()
    if row is None or row[0] != ReviewVerdict.REJECT:
        return None
    created_at = row[3]
    if timezone.is_naive(created_at):  # SQLite keeps UTC without the zone
        created_at = timezone.make_aware(created_at, UTC)
    return {"comment": row[1], "reviewer": row[2], "created_at": created_at}


def annotations_in_callers_organizations(*, user, roles=None) -> QuerySet[Annotation]:
    annotations = Annotation.objects.filter(task__project__deleting=False)
    if user.is_superuser:
        return annotations
    memberships = Membership.objects.filter(
        user=user, organization=OuterRef("task__project__organization")
    )
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return annotations.filter(Exists(memberships))


def annotation_get_for_owner(*, user, annotation_id) -> Annotation:
    """The caller's own annotation, while they are still a member of its organization.

    Anyone else's is "not found": an annotator cannot tell another's ids from missing ones.
    """
    annotations = annotations_in_callers_organizations(user=user).filter(annotator=user)
    return get_or_404(
        annotations.select_related("task__project"), annotation_id, "No such annotation."
    )


def annotation_get_for_reader(*, user, annotation_id) -> Annotation:
    """The annotation if the caller wrote it, or reviews or manages its organization."""
    own = annotations_in_callers_organizations(user=user).filter(annotator=user)
    as_role = annotations_in_callers_organizations(user=user, roles=ANNOTATION_READER_ROLES)
    annotations = (own | as_role).select_related("task__project").prefetch_related("versions")
    return get_or_404(annotations, annotation_id, "No such annotation.")


def queue_progress(*, user, project: Project) -> dict:
    """The annotator's progress line: their annotations in the project since midnight UTC,
    the tasks still open for labeling in the project, and all its tasks."""
    # timezone.now() is in UTC (USE_TZ).
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    done_today = Annotation.objects.filter(
        annotator=user, created_at__gte=midnight, project=project
    ).count()
    return {"done_today": done_today, **project_task_counts(project=project)}


def project_task_counts(*, project: Project) -> dict:
    """{"left": open tasks that still want annotations, "total": all tasks}, in one pass.

    The pass reads every task of the project: ~15 ms for 50,000 tasks, ~300 ms for a million.
    The labeling page asks after every submit, so on large projects the counts are kept for
    a few seconds (per process, or shared if a shared cache is configured): twenty annotators
    then cost a count every few seconds, not twenty.
    """
    key = f"annotator:task-counts:{project.pk}:{project.overlap}"
    counts = cache.get(key)
    if counts is None:
        counts = Task.objects.filter(project=project).aggregate(
            total=Count("id"),
            left=Count(
                "id", filter=Q(status__in=OPEN_STATUSES, annotation_count__lt=project.overlap)
            ),
        )
        if counts["total"] >= TASK_COUNTS_CACHED_FROM:
            cache.set(key, counts, TASK_COUNTS_CACHE_SECONDS)
    return {"left": counts["left"], "total": counts["total"]}


def gold_accuracy(*, project: Project) -> list[dict]:
    """Per annotator: gold tasks answered, answered correctly, and the share correct.

    Only annotations that could be judged count (SFT answers are never judged, see
    platform_core.results.gold_matches).
    """
    rows = (
        Annotation.objects.filter(project=project, gold_correct__isnull=False)
        .values("annotator_id", "annotator__username")
        .annotate(answered=Count("id"), correct=Count("id", filter=Q(gold_correct=True)))
        .order_by("annotator__username")
    )
    return [
        {
            "annotator": row["annotator_id"],
            "username": row["annotator__username"],
            "gold_answered": row["answered"],
            "correct": row["correct"],
            "accuracy": row["correct"] / row["answered"],
        }
        for row in rows
    ]
