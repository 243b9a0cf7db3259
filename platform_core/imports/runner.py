"""Runs one import job: read the stored file, convert rows, write batches, report progress.

Called by the Celery task in the worker, and directly by `manage.py import_dataset` and the
benchmark, so all three measure and exercise the same path.
"""
import gc
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from platform_core.extensions import new_task_priority, tasks_imported, tasks_without_work
from platform_core.imports.archives import ArchiveSource
from platform_core.imports.copy_lines import copy_line
from platform_core.imports.pipeline import chunked, read_ahead
from platform_core.imports.readers import read_csv, read_json_array, read_json_lines, sniff_json_container
from platform_core.imports.records import ImportFileError, RowError, TaskRecord
from platform_core.imports.rows import RowConverter
from platform_core.imports.writer import TaskWriter
from platform_core.jobs import ProjectDeleting, job_begin, job_heartbeat
from platform_core.models import Dataset, ImportJob, ImportStatus, Project, Task, TaskStatus

logger = logging.getLogger(__name__)

# The job row is updated at most this often, so polling pages see progress without the
# import spending its time on progress writes.
PROGRESS_INTERVAL_S = 0.5

# Rows the reading thread hands over at a time: ~1.2 MB of Python objects for text rows.
READ_CHUNK = 2000

ProgressCallback = Callable[[ImportJob], None]
# A failed import deletes its tasks only in these states: nobody has labeled or claimed them.
UNTOUCHED_STATUSES = (TaskStatus.NEW, TaskStatus.SUGGESTED)


def import_run(*, job_id: int, on_progress: ProgressCallback | None = None) -> ImportJob | None:
    """Run the job to the end. A finished job is left as it is (a redelivery is a no-op), and so
    is one a live worker is running; a job whose worker died starts over and counts its own
    earlier rows as imported, not duplicate."""
    job = job_begin(ImportJob.objects.select_related("project", "dataset"), job_id)
    if job is None:
        return ImportJob.objects.filter(pk=job_id).first()
    rerun = job.attempts > 1
    if job.dataset is None:
        job.dataset = Dataset.objects.create(project=job.project, name=job.source_name)
    writer = TaskWriter(
        project=job.project, dataset=job.dataset, rerun=rerun,
        priority=new_task_priority(project=job.project),
    )
    run = _Run(job, writer, on_progress)
    try:
        with job_heartbeat(job), _local_path(job) as path, _collector_paused():
            run.consume(path)
    except ProjectDeleting:
        logger.info("Import %s stopped: its project is being deleted", job.pk)
        return job  # the purge deletes the job's row with everything else
    except ImportFileError as exc:
        run.fail(str(exc))
    except Exception:
        if _project_deleting(job.project_id):
            logger.info("Import %s stopped: its project is being deleted", job.pk)
            return job
        logger.exception("Import %s failed", job.pk)
        run.fail("The import failed on an internal error.")
        raise
    else:
        if run.writer.imported == 0 and run.writer.duplicates == 0 and run.error_count:
            run.finish(ImportStatus.FAILED, message="No row could be imported; see the errors.")
        else:
            run.finish(ImportStatus.SUCCEEDED)
    return run.job


class _Run:
    def __init__(self, job: ImportJob, writer: TaskWriter, on_progress: ProgressCallback | None):
        self.job = job
        self.writer = writer
        self.on_progress = on_progress
        self.errors: list[dict] = []
        self.error_count = 0
        self.position = lambda: 0
        self.last_saved = time.monotonic()
        self.announced_upto = 0

    def consume(self, path: str) -> None:
        for chunk in self._chunks(path):
            for item in chunk:
                if isinstance(item, RowError):
                    self.error_count += 1
                    if len(self.errors) < settings.IMPORT_MAX_REPORTED_ERRORS:
                        self.errors.append({"row": item.row, "error": item.error})
                elif self.writer.add(item):
                    self._announce_written()
            self._save_progress()
        self.writer.flush()
        self._announce_written()

    def _chunks(self, path: str) -> Iterator[list]:
        """Row files are read and converted in a thread, a batch or two ahead of the writes
        (platform_core.imports.pipeline). Archives store each member's media as they read it:
        one at a time, in this thread, so a failed import knows every file it stored."""
        if PurePosixPath(self.job.source_name).suffix.lower() == ".zip":
            return ([item] for item in self._items(path))
        # A whole batch read ahead (~12 MB for text rows): with two chunks, the writer waited
        # for the reader after each batch, the database idle, ~9% of the import's time.
        depth = -(-self.writer.batch_size // READ_CHUNK)
        return read_ahead(chunked(self._items(path), READ_CHUNK), depth=depth)

    def _announce_written(self) -> None:
        """Apps built on the platform finish the tasks written since the last batch (their queue
        priority). Only this job writes its dataset and ids grow, so the highest id seen is the
        cursor; a rerun starts at 0 and also covers what its dead predecessor wrote."""
        new = Task.objects.filter(dataset_id=self.job.dataset_id, pk__gt=self.announced_upto)
        upto = new.aggregate(upto=Max("pk"))["upto"]
        if upto is not None:
            tasks_imported(project=self.job.project, tasks=new.filter(pk__lte=upto))
            self.announced_upto = upto

    def _items(self, path: str) -> Iterator:
        suffix = PurePosixPath(self.job.source_name).suffix.lower()
        if suffix == ".zip":
            source = ArchiveSource(path, self.job.project)
            self.position = lambda: source.position
            try:
                yield from source.items()
            finally:
                source.close()
            return
        converter = RowConverter(self.job.project)
        # The COPY text is made here, in the reading thread, so that the writing one only
        # joins it (platform_core.imports.copy_lines).
        make_line = copy_line if connection.vendor == "postgresql" else None
        with open(path, "rb") as stream:
            self.position = stream.tell
            if suffix == ".csv":
                rows = read_csv(stream)
            elif suffix == ".json" and sniff_json_container(stream) == "array":
                rows = read_json_array(stream)
            else:
                rows = read_json_lines(stream)
            for item in rows:
                if isinstance(item, RowError):
                    yield item
                    continue
                converted = converter.convert(*item)
                record = converted[-1]
                if make_line is not None and isinstance(record, TaskRecord):
                    record.copy_line = make_line(record)
                yield from converted

    def _counts(self) -> dict:
        return {
            "total": self.writer.imported + self.writer.duplicates + self.error_count + len(self.writer.pending),
            "imported": self.writer.imported,
            "duplicates": self.writer.duplicates,
            "error_count": self.error_count,
        }

    def _file_position(self) -> int:
        """How far the reader is; it may have finished and closed the file a moment ago."""
        try:
            return self.position()
        except (ValueError, OSError):  # tell() on the closed file, or on one closing meanwhile
            return self.job.file_size

    def _save_progress(self) -> None:
        now = time.monotonic()
        if now - self.last_saved < PROGRESS_INTERVAL_S:
            return
        self.last_saved = now
        fields = {**self._counts(), "errors": self.errors, "file_position": self._file_position()}
        ImportJob.objects.filter(pk=self.job.pk).update(**fields)
        if self.on_progress:
            for name, value in fields.items():
                setattr(self.job, name, value)
            self.on_progress(self.job)

    def fail(self, message: str) -> None:
        """A file that cannot be read as a whole keeps nothing, not even its first batches,
        except the tasks people have already worked on (annotated, skipped, holding a lock):
        the batches committed so far were in the queue."""
        kept = _discard_written(self.job, pending=self.writer.pending)
        self.writer.pending = []
        if kept:
            message += f" {kept} of its tasks were kept: people had already worked on them."
        self.finish(ImportStatus.FAILED, message=message, keep_counts=False, imported=kept)

    def finish(self, status: str, message: str = "", keep_counts: bool = True, imported: int = 0) -> None:
        job = self.job
        counts = (
            self._counts()
            if keep_counts
            else {"total": imported, "imported": imported, "duplicates": 0, "error_count": 0}
        )
        for name, value in counts.items():
            setattr(job, name, value)
        job.errors = self.errors if keep_counts else []
        job.status, job.message = status, message
        job.file_position = job.file_size
        job.finished_at = timezone.now()
        upload, job.file = job.file.name, ""
        job.save()
        # The upload was only ever the job's input: kept, it would fill the disk import by import.
        if upload:
            default_storage.delete(upload)
        if job.dataset_id:
            Dataset.objects.filter(pk=job.dataset_id).update(
                task_count=job.imported, duplicate_count=job.duplicates
            )
        if self.on_progress:
            self.on_progress(job)


def _discard_written(job: ImportJob, pending) -> int:
    """Delete the job's tasks and stored media, but not tasks people worked on; returns how
    many of those were kept. Media stored for records that never reached the database goes
    too (content-addressed: a name no task refers to is nobody's)."""
    written = Task.objects.filter(project=job.project, dataset=job.dataset)
    untouched = tasks_without_work(
        written.filter(annotation_count=0, locked_by__isnull=True, status__in=UNTOUCHED_STATUSES)
    )
    media = list(untouched.exclude(media="").values_list("media", flat=True).iterator())
    untouched.delete()
    media += [record.media for record in pending if record.media]
    referenced = set(
        Task.objects.filter(project=job.project, media__in=media).values_list("media", flat=True)
    )
    for name in set(media) - referenced:
        default_storage.delete(name)
    return written.count()


def _project_deleting(project_id: int) -> bool:
    return not Project.objects.filter(pk=project_id, deleting=False).exists()


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while rows stream through: every row makes a few
    new containers (its dict, its record), so the collector ran every few hundred rows and
    traversed the whole process (Django's objects, the batch waiting) again and again: ~35% of
    the reading thread's time, measured at 10^5 rows. The rows form no cycles, so reference
    counting frees them all the same; what cycles the job's queries leave wait for the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _local_path(job: ImportJob):
    """A path on local disk: zip archives need seeking, which remote storage may not offer."""
    try:
        local = default_storage.path(job.file.name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=PurePosixPath(job.file.name).suffix) as temp:
        with default_storage.open(job.file.name, "rb") as source:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                temp.write(chunk)
        temp.flush()
        yield temp.name
