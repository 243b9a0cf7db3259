"""Exports written by the worker: the same chunks the streaming API sends
(platform_core.exports.project_export), saved into storage with their size and sha256, for a
very large export or a delivery that must be kept."""
import dataclasses
import hashlib
import logging
import tempfile
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from platform_core.exports import ExportOptions, project_export
from platform_core.jobs import job_begin, job_heartbeat, send_quietly
from platform_core.models import ExportJob, ExportPurpose, Project
from platform_core.models.jobs import JobStatus

logger = logging.getLogger(__name__)

CHUNK_COPY = 1024 * 1024


def export_job_create(
    *, project: Project, user, options: ExportOptions, purpose: str = ExportPurpose.DOWNLOAD,
    enqueue: bool = True,
) -> ExportJob:
    """A queued export of `project` with `options`, sent to the worker once committed.

    ValidationError (before anything is queued) when the format does not suit the project or
    the dataset is not its own: the same checks as the streamed export.
    """
    project_export(project=project, options=options)  # validates; reads nothing until iterated
    stored = dataclasses.asdict(options)
    stored.pop("format")
    job = ExportJob.objects.create(
        project=project,
        organization_id=project.organization_id,
        created_by=user,
        purpose=purpose,
        format=options.format,
        options=stored,
    )
    if enqueue:
        transaction.on_commit(partial(export_job_send, job))
    return job


def export_job_send(job: ExportJob) -> bool:
    from platform_core.tasks import export_run_task  # tasks import the services

    return send_quietly(export_run_task, job.pk)


def export_run(*, job_id: int) -> ExportJob | None:
    """Write the export into storage; a finished job is left as it is (a redelivery is a no-op),
    and a rerun writes the whole file again."""
    job = job_begin(ExportJob.objects.select_related("project"), job_id)
    if job is None:
        return None
    if job.project is None:
        _finish(job, JobStatus.FAILED, "The project was deleted before its export was written.")
        return job
    try:
        with job_heartbeat(job):
            _write(job)
    except ValidationError as exc:  # the options no longer fit, e.g. its dataset was deleted
        _finish(job, JobStatus.FAILED, f"The export cannot be written: {' '.join(exc.messages)}")
    except Exception:
        logger.exception("Export %s failed", job.pk)
        _finish(job, JobStatus.FAILED, "The export failed on an internal error; see the worker log.")
        raise
    return job


def _write(job: ExportJob) -> None:
    options = ExportOptions(format=job.format, **job.options)
    export = project_export(project=job.project, options=options)
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as temp:
        for chunk in export.chunks:
            digest.update(chunk)
            size += len(chunk)
            temp.write(chunk)
        temp.seek(0)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{export.filename}"
        job.file.save(name, File(temp), save=False)
    job.file_size, job.checksum = size, digest.hexdigest()
    _finish(job, JobStatus.SUCCEEDED, "")


def _finish(job: ExportJob, status: str, message: str) -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "file", "file_size", "checksum"])
