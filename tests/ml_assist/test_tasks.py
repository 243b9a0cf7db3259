"""The Celery tasks: named, acknowledged late, redelivered when their worker dies; thin."""
import pytest
from celery.exceptions import Retry

from ml_assist import tasks
from ml_assist.models import MlJobKind
from ml_assist.services import ml_job_create
from platform_core.models import ImportJob, ImportStatus
from tests.platform_core.factories import ImportJobFactory


@pytest.mark.parametrize(
    "task, name", [(tasks.prelabel_task, "ml.prelabel"), (tasks.train_task, "ml.train")]
)
def test_job_tasks_are_named_acknowledged_late_and_bounded_in_time(task, name):
    assert task.name == name
    assert task.acks_late and task.reject_on_worker_lost
    assert 0 < task.soft_time_limit < task.time_limit


def test_a_job_is_sent_to_the_worker_only_once_its_row_is_committed(
    text_project, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.prelabel_task, "apply_async", lambda args, **options: sent.append(args[0]))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = ml_job_create(project=text_project, kind=MlJobKind.PRELABEL)
        assert sent == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [job.id]


def test_the_demo_bootstrap_waits_for_the_project_imports(text_project):
    ImportJobFactory(project=text_project, status=ImportStatus.RUNNING)

    with pytest.raises(Retry):
        tasks.bootstrap_demo_task.run(text_project.id)

    ImportJob.objects.update(status=ImportStatus.FAILED)
    assert "no finished import" in tasks.bootstrap_demo_task.run(text_project.id)
