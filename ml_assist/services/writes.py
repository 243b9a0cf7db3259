"""The statements of a pre-labeling batch, set-based: a page of ids, which of them already have
a prediction, their rows, one INSERT of predictions, one UPDATE of statuses.

On PostgreSQL ids travel as one array parameter (`= ANY(%s)`, `unnest(...)`): psycopg parses a
query's placeholders in Python on every call, and a 500-row VALUES list with 2,500 of them cost
more time than the database spent running it. Elsewhere (SQLite) placeholders are cheap.
A raw DB-API cursor on purpose (as platform_core.imports.writer): Django's debug cursor would
keep every statement of a 100,000-task pass in memory when DEBUG is on.
"""
import json
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from ml_assist.services.examples import ITEM_COLUMNS
from platform_core.models import Prediction, Task, TaskStatus
from platform_core.models.tasks import OPEN_STATUSES

TASK = Task._meta.db_table
PREDICTION = Prediction._meta.db_table


def _pg() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def _cursor():
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def _marks(n: int) -> str:
    return ", ".join(["?"] * n)


def _now():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def task_id_scan(*, project_id: int, after: int, size: int) -> list[tuple[int, str]]:
    """(id, status) of the project's next `size` tasks after `after`, in id order.

    No status condition on purpose: with it, PostgreSQL's estimate for a freshly imported
    project (no statistics yet) picked the partial open-queue index and sorted every open task
    for each page, 170 ms a page at 100,000 tasks. Without it the (project, id) index serves
    the page in order, and the caller filters statuses."""
    with _cursor() as cursor:
        mark = "%s" if _pg() else "?"
        cursor.execute(
            f"SELECT id, status FROM {TASK} WHERE project_id = {mark} AND id > {mark} "
            f"ORDER BY project_id, id LIMIT {mark}",
            [project_id, after, size],
        )
        return cursor.fetchall()


def open_without_prediction_count(*, project_id: int, model_version: str) -> int:
    """Open tasks of the project with no prediction of `model_version`: one anti join."""
    statuses = [status.value for status in OPEN_STATUSES]
    mark = "%s" if _pg() else "?"
    with _cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {TASK} AS t WHERE t.project_id = {mark} "
            f"AND t.status IN ({', '.join([mark] * len(statuses))}) AND NOT EXISTS ("
            f"SELECT 1 FROM {PREDICTION} AS p WHERE p.task_id = t.id AND p.model_version = {mark})",
            [project_id, *statuses, model_version],
        )
        return cursor.fetchone()[0]


def project_task_ids(*, project_id: int, ids: list[int]) -> list[int]:
    """Those of `ids` that are tasks of the project, in id order."""
    with _cursor() as cursor:
        if _pg():
            cursor.execute(
                f"SELECT id FROM {TASK} WHERE project_id = %s AND id = ANY(%s::bigint[]) ORDER BY id",
                [project_id, ids],
            )
        else:
            cursor.execute(
                f"SELECT id FROM {TASK} WHERE project_id = ? AND id IN ({_marks(len(ids))}) ORDER BY id",
                [project_id, *ids],
            )
        return [row[0] for row in cursor.fetchall()]


def without_prediction(*, task_ids: list[int], model_version: str) -> list[int]:
    """Those of `task_ids` with no prediction of `model_version` (probes the unique index)."""
    if not task_ids:
        return []
    with _cursor() as cursor:
        if _pg():
            cursor.execute(
                f"SELECT task_id FROM {PREDICTION} WHERE model_version = %s AND task_id = ANY(%s::bigint[])",
                [model_version, task_ids],
            )
        else:
            cursor.execute(
                f"SELECT task_id FROM {PREDICTION} WHERE model_version = ? "
                f"AND task_id IN ({_marks(len(task_ids))})",
                [model_version, *task_ids],
            )
        made = {row[0] for row in cursor.fetchall()}
    return [task_id for task_id in task_ids if task_id not in made]


def task_rows(*, task_ids: list[int]) -> list[tuple]:
    """(id, data, media, duration_s) of the tasks, in id order; data decoded."""
    if not task_ids:
        return []
    columns = ", ".join(ITEM_COLUMNS)
    with _cursor() as cursor:
        if _pg():
            cursor.execute(
                f"SELECT {columns} FROM {TASK} WHERE id = ANY(%s::bigint[]) ORDER BY id", [task_ids]
            )
        else:
            cursor.execute(
                f"SELECT {columns} FROM {TASK} WHERE id IN ({_marks(len(task_ids))}) ORDER BY id", task_ids
            )
        rows = cursor.fetchall()
    # Django has psycopg hand jsonb over as text (its JSONField decodes it); so do we.
    return [(i, json.loads(data) if isinstance(data, str) else data, media, duration)
            for i, data, media, duration in rows]


def predictions_write(
    *, model_version: str, rows: list[tuple[int, dict, float | None]]
) -> dict[int, float]:
    """One prediction per (task id, result, confidence) for `model_version`, skipping tasks that
    have one for it already (ON CONFLICT DO NOTHING on the unique pair), and new -> suggested
    for the tasks that got one. Returns {task id: its priority} for those tasks.

    On PostgreSQL one statement (a data-modifying CTE): a single round trip per batch, the
    batch passed as one JSON document that PostgreSQL splits in C (a text[] of 500 results made
    psycopg escape each element with a regular expression). Precondition: inside the batch's
    transaction.
    """
    if not rows:
        return {}
    now = _now()
    insert = f"INSERT INTO {PREDICTION} (task_id, model_version, result, confidence, created_at) "
    conflict = " ON CONFLICT (task_id, model_version) DO NOTHING RETURNING task_id"
    suggested, new = TaskStatus.SUGGESTED.value, TaskStatus.NEW.value
    with _cursor() as cursor:
        if _pg():
            batch = json.dumps([{"t": t, "r": r, "c": c} for t, r, c in rows], ensure_ascii=False)
            cursor.execute(
                f"WITH made AS ({insert}"
                "SELECT (e->>'t')::bigint, %s, e->'r', (e->>'c')::float8, %s "
                f"FROM jsonb_array_elements(%s::jsonb) AS e{conflict}), "
                f"marked AS (UPDATE {TASK} AS t SET status = %s, updated_at = %s FROM made "
                "WHERE t.id = made.task_id AND t.status = %s) "
                f"SELECT t.id, t.priority FROM made JOIN {TASK} AS t ON t.id = made.task_id",
                [model_version, now, batch, suggested, now, new],
            )
            return dict(cursor.fetchall())
        params = []
        for task_id, result, confidence in rows:
            params += (task_id, model_version, json.dumps(result, ensure_ascii=False), confidence, now)
        cursor.execute(insert + "VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * len(rows)) + conflict, params)
        made = [row[0] for row in cursor.fetchall()]
        if not made:
            return {}
        marks = _marks(len(made))
        cursor.execute(
            f"UPDATE {TASK} SET status = ?, updated_at = ? WHERE id IN ({marks}) AND status = ?",
            [suggested, now, *made, new],
        )
        cursor.execute(f"SELECT id, priority FROM {TASK} WHERE id IN ({marks})", made)
        return dict(cursor.fetchall())
