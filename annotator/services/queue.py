"""The task queue: claim the next task, skip it, release it.

A claim is one statement: an UPDATE of the first free task in queue order, found through the
partial index `task_open_queue_idx` (project, priority DESC, id WHERE status is open), so on a
million-task project the database walks the index from the front and stops at the first row
that passes the filters. On PostgreSQL `FOR UPDATE SKIP LOCKED` makes concurrent claims step
over each other's rows instead of queueing behind them; on SQLite the whole database has one
writer at a time (transactions begin IMMEDIATE, see settings), which serializes claims.

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
from platform_core.sql import fetch_one

_TASK = Task._meta.db_table
# Literals, not parameters: the planner must see the same status list as the partial index's
# predicate to use it (the values are our own constants).
_OPEN = ", ".join(f"'{status.value}'" for status in OPEN_STATUSES)

RENEW_SQL = f"""
UPDATE {_TASK} SET locked_until = %(until)s, updated_at = %(now)s
WHERE id = (
    SELECT id FROM {_TASK}
    WHERE locked_by_id = %(user)s AND project_id = %(project)s AND locked_until > %(now)s
      AND status IN ({_OPEN})
    ORDER BY id LIMIT 1
)
RETURNING {TASK_ROWS.columns()}
"""

CLAIM_SQL = f"""
UPDATE {_TASK}
SET locked_by_id = %(user)s, locked_until = %(until)s, status = '{TaskStatus.IN_PROGRESS.value}',
    updated_at = %(now)s
WHERE id = (
    SELECT t.id FROM {_TASK} t
    WHERE t.project_id = %(project)s
      AND t.status IN ({_OPEN})
      AND (t.locked_until IS NULL OR t.locked_until < %(now)s)
      AND t.annotation_count < %(overlap)s
      AND NOT EXISTS (
        SELECT 1 FROM {Annotation._meta.db_table} a
        WHERE a.task_id = t.id AND a.annotator_id = %(user)s)
      AND NOT EXISTS (
        SELECT 1 FROM {TaskSkip._meta.db_table} s WHERE s.task_id = t.id AND s.user_id = %(user)s)
    ORDER BY t.priority DESC, t.id
    LIMIT 1
    {{row_lock}}
)
RETURNING {TASK_ROWS.columns()}
"""


def task_claim_next(*, project: Project, user) -> Task | None:
    """Lock the caller's next task in `project` until now + ANNOTATOR_LOCK_SECONDS and return
    it; None when nothing is left for them.

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
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                # The claim is a lease, not work: its commit need not wait for the disk (see
                # above). One claim at a time per (caller, project): a double click must not
                # lock two tasks.
                cursor.execute(
                    "SELECT set_config('synchronous_commit', 'off', true), "
                    "pg_advisory_xact_lock(%s)",
                    [_advisory_key(user.pk, project.pk)],
                )
        row_lock = "FOR UPDATE SKIP LOCKED" if postgres else ""
        for update in (RENEW_SQL, CLAIM_SQL.format(row_lock=row_lock)):
            found = _run_claim(update, params, postgres)
            if found is not None:
                break
    if found is None:
        return None
    task, suggestion = found
    task.project = project
    task.latest_predictions = [] if suggestion is None else [suggestion]
    return task


def _run_claim(update: str, params: dict, postgres: bool) -> tuple[Task, Prediction | None] | None:
    """Run one of the UPDATE … RETURNING statements above: the task it locked and its latest
    prediction, or None. PostgreSQL reads the prediction in the same statement; SQLite cannot
    put an UPDATE in a WITH clause."""
    if not postgres:
        found = fetch_one(update, params, TASK_ROWS)
        return None if found is None else (found[0], latest_suggestion(task=found[0]))
    with_suggestion = f"""
    WITH chosen AS ({update})
    SELECT {TASK_ROWS.columns("chosen")}, {PREDICTION_ROWS.columns("s")} FROM chosen
    LEFT JOIN LATERAL ({latest_prediction_sql("chosen.id")}) s ON true
    """
    return fetch_one(with_suggestion, params, TASK_ROWS, PREDICTION_ROWS)


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
def task_release(*, task_id: int, user) -> Task:
    """Give the task back to the queue unlabelled (the caller leaves the workspace)."""
    task = task_get_for_annotator(user=user, task_id=task_id, lock=True)
    require_lock_holder(task=task, user=user)
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


def release_lock(*, task: Task) -> None:
    """Clear the lock and put the task back in the state the queue expects.

    Precondition: inside a transaction holding the task's row lock. Status: submitted once
    `overlap` annotations exist; in progress while some but not all do; otherwise suggested or
    new, as an unclaimed task would be.
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
    # The fields set here are valid by construction; full_clean would only re-read the FKs.
    task.save(
        update_fields=["status", "locked_by", "locked_until", "annotation_count", "updated_at"]
    )


def _advisory_key(user_id: int, project_id: int) -> int:
    # Fits PostgreSQL's signed 64-bit key: 31 bits of user id above 32 bits of project id.
    return ((user_id % 2**31) << 32) | (project_id % 2**32)
