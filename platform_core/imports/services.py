"""Dataset imports: the web process stores the upload and queues a job; the worker runs it."""
import json
import logging
from functools import partial
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction

from platform_core.jobs import send_quietly
from platform_core.models import Dataset, ImportJob, Project

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".zip")


def import_job_create(
    *,
    project: Project,
    user,
    upload: File | None = None,
    tasks: list | None = None,
    dataset_name: str = "",
    enqueue: bool = True,
) -> ImportJob:
    """Store `upload` (or the inline `tasks` list) and queue its import after commit.

    `enqueue=False` leaves the job for the caller to run in-process (the import command).

    Only checks what can be checked without reading the file (name, size); the worker reports
    everything else on the job.
    """
    if (upload is None) == (tasks is None):
        raise ValidationError({"file": "Send either a file or a list of tasks."})
    if upload is not None:
        source_name = PurePosixPath(upload.name or "upload").name[:200] or "upload"
        if not source_name.lower().endswith(SUPPORTED_SUFFIXES):
            raise ValidationError(
                {"file": f"Unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}."}
            )
        stored = upload
    else:
        if not isinstance(tasks, list):
            raise ValidationError({"tasks": "Must be a list of task objects."})
        source_name = "api.jsonl"
        stored = ContentFile(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in tasks).encode()
        )
    size = stored.size
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": f"File is {size} bytes; the limit is {settings.IMPORT_MAX_UPLOAD_BYTES}."}
        )
    if size == 0:
        raise ValidationError({"file": "The file is empty."})

    with transaction.atomic():
        dataset = Dataset.objects.create(
            project=project, name=(dataset_name or source_name)[:255], source=source_name
        )
        job = ImportJob(
            project=project,
            dataset=dataset,
            created_by=user,
            source_name=source_name,
            file_size=size,
        )
        job.file.save(source_name, stored, save=False)
        job.full_clean()
        job.save()
        if enqueue:
            transaction.on_commit(partial(_enqueue_import, job.id))
    return job


def _enqueue_import(job_id: int) -> None:
    from platform_core.tasks import import_run_task  # tasks import this module

    send_quietly(import_run_task, job_id)  # lost, the sweeper sends it again
