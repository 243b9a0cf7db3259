"""Writes task records in batches with one multi-row INSERT … ON CONFLICT DO NOTHING each.

The unique (project, checksum) constraint does the duplicate rule in the database, for rows
already in the project and for repeats within the file alike, so memory does not grow with the
number of checksums seen. A raw DB-API cursor is used on purpose: Django's debug cursor would
keep every 2,000-row statement in `connection.queries` when DEBUG is on.

On PostgreSQL a batch's commit does not wait for its WAL to reach the disk (synchronous_commit
off for that transaction only): a crash may lose the last batches, which the job's rerun writes
again (acks_late redelivers it; the unique constraint skips what survived). The commit that marks
the job finished waits as usual, and WAL is flushed in order, so a finished job's tasks are all
on disk.
"""
import json
from collections.abc import Callable, Iterable, Iterator

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from platform_core.imports.copy_lines import COPY_COLUMNS, copy_line, copy_value
from platform_core.imports.records import TaskRecord
from platform_core.jobs import project_hold_unless_deleting
from platform_core.models import Dataset, Prediction, Project, Task, TaskStatus

# Rows a transaction writes: ~5 MB of COPY text for typical text rows. Measured at 3 x 10^5
# rows on PostgreSQL, 10,000-row batches took ~12% less time than 2,000-row ones (a fifth of
# the commits and round trips); on SQLite a batch holds the write lock for ~0.5 s.
BATCH_SIZE = 10_000
# Rows a multi-row INSERT … VALUES carries (SQLite, and suggestions): 2,000 rows × 16 columns
# = 32,000 parameters, under SQLite's 32,766 and PostgreSQL's 65,535.
INSERT_ROWS = 2000
# Rows of COPY text joined at a time: ~300 KB for text rows.
COPY_PIECE_ROWS = 1000

TASK_COLUMNS = (
    "project_id", "dataset_id", "data", "meta", "media", "media_type", "checksum", "status",
    "priority", "annotation_count", "duration_s", "sample_rate", "width", "height",
    "created_at", "updated_at",
)
JSON_COLUMNS = {"data", "meta"}
# What every row of a COPY shares, after the record's own COPY_COLUMNS; the priority is shared
# (0) unless the project's queue order gives each new task its own.
SHARED_COLUMNS = ("project_id", "dataset_id", "annotation_count", "created_at", "updated_at")
# Temporary and emptied at each commit: private to the connection, never seen by others. `ord`
# keeps file order for the task ids; `id` and `priority` are set when the priority is per row.
STAGING_DDL = """
CREATE TEMP TABLE IF NOT EXISTS import_staging (
    ord integer, id bigint, priority double precision, data jsonb, meta jsonb,
    media varchar(500), media_type varchar(100), checksum varchar(64), status varchar(16),
    duration_s double precision, sample_rate integer, width integer, height integer
) ON COMMIT DELETE ROWS
"""
PREDICTION_COLUMNS = ("task_id", "model_version", "result", "confidence", "created_at")
# Priority as a function of a new task's id and of the confidence of its latest imported
# suggestion (None without one): see platform_core.extensions.new_task_priority.
Priority = Callable[[int, float | None], float]


class TaskWriter:
    def __init__(
        self, *, project: Project, dataset: Dataset, rerun: bool = False, priority: Priority | None = None
    ):
        self.project_id = project.pk
        self.dataset_id = dataset.pk
        # A redelivered job finds its own earlier rows in place: they count as imported.
        self.rerun = rerun
        # None: new tasks keep priority 0 (file order). Otherwise each is written with its own,
        # in the row itself: an UPDATE of the batch afterwards rewrote every row and index entry
        # again (1.8-2.8x the import's time under random order).
        self.priority = priority
        # COPY straight into the table until a row turns out to be there already (PostgreSQL).
        self.copy_direct = not rerun
        self.pending: list[TaskRecord] = []
        self.imported = 0
        self.duplicates = 0
        self._id_sequence = ""
        is_pg = connection.vendor == "postgresql"
        self.placeholder = "%s" if is_pg else "?"
        json_cast = "::jsonb" if is_pg else ""
        row = ", ".join(
            self.placeholder + (json_cast if name in JSON_COLUMNS else "") for name in TASK_COLUMNS
        )
        self.task_row_sql = f"({row})"
        self.prediction_row_sql = "({})".format(
            ", ".join(
                self.placeholder + (json_cast if name == "result" else "")
                for name in PREDICTION_COLUMNS
            )
        )

    @property
    def batch_size(self) -> int:
        """Rows a transaction writes (BATCH_SIZE, read when used: tests lower it)."""
        return BATCH_SIZE

    def add(self, record: TaskRecord) -> bool:
        """Queue a record; True when this call wrote a batch."""
        self.pending.append(record)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        now = timezone.now()
        with transaction.atomic():
            # A purge deletes the project's tasks batch by batch and then its row: rows written
            # after would hit a missing project.
            project_hold_unless_deleting(self.project_id)
            connection.ensure_connection()
            cursor = connection.connection.cursor()
            try:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    inserted = self._copy_tasks(cursor, batch, now)
                else:
                    now = connection.ops.adapt_datetimefield_value(now)
                    inserted = self._insert_tasks(cursor, batch, now)
                if isinstance(inserted, dict):
                    self._insert_suggestions(cursor, batch, inserted, now)
                    already = self._own_earlier_rows(cursor, batch, inserted) if self.rerun else 0
                    inserted = len(inserted)
                else:
                    already = 0
            finally:
                cursor.close()
        self.imported += inserted + already
        self.duplicates += len(batch) - inserted - already

    def _copy_tasks(self, cursor, batch: list[TaskRecord], now) -> dict[str, int] | int:
        """PostgreSQL: COPY the batch straight into the task table while the file brings only
        rows the project does not hold; otherwise (and for batches with suggestions, whose task
        ids COPY cannot return) the staged way, where ON CONFLICT settles duplicates.

        COPY has no ON CONFLICT: repeats within the batch are left out here (the first one is
        kept, as ON CONFLICT keeps it), and a row the project already holds (an earlier import,
        a concurrent one) makes the COPY fail on the unique index, which undoes this batch's
        savepoint alone; the batch and the rest of the job then go the staged way. Measured at
        10^5 rows, the direct COPY spends ~30% less in the database than staging + INSERT …
        SELECT. Looking the checksums up first instead costs more than it saves (~60 µs a probe).

        {checksum: task id} of the rows written when the batch has suggestions to attach or is
        a rerun's; otherwise only how many were written (no ids to send back)."""
        first = _first_of_each(batch)
        # Ids drawn from the table's sequence ahead, in file order, when each row's priority
        # depends on its id; the staged way after a failed COPY uses the same ones.
        ids = self._reserve_ids(cursor, len(first)) if self.priority else None
        if self.copy_direct and not any(r.suggestions for r in batch):
            stamp = now.isoformat()
            shared = f"\t{self.project_id}\t{self.dataset_id}\t0\t{stamp}\t{stamp}"
            lines = [r.copy_line or copy_line(r) for r in first.values()]
            if ids is None:
                columns = (*COPY_COLUMNS, *SHARED_COLUMNS, "priority")
                end = f"{shared}\t0\n"
            else:
                columns = ("id", "priority", *COPY_COLUMNS, *SHARED_COLUMNS)
                end = shared + "\n"
            try:
                with transaction.atomic():
                    self._copy_rows(
                        cursor, f"{Task._meta.db_table} ({', '.join(columns)})",
                        self._direct_pieces(lines, end, ids),
                    )
            except psycopg.errors.UniqueViolation:
                self.copy_direct = False
            else:
                return len(first)
        return self._copy_staged(cursor, list(first.values()), ids, now)

    def _direct_pieces(self, lines: list[str], end: str, ids: list[int] | None) -> Iterator[str]:
        """The COPY text, COPY_PIECE_ROWS lines at a time: the database reads one piece while
        the next is joined, and the batch is never one more string as long as all its lines."""
        priority = self.priority
        for start in range(0, len(lines), COPY_PIECE_ROWS):
            part = lines[start:start + COPY_PIECE_ROWS]
            if ids is None:
                yield end.join(part) + end
            else:
                yield "".join([
                    f"{task_id}\t{copy_value(priority(task_id, None))}\t{line}{end}"
                    for task_id, line in zip(ids[start:start + COPY_PIECE_ROWS], part)
                ])

    @staticmethod
    def _copy_rows(cursor, target: str, pieces: Iterable[str]) -> None:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for piece in pieces:
                copy.write(piece)

    def _reserve_ids(self, cursor, count: int) -> list[int]:
        if not self._id_sequence:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Task._meta.db_table])
            self._id_sequence = cursor.fetchone()[0]
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self._id_sequence, count]
        )
        return sorted(task_id for (task_id,) in cursor.fetchall())

    def _copy_staged(self, cursor, records: list[TaskRecord], ids: list[int] | None, now) -> dict[str, int] | int:
        """COPY the records (one per checksum) into a session-local staging table, then one
        INSERT … SELECT … ON CONFLICT DO NOTHING: duplicates settled by the database, even
        against a concurrent import. Three times faster than a multi-row VALUES statement,
        whose 32,000 placeholders psycopg must parse on every batch."""
        cursor.execute(STAGING_DDL)
        # Emptied at commit, but a caller's outer transaction (a test, a nested import) would
        # otherwise let the previous batch's rows be inserted again.
        cursor.execute("TRUNCATE import_staging")
        if ids is None:
            text = "".join([
                f"{order}\t\\N\t\\N\t{r.copy_line or copy_line(r)}\n" for order, r in enumerate(records)
            ])
            own = COPY_COLUMNS
            shared = ", 0"
        else:
            priority = self.priority
            text = "".join([
                f"{order}\t{task_id}\t{copy_value(priority(task_id, _latest_confidence(r)))}\t"
                f"{r.copy_line or copy_line(r)}\n"
                for order, (task_id, r) in enumerate(zip(ids, records))
            ])
            own = ("id", "priority", *COPY_COLUMNS)
            shared = ""
        self._copy_rows(cursor, f"import_staging (ord, id, priority, {', '.join(COPY_COLUMNS)})", [text])
        columns = [*own, *SHARED_COLUMNS] + (["priority"] if ids is None else [])
        wants_ids = self.rerun or any(r.suggestions for r in records)
        cursor.execute(
            f"INSERT INTO {Task._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(own)}, %s, %s, 0, %s, %s{shared} FROM import_staging "
            "ORDER BY ord ON CONFLICT (project_id, checksum) DO NOTHING"
            + (" RETURNING id, checksum" if wants_ids else ""),
            (self.project_id, self.dataset_id, now, now),
        )
        if not wants_ids:
            return cursor.rowcount
        return {checksum: task_id for task_id, checksum in cursor.fetchall()}

    def _insert_tasks(self, cursor, batch: list[TaskRecord], now) -> dict[str, int]:
        inserted: dict[str, int] = {}
        for start in range(0, len(batch), INSERT_ROWS):
            params = []
            for r in batch[start:start + INSERT_ROWS]:
                status = TaskStatus.SUGGESTED if r.suggestions else TaskStatus.NEW
                params += (
                    self.project_id, self.dataset_id, r.data_json,
                    json.dumps(r.meta, ensure_ascii=False), r.media, r.media_type, r.checksum,
                    status, 0.0, 0, r.duration_s, r.sample_rate, r.width, r.height, now, now,
                )
            cursor.execute(
                f"INSERT INTO {Task._meta.db_table} ({', '.join(TASK_COLUMNS)}) "
                f"VALUES {', '.join([self.task_row_sql] * (len(params) // len(TASK_COLUMNS)))} "
                "ON CONFLICT (project_id, checksum) DO NOTHING RETURNING id, checksum",
                params,
            )
            inserted.update((checksum, task_id) for task_id, checksum in cursor.fetchall())
        if self.priority and inserted:
            # SQLite has no sequence to draw ids from ahead: the priorities follow the rows, in
            # the same transaction (SQLite runs in-process, so the statements cost no trips).
            first = _first_of_each(batch)
            cursor.executemany(
                f"UPDATE {Task._meta.db_table} SET priority = ? WHERE id = ?",
                [
                    (self.priority(task_id, _latest_confidence(first[checksum])), task_id)
                    for checksum, task_id in inserted.items()
                ],
            )
        return inserted

    def _insert_suggestions(self, cursor, batch, inserted: dict[str, int], now) -> None:
        """In file order, which makes a task's last suggestion its latest."""
        rows = [
            (task_id, s.model_version, json.dumps(s.result), s.confidence, now)
            for record in batch
            if (task_id := inserted.get(record.checksum)) is not None
            for s in record.suggestions
        ]
        for start in range(0, len(rows), INSERT_ROWS):
            chunk = rows[start:start + INSERT_ROWS]
            cursor.execute(
                f"INSERT INTO {Prediction._meta.db_table} ({', '.join(PREDICTION_COLUMNS)}) "
                f"VALUES {', '.join([self.prediction_row_sql] * len(chunk))} "
                "ON CONFLICT (task_id, model_version) DO NOTHING",
                [value for row in chunk for value in row],
            )

    def _own_earlier_rows(self, cursor, batch, inserted: dict[str, int]) -> int:
        missing = list({r.checksum for r in batch} - inserted.keys())
        found = 0
        for start in range(0, len(missing), INSERT_ROWS):
            chunk = missing[start:start + INSERT_ROWS]
            cursor.execute(
                f"SELECT COUNT(*) FROM {Task._meta.db_table} WHERE project_id = {self.placeholder} "
                f"AND dataset_id = {self.placeholder} "
                f"AND checksum IN ({', '.join([self.placeholder] * len(chunk))})",
                [self.project_id, self.dataset_id, *chunk],
            )
            found += cursor.fetchone()[0]
        return found


def _first_of_each(batch: list[TaskRecord]) -> dict[str, TaskRecord]:
    """The batch's first record of each checksum, in file order (the one ON CONFLICT keeps)."""
    first: dict[str, TaskRecord] = {}
    for record in batch:
        first.setdefault(record.checksum, record)
    return first


def _latest_confidence(record: TaskRecord) -> float | None:
    """The confidence of the record's latest suggestion that will be stored with one: the
    first of each model version is kept (ON CONFLICT (task_id, model_version) DO NOTHING),
    and they are stored in order."""
    versions, confidence = set(), None
    for suggestion in record.suggestions:
        if suggestion.model_version in versions:
            continue
        versions.add(suggestion.model_version)
        if suggestion.confidence is not None:
            confidence = suggestion.confidence
    return confidence
