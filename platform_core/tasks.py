"""Celery tasks of the platform: thin, named, taking ids; the work is in services."""
from celery import shared_task
from django.conf import settings

from platform_core.imports.runner import import_run
from platform_core.jobs import jobs_sweep
from platform_core.services.exports import export_run
from platform_core.services.label_changes import label_rename_run
from platform_core.services.projects import project_purge

LIMITS = {"time_limit": settings.JOB_TIME_LIMIT_S, "soft_time_limit": settings.JOB_TIME_LIMIT_S - 60}


# acks_late + reject_on_worker_lost (settings) redeliver a job whose worker died; the unique
# (project, checksum) constraint makes the rerun skip what the first run already wrote.
@shared_task(name="platform.import_run", **LIMITS)
def import_run_task(job_id: int) -> None:
    import_run(job_id=job_id)


# A rerun writes the whole file again; a finished job is left as it is.
@shared_task(name="platform.export_run", **LIMITS)
def export_run_task(job_id: int) -> None:
    export_run(job_id=job_id)


# Resumable: each batch of tasks is its own transaction, so a rerun deletes what is left.
@shared_task(name="platform.project_purge", **LIMITS)
def project_purge_task(project_id: int) -> None:
    project_purge(project_id=project_id)


# Beat sends one every JOB_SWEEP_INTERVAL_S; a lost one is replaced by the next.
@shared_task(name="platform.jobs_sweep", acks_late=False, time_limit=300, soft_time_limit=240)
def jobs_sweep_task() -> dict:
    return jobs_sweep()


# Idempotent (a rerun finds the renamed rows unchanged); each batch is its own transaction.
@shared_task(name="platform.label_rename_run", **LIMITS)
def label_rename_run_task(job_id: int) -> None:
    label_rename_run(job_id=job_id)
