"""Active learning: the queue serves what the model is least sure of first.

`next-task` orders by Task.priority DESC, id; this module writes that priority after a
prediction pass, per the project's `queue_order`:

- `uncertainty`: priority = the model's uncertainty in 0..1 (margin or entropy of its class
  probabilities, or 1 - confidence when that is all there is);
- `random`: a stable pseudo-random number per task (a hash of its id), so the order is shuffled
  once and does not change between passes;
- `sequential`: 0 for every task, so the queue falls back to id order.

Writes are set-based: one statement per batch of rows, never one save per task.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Case, FloatField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce

from platform_core.models import Prediction, Project, Task
from platform_core.models.projects import QueueOrder
from platform_core.models.tasks import OPEN_STATUSES

# numpy is imported by the measures that use it: routing (imported by the web process) takes
# only the batching helpers below, and the web process must not carry numpy.
if TYPE_CHECKING:
    import numpy as np

# PostgreSQL: UPDATE … FROM (VALUES …) with 2 parameters a row; 5,000 rows ≈ 10,000 of the
# 65,535 parameters a statement may carry and ~150 KB of SQL.
PG_BATCH = 5000
# Elsewhere: CASE WHEN id = ? THEN ? … plus the IN list is 3 parameters a row, under SQLite's
# 999-parameter default.
CASE_BATCH = 300
_RANDOM_SALT = b"queue-order"


# -- uncertainty measures ------------------------------------------------------------------------


def margin_uncertainty(proba) -> np.ndarray:
    """1 - (p_top1 - p_top2) per row of an (n, k) probability array; 1 is a coin toss."""
    import numpy as np

    proba = _as_2d(proba)
    if proba.shape[1] < 2:
        return 1.0 - proba[:, 0] if proba.shape[1] else np.zeros(len(proba))
    top2 = -np.partition(-proba, 1, axis=1)[:, :2]
    return np.clip(1.0 - (top2[:, 0] - top2[:, 1]), 0.0, 1.0)


def entropy_uncertainty(proba) -> np.ndarray:
    """Shannon entropy per row, divided by log(k) so that it lies in 0..1 whatever k is."""
    import numpy as np

    proba = _as_2d(proba)
    k = proba.shape[1]
    if k < 2:
        return np.zeros(len(proba))
    p = np.clip(proba, 1e-12, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    return np.clip(-(p * np.log(p)).sum(axis=1) / math.log(k), 0.0, 1.0)


def least_confidence_uncertainty(confidence) -> np.ndarray:
    """1 - confidence: what is left when an estimator gives only its calibrated confidence."""
    import numpy as np

    return np.clip(1.0 - np.asarray(confidence, dtype=float), 0.0, 1.0)


def uncertainty_priority(*, proba=None, confidence=None, method: str = "margin") -> np.ndarray:
    """Priorities (higher = served first) from class probabilities, or else from confidences.

    `method` is "margin" or "entropy" and applies to `proba`, an (n, k) array whose rows sum
    to 1. For one yes/no probability per row, pass the (n, 2) array [p, 1 - p].
    """
    if proba is not None:
        if method == "margin":
            return margin_uncertainty(proba)
        if method == "entropy":
            return entropy_uncertainty(proba)
        raise ValueError(f"unknown uncertainty method {method!r}; use margin or entropy")
    if confidence is not None:
        return least_confidence_uncertainty(confidence)
    raise ValueError("give proba or confidence")


def random_priority(task_id: int) -> float:
    """A stable pseudo-random number in [0, 1) for a task: the same on every pass and process."""
    digest = hashlib.blake2b(str(task_id).encode(), digest_size=8, key=_RANDOM_SALT).digest()
    return int.from_bytes(digest, "big") / 2**64


def _as_2d(proba) -> np.ndarray:
    import numpy as np

    array = np.asarray(proba, dtype=float)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError("probabilities must be an (n, k) array")
    return array


# -- writing priorities --------------------------------------------------------------------------


def priorities_apply(*, project: Project, uncertainties: dict[int, float]) -> int:
    """Write Task.priority for the given tasks of `project` per its queue_order; rows written.

    `uncertainties` maps task id -> uncertainty in 0..1 (only read under `uncertainty`; the
    other orders use just the ids). Ids of other projects' tasks are ignored.
    """
    order = project.queue_order
    if order == QueueOrder.UNCERTAINTY:
        values = {}
        for task_id, value in uncertainties.items():
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"uncertainty of task {task_id} is {value}; must be finite")
            values[int(task_id)] = value
    elif order == QueueOrder.RANDOM:
        values = {int(task_id): random_priority(int(task_id)) for task_id in uncertainties}
    elif order == QueueOrder.SEQUENTIAL:
        return _set_constant(project=project, task_ids=list(uncertainties), value=0.0)
    else:
        raise ValueError(f"unknown queue order {order!r}")
    return priorities_write(project=project, priorities=values)


def priorities_reset(*, project: Project) -> int:
    """Re-derive the open tasks' priorities after the project's queue_order changed; rows
    written. Closed tasks are never served, so theirs are left alone.

    `sequential` is one UPDATE; `random` walks the ids in batches; `uncertainty` is one UPDATE
    from the stored suggestions, 1 - confidence (the measure when that is all there is), 0 for
    a task without one; the next prediction pass refines it with the full probabilities.
    """
    tasks = Task.objects.filter(project=project, status__in=OPEN_STATUSES)
    if project.queue_order == QueueOrder.SEQUENTIAL:
        return tasks.exclude(priority=0.0).update(priority=0.0)
    if project.queue_order == QueueOrder.UNCERTAINTY:
        latest_confidence = (
            Prediction.objects.filter(task=OuterRef("pk"))
            .order_by("-created_at", "-id")
            .values("confidence")[:1]
        )
        uncertainty = Value(1.0) - Subquery(latest_confidence, output_field=FloatField())
        return tasks.update(priority=Coalesce(uncertainty, Value(0.0)))
    if project.queue_order != QueueOrder.RANDOM:
        raise ValueError(f"unknown queue order {project.queue_order!r}")
    written = 0
    ids = tasks.order_by("id").values_list("id", flat=True)
    for batch in in_batches(ids.iterator(chunk_size=PG_BATCH), PG_BATCH):
        written += priorities_write(
            project=project, priorities={task_id: random_priority(task_id) for task_id in batch}
        )
    return written


def new_task_priority(*, project: Project):
    """The priority of a task an import writes under the project's queue order, as a function
    of its id and of the confidence of its latest imported suggestion (None without one); None
    under `sequential`, where new tasks keep 0 (platform_core.extensions).

    `random` is the stable hash. Under `uncertainty` a task imported with a suggestion gets
    1 - its confidence; one no model has judged yet gets the random hash: before a first model,
    a shuffled start keeps a file sorted by class from teaching that model one class at a
    time, and once a model is active the pre-label pass queued for the import replaces it with
    the model's uncertainty.
    """
    order = project.queue_order
    if order == QueueOrder.SEQUENTIAL:
        return None
    if order == QueueOrder.RANDOM:
        return _random_for_new_task
    if order == QueueOrder.UNCERTAINTY:
        return _uncertainty_for_new_task
    raise ValueError(f"unknown queue order {order!r}")


def _random_for_new_task(task_id: int, confidence: float | None) -> float:
    return random_priority(task_id)


def _uncertainty_for_new_task(task_id: int, confidence: float | None) -> float:
    return random_priority(task_id) if confidence is None else 1.0 - float(confidence)


@transaction.atomic
def priorities_write(*, project: Project, priorities: dict[int, float]) -> int:
    """Set each task's priority to the given value, in a few set-based statements; rows written."""
    items = sorted(priorities.items())
    if connection.vendor == "postgresql":
        return sum(_write_pg(project.pk, batch) for batch in in_batches(items, PG_BATCH))
    return sum(_write_case(project, batch) for batch in in_batches(items, CASE_BATCH))


def _write_case(project: Project, batch: list[tuple[int, float]]) -> int:
    case = Case(
        *(When(pk=task_id, then=Value(value)) for task_id, value in batch),
        output_field=FloatField(),
    )
    ids = [task_id for task_id, _ in batch]
    return Task.objects.filter(project=project, pk__in=ids).update(priority=case)


def _write_pg(project_id: int, batch: list[tuple[int, float]]) -> int:
    quote = connection.ops.quote_name
    table = quote(Task._meta.db_table)
    priority = quote(Task._meta.get_field("priority").column)
    project = quote(Task._meta.get_field("project").column)
    rows = ", ".join(["(%s::bigint, %s::double precision)"] * len(batch))
    # The id range lets the (project, id) index bound the scan to the batch: without it the
    # planner hashed every task of the project for each batch, so an import of N tasks, one
    # batch after another, read N²/2 rows.
    sql = (
        f"UPDATE {table} AS t SET {priority} = v.p FROM (VALUES {rows}) AS v(id, p) "
        f"WHERE t.id = v.id AND t.{project} = %s AND t.id BETWEEN %s AND %s"
    )
    ids = [task_id for task_id, _ in batch]
    params = [x for pair in batch for x in pair] + [project_id, min(ids), max(ids)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _set_constant(*, project: Project, task_ids: list[int], value: float) -> int:
    written = 0
    with transaction.atomic():
        for batch in in_batches(sorted(task_ids), id_batch_size()):
            written += Task.objects.filter(project=project, pk__in=batch).update(priority=value)
    return written


def id_batch_size() -> int:
    """Ids per `pk__in` list: SQLite builds may cap a statement at 999 parameters."""
    return PG_BATCH if connection.vendor == "postgresql" else 900


def in_batches(items: Iterable, size: int):
    """Lists of up to `size` items, in order; reads `items` lazily."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
