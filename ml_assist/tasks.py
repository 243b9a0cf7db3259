"""Celery tasks of ml_assist: thin, named, taking ids; the work is in ml_assist.services.

Idempotent first, then acks_late: a job is a row with a status and what it writes has a unique
constraint (one prediction per task and model version), so a message redelivered after its
worker died (reject_on_worker_lost) finishes the job without writing anything twice.
"""
from celery import shared_task
from django.conf import settings

from ml_assist.priority import priorities_reset
from ml_assist.services.prelabel import model_prelabel
from ml_assist.services.retrain import retrain_if_due
from ml_assist.services.thresholds import suggestions_route, threshold_review
from ml_assist.services.training import model_train
from platform_core.models import Project

PRELABEL_TIME_LIMIT_S = settings.JOB_TIME_LIMIT_S
TRAIN_TIME_LIMIT_S = 2 * 3600
# seed_demo's imports of 300 media items take seconds; give up on them after 30 minutes.
DEMO_IMPORT_POLL_S = 5
DEMO_IMPORT_POLLS = 360


@shared_task(
    name="ml.prelabel",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=PRELABEL_TIME_LIMIT_S,
    soft_time_limit=PRELABEL_TIME_LIMIT_S - 60,
)
def prelabel_task(job_id: int) -> None:
    model_prelabel(job_id=job_id)


@shared_task(
    name="ml.train",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=TRAIN_TIME_LIMIT_S,
    soft_time_limit=TRAIN_TIME_LIMIT_S - 60,
)
def train_task(job_id: int) -> None:
    model_train(job_id=job_id)


# Deriving priorities from the order is idempotent: a redelivered message writes the same values.
@shared_task(
    name="ml.priorities_reset",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=PRELABEL_TIME_LIMIT_S,
    soft_time_limit=PRELABEL_TIME_LIMIT_S - 60,
)
def priorities_reset_task(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id).first()
    if project is not None:  # deleted since
        priorities_reset(project=project)


# Idempotent: with nothing new reviewed, a second run finds the threshold where the first left it.
# Raises on failing spot-checks, else lowers on a certified exploration band.
@shared_task(name="ml.threshold_adjust", acks_late=True, time_limit=600, soft_time_limit=540)
def threshold_adjust_task(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id, deleting=False).first()
    if project is not None:
        threshold_review(project=project)


# Idempotent: a task is routed at most once (RoutingDecision is one per task).
@shared_task(name="ml.route_suggestions", acks_late=True, reject_on_worker_lost=True,
             time_limit=PRELABEL_TIME_LIMIT_S, soft_time_limit=PRELABEL_TIME_LIMIT_S - 60)
def route_suggestions_task(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id, deleting=False).first()
    if project is not None:
        suggestions_route(project=project)


# Losing one check is harmless (the next accepted label repeats it), so no redelivery.
@shared_task(name="ml.retrain_check", acks_late=False, time_limit=300, soft_time_limit=240)
def retrain_check_task(project_id: int) -> None:
    retrain_if_due(project_id=project_id)


@shared_task(
    bind=True,
    name="ml.bootstrap_demo",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=DEMO_IMPORT_POLLS,
    time_limit=1800,
    soft_time_limit=1740,
)
def bootstrap_demo_task(self, project_id: int, seed: int = 0) -> str:
    """Waits (by retrying, not by sleeping in a worker slot) for the demo project's imports,
    then records its demo labels and queues training -> pre-labeling."""
    # Imported here: the demo generators import numpy, and the web process imports this module
    # to send the other tasks.
    from ml_assist.services.demo import demo_bootstrap, demo_imports_state

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return f"project {project_id} is gone"
    state = demo_imports_state(project=project)
    if state == "pending":
        raise self.retry(countdown=DEMO_IMPORT_POLL_S)
    if state == "none":
        return f"{project.name}: no finished import; nothing to label"
    return demo_bootstrap(project=project, seed=seed)
