"""Pre-labeling: suggestions for open tasks (or the job's task ids), batch by batch.

Each batch is one transaction: its predictions (INSERT … ON CONFLICT DO NOTHING on the unique
(task, model version)), new -> suggested, priorities by the project's queue order
(ml_assist.priority), confidence routing (ml_assist.routing) and the job's progress. Batches
hold only tasks without a prediction of this version, so a run killed mid-way and redelivered
finishes the rest, and a second run writes nothing.

On PostgreSQL, outside a caller's transaction, the pass is a three-stage pipeline: a thread
reads the next batch while this one is predicted and another thread writes the previous one
(each thread on its own connection). Inference holds the GIL; reads and writes mostly wait on
the database, so the three overlap and the pass runs at about the estimator's own speed.
"""
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction

from ml_assist.artifacts import ArtifactRefused
from ml_assist.models import MlJob, MlJobKind, MlJobStatus
from ml_assist.priority import priorities_apply
from ml_assist.routing import route_confident
from platform_core.holdout import suggestion_holdout
from platform_core.jobs import ProjectDeleting, job_heartbeat, project_hold_unless_deleting
from ml_assist.services import writes
from ml_assist.services.jobs import job_finish, job_progress, job_start
from ml_assist.services.sources import Source, SourceUnavailable, prelabel_sources
from ml_assist.services.thresholds import threshold_review
from platform_core.models.projects import QueueOrder
from platform_core.models.tasks import OPEN_STATUSES

logger = logging.getLogger(__name__)

# 500 tasks a batch: ~0.15 s of text inference, one transaction of a few statements; small
# enough that a killed worker redoes little, large enough that round trips stay a few percent
# of the time. Media batches hold 500 decoded files (~6 MB of 64 px images, ~160 MB of 5 s
# audio clips) at once, two of them while the pipeline reads ahead.
BATCH_SIZE = 500
# Task ids looked at per statement when counting what is left (SQLite caps parameters).
COUNT_CHUNK = 5000
# Tasks read per keyset scan for their status: 5,000 (id, status) pairs ≈ 100 KB.
SCAN_SIZE = 5000


def model_prelabel(*, job_id: int) -> MlJob | None:
    """Run a pre-labeling job to its end (see the module docstring); a finished job is a no-op."""
    job = job_start(job_id=job_id, kind=MlJobKind.PRELABEL)
    if job is None:
        return None
    try:
        with job_heartbeat(job):
            return _prelabel(job)
    except ProjectDeleting:
        logger.info("Pre-labeling job %s stopped: its project is being deleted", job.pk)
        return None
    except (SourceUnavailable, ArtifactRefused) as exc:
        return job_finish(job=job, status=MlJobStatus.FAILED, message=str(exc))
    except Exception:
        logger.exception("Pre-labeling job %s failed", job.pk)
        job_finish(job=job, status=MlJobStatus.FAILED,
                   message="Pre-labeling failed on an internal error; see the worker log.")
        raise


def _prelabel(job: MlJob) -> MlJob:
    project = job.project
    notes = []
    if project.auto_accept_threshold is not None:
        # Route with a threshold that reflects what the reviews measured so far.
        adjusted = threshold_review(project=project)
        if adjusted["changed"]:
            notes.append(
                f"Auto-accept threshold raised from {adjusted['old_threshold']:.2f} to "
                f"{adjusted['new_threshold']:.2f}; {adjusted['returned']} tasks went back to the queue."
            )
        elif adjusted["lowered"] is not None:
            lowered = adjusted["lowered"]
            notes.append(
                f"Auto-accept threshold lowered from {lowered.old_threshold:.2f} to "
                f"{lowered.new_threshold:.2f} on {lowered.n} reviewed labels of the band under it."
            )
    sources, source_notes = prelabel_sources(job=job)
    notes += source_notes
    if not sources:
        return job_finish(job=job, status=MlJobStatus.SUCCEEDED, message=" ".join(notes))
    batch_size = max(1, int(job.params.get("batch_size") or BATCH_SIZE))
    remaining = sum(_todo_count(job, source.name) for source in sources)
    job_progress(job=job, total=job.done + remaining)
    stats: Counter = Counter()
    for source in sources:
        size = min(batch_size, source.batch_size or batch_size)
        batches = _todo_batches(job, source.name, size)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            _run_pipelined(job, source, batches, stats)
        else:
            # Other connections would not see a caller's uncommitted rows (tests, a command's
            # transaction), and SQLite has one writer at a time anyway: one batch after another.
            for rows in batches:
                _write_batch(job, source, rows, _predicted(source, rows, stats), stats)
    names = ", ".join(source.name for source in sources)
    summary = (
        f"{stats['written']} suggestions written by {names} for {stats['seen']} tasks"
        f" ({stats['silent']} without one); {stats['auto_accepted']} auto-accepted,"
        f" {stats['sampled']} of them sampled for review; {stats['explored']} from just under"
        " the threshold sent to review."
    )
    # Where the time went: inference, and how long it waited for reads and writes.
    logger.info(
        "Pre-labeling job %s: %s tasks; predict %.1fs, waited %.1fs on reads, %.1fs on writes",
        job.pk, stats["seen"], stats["predict_s"], stats["read_wait_s"], stats["write_wait_s"],
    )
    return job_finish(job=job, status=MlJobStatus.SUCCEEDED, message=" ".join([summary, *notes]))


def _run_pipelined(job: MlJob, source: Source, batches: Iterator[list[tuple]], stats: Counter) -> None:
    writer = ThreadPoolExecutor(max_workers=1, initializer=_thread_connection_fresh)
    pending = None
    try:
        for rows in _read_ahead(batches, stats):
            suggestions = _predicted(source, rows, stats)
            if pending is not None:
                waited = time.perf_counter()
                pending.result()  # one write in flight at a time, in batch order; raises its error
                stats["write_wait_s"] += time.perf_counter() - waited
            pending = writer.submit(_write_batch, job, source, rows, suggestions, stats)
        if pending is not None:
            pending.result()
    finally:
        # A lambda: `connection.close` looked up here would be this thread's connection.
        writer.submit(lambda: connection.close())
        writer.shutdown(wait=True)


def _predicted(source: Source, rows, stats: Counter):
    started = time.perf_counter()
    suggestions = source.predict_rows(rows)
    stats["predict_s"] += time.perf_counter() - started
    return suggestions


def _read_ahead(batches: Iterator[list[tuple]], stats: Counter, depth: int = 1) -> Iterator[list[tuple]]:
    """The batches, read by a thread (own connection) up to `depth` batches ahead."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce():
        _thread_connection_fresh()
        try:
            for rows in batches:
                if stop.is_set():
                    return
                slots.put(rows)
            slots.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            slots.put(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=produce, name="prelabel-reader", daemon=True)
    thread.start()
    try:
        while True:
            waited = time.perf_counter()
            item = slots.get()
            stats["read_wait_s"] += time.perf_counter() - waited
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                slots.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def _thread_connection_fresh() -> None:
    # A thread's first query opens its own connection; make sure no stale one is reused.
    connection.close_if_unusable_or_obsolete()


def _write_batch(job: MlJob, source: Source, rows, suggestions, stats: Counter) -> None:
    project = job.project
    said = {row[0]: s for row, s in zip(rows, suggestions, strict=True) if s is not None}
    with transaction.atomic():
        project_hold_unless_deleting(project.pk)
        if connection.vendor == "postgresql":
            # A batch lost to a crash right after its commit is predicted again on the rerun
            # (progress is in the same transaction): no need to wait for the WAL flush.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        priorities = writes.predictions_write(
            model_version=source.name,
            rows=[(task_id, s.result, s.confidence) for task_id, s in said.items()],
        )
        written = sorted(priorities)
        # Sequential order means priority 0, which imported tasks have: only the tasks an
        # earlier pass (another order) gave a priority are written, not 500 rows a batch.
        ordered = (
            [t for t in written if priorities[t] != 0]
            if project.queue_order == QueueOrder.SEQUENTIAL
            else written
        )
        if ordered:
            priorities_apply(
                project=project, uncertainties={t: said[t].uncertainty for t in ordered}
            )
        if written and project.auto_accept_threshold is not None:
            # Tasks held out to measure what suggestions save must reach a person.
            rate = project.suggestion_holdout_rate
            routed = route_confident(
                project=project,
                task_confidences={
                    t: said[t].confidence for t in written if not suggestion_holdout(t, rate)
                },
                model_version=source.name,
            )
            stats["auto_accepted"] += len(routed.auto_accepted)
            stats["sampled"] += len(routed.sampled_for_review)
            stats["explored"] += len(routed.explored)
        job_progress(job=job, done=len(rows))
    stats["seen"] += len(rows)
    stats["written"] += len(written)
    stats["silent"] += len(rows) - len(said)


# -- which tasks ----------------------------------------------------------------------------------


def _named_ids(job: MlJob) -> list[int] | None:
    ids = job.params.get("task_ids")
    return sorted({int(i) for i in ids}) if ids else None


def _id_pages(job: MlJob, size: int) -> Iterator[list[int]]:
    """Pages of task ids in id order: the named tasks of the project (any state), or every
    open task (new, suggested, in progress, rejected) by keyset paging."""
    ids = _named_ids(job)
    if ids is not None:
        for start in range(0, len(ids), size):
            page = writes.project_task_ids(project_id=job.project_id, ids=ids[start : start + size])
            if page:
                yield page
        return
    open_statuses = {status.value for status in OPEN_STATUSES}
    page: list[int] = []
    last = 0
    while scan := writes.task_id_scan(project_id=job.project_id, after=last, size=SCAN_SIZE):
        last = scan[-1][0]
        for task_id, status in scan:
            if status in open_statuses:
                page.append(task_id)
                if len(page) == size:
                    yield page
                    page = []
    if page:
        yield page


def _todo_count(job: MlJob, model_version: str) -> int:
    if _named_ids(job) is None:
        return writes.open_without_prediction_count(project_id=job.project_id, model_version=model_version)
    return sum(
        len(writes.without_prediction(task_ids=page, model_version=model_version))
        for page in _id_pages(job, COUNT_CHUNK)
    )


def _todo_batches(job: MlJob, model_version: str, size: int) -> Iterator[list[tuple]]:
    """Rows (examples.ITEM_COLUMNS) of tasks still without a prediction of this version.

    A page of ids, then which of them have one: both index-bounded, so batch 200 costs what
    batch 1 did (an anti join in one statement let PostgreSQL re-walk every task predicted so
    far, for every batch)."""
    for page in _id_pages(job, size):
        todo = writes.without_prediction(task_ids=page, model_version=model_version)
        if todo:
            yield writes.task_rows(task_ids=todo)
