"""Every write of ml_assist: plain functions the Celery tasks, views and tests call."""
from ml_assist.services.examples import Examples, split_examples, task_items, training_examples
from ml_assist.services.jobs import TrainingAlreadyRunning, ml_job_create
from ml_assist.services.prelabel import model_prelabel
from ml_assist.services.retrain import retrain_if_due
from ml_assist.services.training import model_train

__all__ = [
    "Examples",
    "TrainingAlreadyRunning",
    "ml_job_create",
    "model_prelabel",
    "model_train",
    "retrain_if_due",
    "split_examples",
    "task_items",
    "training_examples",
]
