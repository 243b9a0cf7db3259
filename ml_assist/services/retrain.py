"""Retraining by itself: after every ML_RETRAIN_EVERY newly accepted labels, one training job.

Called from the post_save signal on annotator.Annotation (ml_assist.signals), after the
annotation's transaction commits, so a submit never waits on the count below and never fails
because of it. At most one training job per project is queued or running (the conditional
unique constraint on MlJob); a count reached while one runs is picked up by the next label.
"""
import logging

from django.conf import settings
from django.db import transaction

from ml_assist.models import MlJobKind
from ml_assist.selectors import accepted_label_count, last_training_job
from ml_assist.services.jobs import TrainingAlreadyRunning, ml_job_create, open_training_job
from platform_core.models import Project

logger = logging.getLogger(__name__)


def labels_since_last_training(*, project: Project) -> tuple[int, int]:
    """(accepted labels now, how many of them are new since the last training job began)."""
    count = accepted_label_count(project=project)
    last = last_training_job(project=project)
    seen = int(last.params.get("labels", 0)) if last is not None else 0
    return count, count - seen


def retrain_if_due(*, project_id: int) -> bool:
    """Queue a training job when ML_RETRAIN_EVERY labels were accepted since the last one;
    True when one was queued. Its pass then pre-labels again if the new version wins."""
    every = settings.ML_RETRAIN_EVERY
    if every <= 0:
        return False
    project = Project.objects.filter(pk=project_id).first()
    if project is None or open_training_job(project=project) is not None:
        return False
    count, new = labels_since_last_training(project=project)
    if new < every:
        return False
    try:
        with transaction.atomic():
            ml_job_create(
                project=project,
                kind=MlJobKind.TRAIN,
                params={"labels": count, "trigger": "auto", "prelabel_after": True},
            )
    except TrainingAlreadyRunning:
        return False  # another process got there first
    logger.info("Project %s: %s new accepted labels; training queued", project_id, new)
    return True
