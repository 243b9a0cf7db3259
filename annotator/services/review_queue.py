"""The review queue: what goes into it, and a reviewer claiming and releasing an item.

One row per pending item (annotator.models.ReviewItem), deleted at its verdict. A claim is one
statement, as next-task's is (annotator.services.queue): an UPDATE of the item the caller
already holds, else of the oldest free item found by walking `review_queue_idx` (project, id)
from the front, skipping items leased to others, the caller's own annotations and, at the
second stage, the items the caller passed at the first. On PostgreSQL `FOR UPDATE SKIP LOCKED`
lets concurrent claims step over each other's rows; on SQLite transactions begin IMMEDIATE
(see settings), which serializes claims.
"""
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotator.models import (
    Annotation,
    AnnotationStatus,
    Review,
    ReviewItem,
    ReviewKind,
    ReviewVerdict,
)
from annotator.services.errors import QueueConflict
from platform_core.models import Project, Task
from platform_core.sql import ModelRows, fetch_one, hot_cursor

_ITEM = ReviewItem._meta.db_table
ITEM_ROWS = ModelRows(ReviewItem)

_HELD_ITEM_SQL = f"""
SELECT id FROM {_ITEM}
WHERE locked_by_id = %(user)s AND project_id = %(project)s AND locked_until > %(now)s
LIMIT 1
"""

# Not the caller's work as `COALESCE(column, 0) <> user` (ids start at 1), not on the bare
# column: the planner has no statistics for the expression, so the generic plan the claim runs
# with estimates that most items pass, as they do. On the bare column it estimated from the
# number of distinct authors, and with one annotator in the table that no item passes: that plan
# sorted the whole queue (0.2 to 0.7 s at 10^6 items) where the index walk takes 0.1 ms.
_NEXT_FREE_ITEM_SQL = f"""
SELECT r.id FROM {_ITEM} r
WHERE r.project_id = %(project)s
  AND (r.locked_until IS NULL OR r.locked_until < %(now)s)
  AND COALESCE(r.author_id, 0) <> %(user)s
  AND COALESCE(r.excluded_reviewer_id, 0) <> %(user)s
ORDER BY r.id
LIMIT 1
{{row_lock}}
"""

_CLAIM_SQL = f"""
UPDATE {_ITEM} SET locked_by_id = %(user)s, locked_until = %(until)s
WHERE id = COALESCE(({_HELD_ITEM_SQL}), ({_NEXT_FREE_ITEM_SQL}))
RETURNING {ITEM_ROWS.columns()}
"""
# A separate key space from next-task's single-bigint advisory locks (PostgreSQL keeps the
# two-integer form apart), so reviewing and labeling in one project do not wait on each other.
_REVIEW_LOCK_SPACE = 1


def review_item_claim_next(*, project: Project, user) -> ReviewItem | None:
    """Lease the caller's next review item in `project` for ANNOTATOR_LOCK_SECONDS; None when
    nothing is left for them. Asking again while holding one returns it with the lease renewed.

    Precondition: the caller may review in the project (the API checks the role).
    """
    now = timezone.now()
    params = {
        "user": user.pk,
        "project": project.pk,
        "now": connection.ops.adapt_datetimefield_value(now),
        "until": connection.ops.adapt_datetimefield_value(
            now + timedelta(seconds=settings.ANNOTATOR_LOCK_SECONDS)
        ),
    }
    with transaction.atomic():
        row_lock = ""
        if connection.vendor == "postgresql":
            row_lock = "FOR UPDATE SKIP LOCKED"
            with hot_cursor() as cursor:
                # As next-task: a lease need not wait for the WAL flush, the plan is the same
                # for every project and caller (walk the queue index; see above), and planning
                # it anew took PostgreSQL three times the CPU of running it. One claim at a
                # time per (caller, project).
                cursor.execute(
                    "SELECT set_config('synchronous_commit', 'off', true), "
                    "set_config('plan_cache_mode', 'force_generic_plan', true), "
                    "pg_advisory_xact_lock(%s::int, %s::int)",
                    [_REVIEW_LOCK_SPACE, _advisory_key(user.pk, project.pk)],
                )
        found = fetch_one(_CLAIM_SQL.format(row_lock=row_lock), params, ITEM_ROWS)
    return None if found is None else found[0]


@transaction.atomic
def review_item_release(*, item_id: int, user, lease=None) -> None:
    """Give a held item back to the queue (the reviewer leaves the page).

    Precondition: `item_id` was fetched scoped to the caller's organizations. QueueConflict
    when the caller does not hold it. With `lease` (the expiry next-review gave), a lock
    renewed since by the caller's newer page is kept, as task_release does.
    """
    held = ReviewItem.objects.select_for_update().filter(pk=item_id, locked_by=user).first()
    if held is None:
        raise QueueConflict("You do not hold this review item.", code="not_locked")
    if lease is None or held.locked_until == lease:
        held.locked_by, held.locked_until = None, None
        held.save(update_fields=["locked_by", "locked_until"])


def review_items_enqueue_submitted(*, task: Task, annotation: Annotation, rng=None) -> int:
    """Put a task's unreviewed annotations in the review queue once the task has all the
    annotations it wants (status submitted); returns how many items were added.

    The project's `annotation_review_rate` samples tasks, not annotations, so that every
    annotation of an overlapped task is judged alike. A task a reviewer sent back before is
    always reviewed again: rework is where errors are. `annotation` is the one just submitted.
    Precondition: inside the submit's transaction holding the task's row lock.
    """
    project = task.project
    if not _sampled_for_review(project, task.pk, rng):
        return 0
    if project.overlap == 1:  # the common case needs no query: the new annotation is the one
        pending = [(task.pk, annotation.pk, annotation.annotator_id)]
    else:
        pending = _unqueued_submitted([task.pk])
    return _items_create(project, pending)


def review_items_enqueue_tasks(*, project: Project, task_ids: list[int], rng=None) -> int:
    """review_items_enqueue_submitted for tasks that became submitted without a submit (the
    project's overlap was lowered to what they hold); returns how many items were added."""
    sampled = [task_id for task_id in task_ids if _sampled_for_review(project, task_id, rng)]
    return _items_create(project, _unqueued_submitted(sampled)) if sampled else 0


def _sampled_for_review(project: Project, task_id: int, rng) -> bool:
    rate = project.annotation_review_rate
    if rate <= 0.0 or (rate < 1.0 and (rng or random).random() >= rate):
        return Review.objects.filter(task_id=task_id, verdict=ReviewVerdict.REJECT).exists()
    return True


def _unqueued_submitted(task_ids: list[int]) -> list[tuple[int, int, int]]:
    """(task, annotation, annotator) of the submitted annotations not in the queue yet."""
    queued = ReviewItem.objects.filter(annotation=OuterRef("pk"))
    return list(
        Annotation.objects.filter(task_id__in=task_ids, status=AnnotationStatus.SUBMITTED)
        .exclude(Exists(queued))
        .order_by("id")
        .values_list("task_id", "id", "annotator_id")
    )


def _items_create(project: Project, pending: list[tuple[int, int, int]]) -> int:
    ReviewItem.objects.bulk_create(
        ReviewItem(
            project_id=project.pk,
            task_id=task_id,
            annotation_id=annotation_id,
            author_id=annotator_id,
            kind=ReviewKind.ANNOTATION,
        )
        for task_id, annotation_id, annotator_id in pending
    )
    return len(pending)


def _advisory_key(user_id: int, project_id: int) -> int:
    # PostgreSQL's two-integer form takes signed 32-bit keys; ids wrap around, which only
    # makes two callers' claims wait for each other now and then.
    return ((user_id * 2_654_435_761) ^ project_id) % 2**31
