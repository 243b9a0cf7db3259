"""Hooks on other apps' models and signals, connected in MlAssistConfig.ready().

annotator calls nothing of ours and platform_core does not know we exist. A project whose
queue order changed gets its priorities re-derived on the worker (ml.priorities_reset); tasks an
import writes are written with theirs (ml_assist.priority.new_task_priority) and, under
`uncertainty` with a model to ask, get a pre-labeling pass that replaces them with the model's
uncertainty. A saved annotation that counts as an accepted label schedules `ml.retrain_check`
once its transaction commits, and the worker decides whether ML_RETRAIN_EVERY new labels call
for a training job.
The count runs on the worker so that a submit stays one short transaction.

One check per project per ML_RETRAIN_CHECK_DELAY_S and web process, not one per label: at a
hundred submits a second, a message and a count per label would cost the web server a
millisecond per submit and the database a count of the project's labels per submit. The check
is queued with that delay as its countdown, so it runs after every label of its window has
committed and counts them all.
"""
import logging
import time
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save, pre_save

from annotator.models import Annotation, AnnotationStatus
from annotator.signals import machine_label_reviewed
from ml_assist.routing import routing_review_record
from ml_assist.routing_models import (
    RoutingDecision,
    RoutingVerdict,
    ThresholdEvent,
    ThresholdEventKind,
    ThresholdEvidence,
)
from platform_core.jobs import send_quietly
from platform_core.models import Project
from platform_core.models.projects import QueueOrder
from platform_core.signals import queue_order_changed

logger = logging.getLogger(__name__)

COUNTED = (AnnotationStatus.SUBMITTED, AnnotationStatus.ACCEPTED)

# project id → monotonic time until which a check already queued by this process will count
# new labels. Bounded by the number of projects; a race between threads queues one check too
# many, which is harmless (the check is idempotent).
_check_queued_until: dict[int, float] = {}


def annotation_saved(sender, instance: Annotation, created: bool, raw: bool = False, **kwargs):
    if raw or instance.status not in COUNTED:
        return
    transaction.on_commit(partial(schedule_retrain_check, instance.task.project_id))


def schedule_retrain_check(project_id: int) -> None:
    """Queue a retrain check for the project unless one queued earlier still runs after now."""
    from ml_assist.tasks import retrain_check_task

    delay = settings.ML_RETRAIN_CHECK_DELAY_S
    now = time.monotonic()
    if delay > 0 and _check_queued_until.get(project_id, 0.0) > now:
        return
    # Set first: while the broker is down, one failed send per window, not one per label.
    _check_queued_until[project_id] = now + delay
    send_quietly(retrain_check_task, project_id, countdown=delay or None)


def queue_order_was_changed(sender, project, **kwargs) -> None:
    """Sent after commit (platform_core.services.projects): re-derive priorities on the worker,
    as a million-task project takes a while."""
    from ml_assist.tasks import priorities_reset_task

    send_quietly(priorities_reset_task, project.pk)


def tasks_were_imported(*, project, tasks) -> None:
    """Called by the import runner after each committed batch (platform_core.extensions); the
    batch's tasks already hold their priority."""
    from ml_assist.models import MlJob, MlJobKind, MlJobStatus
    from ml_assist.selectors import active_version
    from ml_assist.services.jobs import ml_job_create

    if project.queue_order != QueueOrder.UNCERTAINTY:
        return
    if active_version(project=project) is None and not project.model_server_url:
        return  # nothing to ask yet: the first training's pass will judge them
    # A queued pass scans every open task when it starts, so it covers this batch too; one
    # already running may have scanned past it, so only a queued one is enough.
    queued = MlJob.objects.filter(
        project=project, kind=MlJobKind.PRELABEL, status=MlJobStatus.QUEUED
    ).exclude(params__has_key="task_ids")
    if not queued.exists():
        ml_job_create(project=project, kind=MlJobKind.PRELABEL,
                      params={"trigger": "tasks imported under uncertainty order"})


def spot_check_reviewed(sender, review, correct: bool, **kwargs) -> None:
    """A reviewer judged an auto-accepted label: record it as routing's evidence (in the
    verdict's transaction), then let the worker see whether the threshold must move, and
    count the task's new accepted label towards retraining."""
    decision = RoutingDecision.objects.select_for_update().filter(task_id=review.task_id).first()
    if decision is None:  # routed before decisions were kept, or returned to the queue since
        return
    verdict = RoutingVerdict.CORRECT if correct else RoutingVerdict.INCORRECT
    routing_review_record(decision=decision, verdict=verdict, reviewer=review.reviewer)
    project_id = review.task.project_id
    transaction.on_commit(partial(schedule_threshold_adjust, project_id))
    transaction.on_commit(partial(schedule_retrain_check, project_id))


def schedule_threshold_adjust(project_id: int) -> None:
    from ml_assist.tasks import threshold_adjust_task

    send_quietly(threshold_adjust_task, project_id)


def project_threshold_saving(sender, instance: Project, raw: bool = False, update_fields=None,
                             **kwargs) -> None:
    """Before a project's threshold is saved by hand (the settings API, the admin): note the
    old value, so that the timeline shows the change. Routing's own moves are UPDATEs that log
    themselves with their evidence."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and "auto_accept_threshold" not in update_fields:
        return
    old = Project.objects.filter(pk=instance.pk).values_list("auto_accept_threshold", flat=True).first()
    if old != instance.auto_accept_threshold:
        instance._threshold_was = old


def project_threshold_saved(sender, instance: Project, created: bool, raw: bool = False,
                            **kwargs) -> None:
    if raw or created or not hasattr(instance, "_threshold_was"):
        return
    old = instance.__dict__.pop("_threshold_was")
    ThresholdEvent.objects.create(
        project=instance, kind=ThresholdEventKind.SET, evidence=ThresholdEvidence.NONE,
        old_threshold=old, new_threshold=instance.auto_accept_threshold,
        target_precision=instance.target_precision, note="set in the project's settings",
    )


def connect() -> None:
    post_save.connect(
        annotation_saved, sender=Annotation, dispatch_uid="ml_assist.annotation_saved"
    )
    machine_label_reviewed.connect(spot_check_reviewed, dispatch_uid="ml_assist.spot_check")
    queue_order_changed.connect(queue_order_was_changed, dispatch_uid="ml_assist.queue_order")
    pre_save.connect(project_threshold_saving, sender=Project, dispatch_uid="ml_assist.threshold_saving")
    post_save.connect(project_threshold_saved, sender=Project, dispatch_uid="ml_assist.threshold_saved")
