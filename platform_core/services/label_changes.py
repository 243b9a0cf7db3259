"""A project's labels changed against the results already stored.

Adding labels or changing their colours, hotkeys, descriptions or order touches no result. A
label that stored results use may not simply disappear: the change is refused with the counts
of what uses it (`LabelsInUse`), or made as an explicit rename, whose stored values a job
rewrites (`label_rename_run` on the worker).
"""
import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from platform_core.jobs import (
    ProjectDeleting,
    job_begin,
    job_heartbeat,
    project_hold_unless_deleting,
    send_quietly,
)
from platform_core.label_config import label_values
from platform_core.label_usage import label_usage, labels_rename_batches
from platform_core.models import LabelRenameJob, Project
from platform_core.models.jobs import JobStatus

logger = logging.getLogger(__name__)


class LabelsInUse(ValidationError):
    """Labels removed from the config that stored results use; `usage` is
    {value: {store: rows}} (platform_core.label_usage.label_usage)."""

    def __init__(self, usage: dict[str, dict[str, int]]):
        self.usage = usage
        names = ", ".join(sorted(usage))
        super().__init__(
            {
                "label_config": (
                    f"Stored results use the labels you removed ({names}). Keep them, or rename "
                    "them to a new label: the rename rewrites the stored results."
                )
            }
        )


def label_changes_check(
    *, project: Project, old_config: dict, new_config: dict, renames: dict[str, str]
) -> None:
    """ValidationError unless `renames` ({old: new}) is a rename `new_config` makes, and every
    label that disappears without one is unused (LabelsInUse with the counts otherwise).

    A rename's target must be a new label: renaming onto an existing one would merge two
    labels, and a chain or a swap (a→b, b→a) would make the rewrite depend on its order,
    so a rerun of the job could undo it.
    """
    old_values = set(label_values(old_config))
    new_values = set(label_values(new_config))
    for old, new in renames.items():
        if old not in old_values:
            raise ValidationError({"label_renames": f"{old!r} is not one of the project's labels."})
        if old in new_values:
            raise ValidationError({"label_renames": f"{old!r} is renamed but still in the labels."})
        if new not in new_values:
            raise ValidationError({"label_renames": f"{new!r} must be one of the new labels."})
        if new in old_values:
            raise ValidationError(
                {"label_renames": f"{new!r} is already a label: a rename needs a new name."}
            )
    removed = old_values - new_values - renames.keys()
    usage = label_usage(project=project, values=removed)
    if usage:
        raise LabelsInUse(usage)


def label_rename_job_create(*, project: Project, user, renames: dict[str, str]) -> LabelRenameJob:
    """Queue the rewrite of the project's stored results; sent once the caller's transaction
    (the one that saved the new config) commits."""
    job = LabelRenameJob.objects.create(project=project, created_by=user, renames=renames)
    transaction.on_commit(partial(label_rename_job_send, job))
    return job


def label_rename_job_send(job: LabelRenameJob) -> bool:
    from platform_core.tasks import label_rename_run_task  # tasks import the services

    return send_quietly(label_rename_run_task, job.pk)


def label_rename_run(*, job_id: int) -> LabelRenameJob | None:
    """Rewrite the stored results, one batch per transaction. A finished job is left as it is;
    a rerun after a dead worker finds the rows already rewritten unchanged (the rename is
    idempotent: label_changes_check refuses chains and swaps)."""
    job = job_begin(LabelRenameJob.objects.all(), job_id)
    if job is None:
        return None
    try:
        with job_heartbeat(job):
            steps = labels_rename_batches(project=job.project, renames=job.renames)
            while True:
                with transaction.atomic():
                    project_hold_unless_deleting(job.project_id)
                    rewritten = next(steps, None)
                    if rewritten is None:
                        break
                    job.rewritten += rewritten
                    LabelRenameJob.objects.filter(pk=job.pk).update(rewritten=job.rewritten)
    except ProjectDeleting:
        return job  # the purge removes the job with the project
    except Exception:
        logger.exception("Label rename %s failed", job.pk)
        _finish(job, JobStatus.FAILED, "The rename failed on an internal error; see the worker log.")
        raise
    _finish(job, JobStatus.SUCCEEDED, "")
    return job


def _finish(job: LabelRenameJob, status: str, message: str) -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "rewritten"])
