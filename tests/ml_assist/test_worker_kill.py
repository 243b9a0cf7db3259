"""End to end through Redis: a worker SIGKILLed in the middle of a pre-labeling job, and a new
worker whose sweeper sends the job again once its heartbeat went quiet, and which finishes it,
writing no prediction twice and missing none."""
import os
import signal

import pytest
from django.db.models import Count

from ml_assist.models import MlJob, MlJobKind, MlJobStatus
from ml_assist.services import ml_job_create, model_train
from platform_core.demo import make_text_classification
from platform_core.models import Prediction
from tests.ml_assist.conftest import accept, load_tasks
from tests.workers import wait_until, worker_log

pytestmark = [pytest.mark.worker, pytest.mark.servers]

OPEN_TASKS = 6000
# Ten tasks a batch: ~600 committed batches, so the kill lands with some done and most not.
BATCH_SIZE = 10
STALE_AFTER_S = 2
JOB_TIMEOUT_S = 180


@pytest.fixture
def trained_project(ml_worker_env, text_project):
    items = make_text_classification(OPEN_TASKS + 200, 5)
    ids = load_tasks(text_project, [item.data for item in items])
    accept(ids[:200], [item.result for item in items[:200]])
    train = ml_job_create(project=text_project, kind=MlJobKind.TRAIN, enqueue=False)
    model_train(job_id=train.pk)
    return text_project, ids[200:]


def test_a_worker_killed_mid_prelabel_and_a_new_one_complete_the_job_exactly_once(
    trained_project, ml_worker_env, start_worker, ml_send, ml_queue, tmp_path
):
    project, open_ids = trained_project
    job = ml_job_create(
        project=project, kind=MlJobKind.PRELABEL, params={"batch_size": BATCH_SIZE}, enqueue=False
    )
    # Redis would hand the unacknowledged message back only after its visibility timeout
    # (hours); the sweeper, on the second worker's beat, sends the job again once its heartbeat
    # has been quiet for JOB_HEARTBEAT_STALE_S.
    env = ml_worker_env(
        JOB_HEARTBEAT_S="0.5",
        JOB_HEARTBEAT_STALE_S=str(STALE_AFTER_S),
        JOB_SWEEP_INTERVAL_S="1",
        CELERY_QUEUE=ml_queue,
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat-schedule"),
    )
    first = start_worker(env, name="ml-worker-1", queue=ml_queue)

    message = ml_send("ml.prelabel", job.id)

    def some_done():
        job.refresh_from_db()
        return job.done > 0

    wait_until(some_done, timeout_s=60, interval_s=0.05, process=first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    job.refresh_from_db()
    written_before = Prediction.objects.filter(task__project=project).count()
    assert job.status == MlJobStatus.RUNNING
    assert 0 < job.done < job.total == OPEN_TASKS
    assert 0 < written_before < OPEN_TASKS
    assert f"Task ml.prelabel[{message.id}] succeeded" not in worker_log(first)

    second = start_worker(env, name="ml-worker-2", queue=ml_queue, args=("-B",))

    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout_s=JOB_TIMEOUT_S, process=second)
    assert job.status == MlJobStatus.SUCCEEDED, job.message
    assert "its worker stopped (no heartbeat); sent again" in worker_log(second)
    assert job.attempts == 2
    predictions = Prediction.objects.filter(task__project=project)
    assert predictions.count() == OPEN_TASKS
    assert not predictions.values("task").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(predictions.values_list("task_id", flat=True)) == set(open_ids)
    assert job.total == job.done == OPEN_TASKS
    assert MlJob.objects.filter(project=project, kind=MlJobKind.PRELABEL).count() == 1
