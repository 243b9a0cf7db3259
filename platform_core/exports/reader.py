"""The rows every export format writes, read in batches with constant memory.

Tasks are read by keyset pagination on the primary key (`id > last ORDER BY id LIMIT n`, on the
(project, id) index), never with OFFSET and never by loading the project's tasks: the first
batch is on its way after one short query, whatever the project's size. JSON columns arrive as
the database's own JSON text (cast to text in SQL), so no row is parsed unless a format needs
its contents; JSON Lines splices the text in as it is.

Per batch: one query for the tasks, one for their annotations (when asked) and one for their
predictions (when suggestions are asked, or for an auto-accepted task routed before routing
stored its label); never a query per row. The tasks' query is compiled by Django once per
pass and run on the cursor: Django's per-batch compilation and row iteration cost more than
the database spent answering.
"""
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from django.apps import apps
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse

from platform_core.models import Prediction, Project, Task, TaskStatus
from platform_core.models.tasks import FINAL_STATUSES

# Tasks per query. 2,000 rows of ~1 KB of JSON each (text tasks; boxes and transcripts run
# larger) hold ~2 MB in memory, plus their annotations and suggestions; at 100,000 rows/s a
# batch is 20 ms, so the first bytes leave long before a second has passed.
BATCH_SIZE = 2000


@dataclass(slots=True)
class ExportRow:
    id: int
    dataset_id: int | None
    status: str
    data: str  # JSON text as the database stores it
    meta: str
    # The final label as JSON text: Task.accepted_result (for an auto-accepted task the machine
    # label routing accepted, until a spot-check settles it; for one routed before routing
    # stored it, its latest prediction). None without one.
    result: str | None
    media: str  # storage name; "" for text tasks
    media_type: str
    width: int | None
    height: int | None
    duration_s: float | None
    sample_rate: int | None
    # Filled when asked: [{"id", "annotator", "result" (JSON text), "lead_time_s", "status"}].
    # The shared empty tuple until then: two lists per row were a third of the objects the
    # garbage collector walked through in an export.
    annotations: Sequence[dict] = ()
    # [{"model_version", "result" (JSON text), "confidence"}], newest first
    suggestions: Sequence[dict] = ()


_TASK_COLUMNS = (
    "id", "dataset_id", "status", "data_json", "meta_json", "result_json", "media", "media_type",
    "width", "height", "duration_s", "sample_rate",
)


@dataclass(frozen=True)
class TaskSource:
    """The tasks of one export: which ones, with what, and how their media is linked."""

    project: Project
    accepted_only: bool = True
    dataset_id: int | None = None
    annotations: bool = False
    suggestions: bool = False
    # Prefix of media links, e.g. "https://label.example.com"; "" leaves them site-relative.
    media_base_url: str = ""
    batch_size: int = 0  # 0: BATCH_SIZE

    def batches(self) -> Iterator[list[ExportRow]]:
        """The tasks in id order, a batch at a time; each call starts a new pass."""
        size = self.batch_size or BATCH_SIZE
        sql, params = self._tasks(id__gt=_AFTER).annotate(
            data_json=_text("data"), meta_json=_text("meta"), result_json=_text("accepted_result")
        ).order_by("id").values_list(*_TASK_COLUMNS)[:size].query.sql_with_params()
        after = params.index(_AFTER)
        if connection.vendor == "postgresql":
            # The request's connection itself (psycopg's), not the thread's own: see _read_ahead.
            connection.ensure_connection()
            pages = _read_ahead(_task_pages(sql, params, after, size, connection.connection.cursor))
        else:
            pages = _task_pages(sql, params, after, size, connection.cursor)
        last = 0
        for rows in pages:
            self._complete(rows, after=last)
            yield rows
            last = rows[-1].id

    def _tasks(self, **filters):
        tasks = Task.objects.filter(project_id=self.project.pk, **filters)
        if self.accepted_only:
            tasks = tasks.filter(status__in=FINAL_STATUSES)
        if self.dataset_id is not None:
            tasks = tasks.filter(dataset_id=self.dataset_id)
        return tasks

    def _of_batch(self, queryset, rows: list[ExportRow], after: int, **task_filters):
        """`queryset` (of a model with a `task`) narrowed to the tasks of this batch: those the
        export selects with ids in (after, the batch's last id].

        Not `task_id IN (2,000 ids)`, whose compilation alone took Django longer than the
        database took to answer; not a join on the task either, which PostgreSQL answered by
        scanning every task of the table (it does not carry the id range across the join). The
        range on both sides makes it a merge of two short index ranges: 2 ms for 2,000 tasks.
        """
        last = rows[-1].id
        tasks = self._tasks(id__gt=after, id__lte=last, **task_filters).values("id")
        return queryset.filter(task_id__gt=after, task_id__lte=last, task_id__in=tasks)

    def media_url(self, task_id: int) -> str:
        """The member-only media URL the task API gives (platform_core.media)."""
        return self._media_url_template.format(task_id)

    @cached_property
    def _media_url_template(self) -> str:  # reverse() once, not once per row
        marker = 987654321
        path = reverse("task-media", args=[marker]).replace(str(marker), "{}")
        return self.media_base_url.rstrip("/") + path

    def _complete(self, rows: list[ExportRow], after: int) -> None:
        by_id = {row.id: row for row in rows}
        if self.annotations:
            for row in rows:
                row.annotations = []
        if self.suggestions:
            for row in rows:
                row.suggestions = []
        if self.annotations and (model := _annotation_model()) is not None:
            for task_id, *annotation in self._of_batch(model.objects, rows, after).annotate(
                result_json=_text("result")
            ).order_by("task_id", "id").values_list("task_id", *_ANNOTATION_COLUMNS):
                if task_id in by_id:
                    by_id[task_id].annotations.append(dict(zip(_ANNOTATION_KEYS, annotation)))
        # Auto-accepted before routing stored the label (and not backfilled): the latest
        # prediction, as routing accepted it then. None in a batch costs no query.
        machine = [row for row in rows
                   if row.result is None and row.status == TaskStatus.AUTO_ACCEPTED]
        if not (self.suggestions or machine):
            return
        machine_only = {} if self.suggestions else {
            "status": TaskStatus.AUTO_ACCEPTED, "accepted_result__isnull": True}
        predictions = self._of_batch(Prediction.objects, rows, after, **machine_only)
        latest: dict[int, str] = {}
        for task_id, version, result, confidence in (
            predictions.annotate(result_json=_text("result"))
            .order_by("task_id", "-created_at", "-id")
            .values_list("task_id", "model_version", "result_json", "confidence")
        ):
            latest.setdefault(task_id, result)
            if self.suggestions and task_id in by_id:
                by_id[task_id].suggestions.append(
                    {"model_version": version, "result": result, "confidence": confidence}
                )
        for row in machine:
            # Routing accepts a task on its latest prediction (ml_assist.routing).
            row.result = latest.get(row.id)


# Stands for the previous batch's last id in the tasks' query, compiled once per pass.
_AFTER = -987654321


def _task_pages(
    sql: str, params: tuple, after: int, size: int, cursor_of: Callable
) -> Iterator[list[ExportRow]]:
    """The rows of the tasks' query, `size` at a time (the previous page's last id at
    params[after]), on cursors from `cursor_of`."""
    last = 0
    while True:
        params = (*params[:after], last, *params[after + 1:])
        with cursor_of() as cursor:
            cursor.execute(sql, params)
            rows = [ExportRow(*values) for values in cursor.fetchall()]
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1].id


_DONE = object()


def _read_ahead(pages: Iterator[list[ExportRow]]) -> Iterator[list[ExportRow]]:
    """`pages`, read one page ahead in a thread: the database produces the next page while
    the caller writes this one, on the other core (psycopg releases the GIL while it waits;
    writing a page took a third as long as the database took to produce it, one after the
    other). The thread uses the request's own connection (psycopg connections are
    thread-safe; its lock orders the two threads' queries), so the reads stay inside
    export_snapshot's transaction. PostgreSQL only: SQLite's connection is not shared."""
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not hand(page):
                    return
            hand(_DONE)
        except BaseException as error:  # handed to the caller, raised there
            hand(error)

    reader = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := handoff.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _text(column: str) -> Cast:
    return Cast(column, output_field=TextField())


_ANNOTATION_KEYS = ("id", "annotator", "result", "lead_time_s", "status")
_ANNOTATION_COLUMNS = ("id", "annotator__username", "result_json", "lead_time_s", "status")


def _annotation_model():
    """The annotator app's Annotation, or None without the app.

    Annotations belong to the annotator app, which the platform does not import (DESIGN.md:
    the dependencies point one way): its model is looked up by name, like a Celery task name.
    """
    try:
        return apps.get_model("annotator", "Annotation")
    except LookupError:
        return None


@contextmanager
def export_snapshot():
    """On PostgreSQL, one read-only REPEATABLE READ transaction around the whole export: every
    batch and every pass (COCO reads the tasks three times) sees the same tasks, however long
    the download takes, as pg_dump does. Inside a transaction already (tests), that one's view.

    Not on SQLite, where an open read transaction would hold off every writer for the length of
    the download; there each batch reads what is committed when it runs.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
