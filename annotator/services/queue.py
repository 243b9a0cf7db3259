"""The task queue: claim the next task, skip it, release it.

A claim is one statement: an UPDATE of the task the caller already holds, else of the first
free task in queue order, found through the partial index `task_open_queue_idx` (project,
priority DESC, id WHERE status is open), so on a million-task project the database walks the
index from the front and stops at the first row that passes the filters. On PostgreSQL it is a
prepared statement run with its generic plan: planning it took longer than running it, and
`FOR UPDATE SKIP LOCKED` makes concurrent claims step over each other's rows instead of
queueing behind them; on SQLite the whole database has one writer at a time (transactions
begin IMMEDIATE, see settings), which serializes claims.

Only one annotator holds a task's lock at a time, even when `overlap` asks for several
annotations: the second annotator gets the task after the first has submitted. That keeps
"never more than overlap annotations" a property of one row.

On PostgreSQL a claim commits with `synchronous_commit = off`: it returns without waiting for
the WAL flush (a few milliseconds on a busy disk). A lock is a lease, not work: should the
server crash in the ~0.6 s before the flush, the claim is forgotten, the task goes back to the
queue and the annotator's submit gets a 409. Submits, which carry work, commit durably.
"""
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from annotator.models import Annotation, TaskSkip
from annotator.selectors import (
    PREDICTION_ROWS,
    TASK_ROWS,
    latest_prediction_sql,
    latest_suggestion,
    task_get_for_annotator,
)
from annotator.services.errors import QueueConflict
from platform_core.models import Prediction, Project, Task, TaskStatus
from platform_core.models.tasks import OPEN_STATUSES
from platform_core.sql import fetch_one, hot_cursor

_TASK = Task._meta.db_table
# Literals, not parameters: the planner must see the same status list as the partial index's
# predicate to use it (the values are our own constants).
_OPEN = ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)

# The task the caller holds a live lock on in the project, if any: asking again returns it.
# There is at most one (claims are serialized per caller and project, and return a held task
# first), so no ORDER BY: with one, the generic plan would walk the project's tasks by id.
HELD_TASK_SQL = f"""
SELECT id FROM {_TASK}
WHERE locked_by_id = %(user)s AND project_id = %(project)s AND locked_until > %(now)s
  AND status IN ({_OPEN})
LIMIT 1
"""

# The first free task in queue order that the caller has neither annotated nor skipped.
NEXT_FREE_TASK_SQL = f"""
SELECT t.id FROM {_TASK} t
WHERE t.project_id = %(project)s
  AND t.status IN ({_OPEN})
  AND (t.locked_until IS NULL OR t.locked_until < %(now)s)
  AND t.annotation_count < %(overlap)s
  AND NOT EXISTS (
    SELECT 1 FROM {Annotation._meta.db_table} a
    WHERE a.task_id = t.id AND a.annotator_id = %(user)s AND a.status <> 'rejected')
  AND NOT EXISTS (
    SELECT 1 FROM {TaskSkip._meta.db_table} s WHERE s.task_id = t.id AND s.user_id = %(user)s)
ORDER BY t.priority DESC, t.id
LIMIT 1
{{row_lock}}
"""

# One statement: the held task with its lease renewed, else the next free one locked. COALESCE
# stops at its first non-null argument, so the search for a free task (and its row lock) only
# runs when the caller holds nothing.
CLAIM_SQL = f"""
UPDATE {_TASK}
SET locked_by_id = %(user)s, locked_until = %(until)s, status = '{TaskStatus.IN_PROGRESS.value}',
    updated_at = %(now)s
WHERE id = COALESCE(({HELD_TASK_SQL}), ({NEXT_FREE_TASK_SQL}))
RETURNING {TASK_ROWS.columns()}
"""

# On PostgreSQL the claimed task's latest prediction comes back in the same statement.
_CLAIM_WITH_SUGGESTION_SQL = f"""
WITH chosen AS ({CLAIM_SQL.format(row_lock="FOR UPDATE SKIP LOCKED")})
SELECT {TASK_ROWS.columns("chosen")}, {PREDICTION_ROWS.columns("s")} FROM chosen
LEFT JOIN LATERAL ({latest_prediction_sql("chosen.id")}) s ON true
"""


def task_claim_next(*, project: Project, user) -> Task | None:
    """Lock the caller's next task in `project` until now + ANNOTATOR_LOCK_SECONDS and return
    it, with its latest prediction read (`latest_predictions`); None when nothing is left.

    Precondition: the caller may label in the project (a member of its organization).
    A caller who already holds a live lock in the project gets that task again, with the
    lease renewed: reloading the page does not burn tasks.
    """
    now = timezone.now()
    params = {
        "user": user.pk,
        "project": project.pk,
        "overlap": project.overlap,
        "now": connection.ops.adapt_datetimefield_value(now),
        "until": connection.ops.adapt_datetimefield_value(
            now + timedelta(seconds=settings.ANNOTATOR_LOCK_SECONDS)
        ),
    }
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with hot_cursor() as cursor:
                # The claim is a lease, not work: its commit need not wait for the disk (see
                # above). Its plan is the same for every project and caller (walk the queue
                # index), and making it again would cost more than running it. One claim at a
                # time per (caller, project): a double click must not lock two tasks.
                cursor.execute(
                    "SELECT set_config('synchronous_commit', 'off', true), "
                    "set_config('plan_cache_mode', 'force_generic_plan', true), "
                    "pg_advisory_xact_lock(%s)",
                    [_advisory_key(user.pk, project.pk)],
                )
            found = fetch_one(_CLAIM_WITH_SUGGESTION_SQL, params, TASK_ROWS, PREDICTION_ROWS)
        else:  # SQLite cannot put an UPDATE in a WITH clause: the suggestion is read after
            found = fetch_one(CLAIM_SQL.format(row_lock=""), params, TASK_ROWS)
            if found is not None:
                found = (found[0], latest_suggestion(task=found[0]))
    if found is None:
        return None
    task, suggestion = found
    task.project = project
    task.latest_predictions = [] if suggestion is None else [suggestion]
    return task


@transaction.atomic
def task_skip(*, task_id: int, user, reason: str = "") -> TaskSkip:
    """Record that the caller skipped the task (it is not served to them again) and free it.

    Http404 unless the task is in one of the caller's organizations; QueueConflict unless
    they hold it.
    """
    task = task_get_for_annotator(user=user, task_id=task_id, lock=True)
    require_lock_holder(task=task, user=user)
    skip, _ = TaskSkip.objects.get_or_create(task=task, user=user, defaults={"reason": reason})
    release_lock(task=task)
    return skip


@transaction.atomic
def task_release(*, task_id: int, user, lease=None) -> Task:
    """Give the task back to the queue unlabelled (the caller leaves the workspace).

    `lease` is the lock expiry the caller was given; when the lock has been renewed since (the
    same person's next page claimed the task again before this page's goodbye arrived), the
    newer page holds it and nothing is released.
    """
    task = task_get_for_annotator(user=user, task_id=task_id, lock=True)
    require_lock_holder(task=task, user=user)
    if lease is None or task.locked_until == lease:
        release_lock(task=task)
    return task


def require_lock_holder(*, task: Task, user) -> None:
    """QueueConflict unless the caller holds the task's lock.

    A lock that expired while nobody else took it still counts as held: the task was not
    served to anyone else, so the caller's work is as good as it was a minute earlier.
    Precondition: inside a transaction holding the task's row lock.
    """
    if task.locked_by_id == user.pk:
        return
    if task.locked_by_id is not None:
        raise QueueConflict(
            "Another annotator holds this task: your lock expired and the task was handed on, "
            "or you never held it.",
            code="locked_by_other",
        )
    raise QueueConflict("You do not hold this task; ask for the next task.", code="not_locked")


_RELEASE_SQL = f"""
UPDATE {_TASK} SET status = %(status)s, locked_by_id = NULL, locked_until = NULL,
    annotation_count = %(annotation_count)s, updated_at = %(now)s
WHERE id = %(task)s
"""


def release_lock(*, task: Task) -> None:
    """Clear the lock and put the task back in the state the queue expects.

    Precondition: inside a transaction holding the task's row lock. Status: submitted once
    `overlap` annotations exist; in progress while some but not all do; otherwise suggested or
    new, as an unclaimed task would be. Written as SQL every submit runs (platform_core.sql);
    the values set here are valid by construction.
    """
    if task.annotation_count >= task.project.overlap:
        task.status = TaskStatus.SUBMITTED
    elif task.annotation_count > 0:
        task.status = TaskStatus.IN_PROGRESS
    elif Prediction.objects.filter(task=task).exists():
        task.status = TaskStatus.SUGGESTED
    else:
        task.status = TaskStatus.NEW
    task.locked_by = None
    task.locked_until = None
    task.updated_at = timezone.now()
    params = {
        "status": task.status,
        "annotation_count": task.annotation_count,
        "now": connection.ops.adapt_datetimefield_value(task.updated_at),
        "task": task.pk,
    }
    with hot_cursor() as cursor:
        cursor.execute(_RELEASE_SQL, params)


def _advisory_key(user_id: int, project_id: int) -> int:
    # Fits PostgreSQL's signed 64-bit key: 31 bits of user id above 32 bits of project id.
    return ((user_id % 2**31) << 32) | (project_id % 2**32)
