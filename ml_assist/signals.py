"""Hooks on other apps' models, connected in MlAssistConfig.ready().

annotator calls nothing of ours and platform_core does not know we exist: a saved annotation
that counts as an accepted label queues `ml.retrain_check` once its transaction commits, and
the worker decides whether ML_RETRAIN_EVERY new labels call for a training job. The count
runs on the worker so that a submit stays one short transaction.
"""
from functools import partial

from django.db import transaction
from django.db.models.signals import post_save

from annotator.models import Annotation, AnnotationStatus

COUNTED = (AnnotationStatus.SUBMITTED, AnnotationStatus.ACCEPTED)


def annotation_saved(sender, instance: Annotation, created: bool, raw: bool = False, **kwargs):
    if raw or instance.status not in COUNTED:
        return
    from ml_assist.tasks import retrain_check_task

    project_id = instance.task.project_id
    transaction.on_commit(partial(retrain_check_task.delay, project_id))


def connect() -> None:
    post_save.connect(annotation_saved, sender=Annotation, dispatch_uid="ml_assist.annotation_saved")
