"""End to end through Redis: a job queued on the broker is run by a separate worker process."""
import uuid
from datetime import timedelta

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from platform_core.imports.services import import_job_create
from platform_core.models import ImportJob, ImportStatus, Task
from tests.workers import redis_test_url, wait_until, worker_database_url, worker_log

# A Redis database kept for tests and a queue of the test's own: neither leftover messages nor
# another test run on the same server (several may share it) reach this worker.
REDIS_TEST_DB = 14
JOB_TIMEOUT_S = 60

pytestmark = [pytest.mark.worker, pytest.mark.servers]


@pytest.fixture
def broker_url():
    return redis_test_url(REDIS_TEST_DB)


@pytest.fixture
def queue(broker_url):
    name = f"test-import-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(broker_url)
    client.delete(name, f"_kombu.binding.{name}")
    client.close()


@pytest.fixture
def send(broker_url, queue):
    """send(task_name, *args) -> the message, published on the test's queue of the test Redis."""
    sender = Celery("worker-test-sender", broker=broker_url, set_as_current=False)
    yield lambda name, *args: sender.send_task(name, args=list(args), queue=queue)
    sender.close()


@pytest.fixture
def redis_worker(transactional_db, broker_url, queue, child_env, start_worker, settings):
    assert connection.vendor == "postgresql", "the worker test needs the PostgreSQL test database"
    env = child_env(
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=broker_url,
        # The job's file is stored by this process; the worker reads it from the same folder.
        MEDIA_ROOT=settings.MEDIA_ROOT,
        VAR_DIR=str(settings.MEDIA_ROOT) + "-var",
    )
    return start_worker(env, name="redis-worker", queue=queue)


def test_a_real_worker_runs_an_import_queued_through_redis(redis_worker, send, project, monkeypatch):
    # This process must not run the import itself: any call here fails the test.
    ran_here = []
    monkeypatch.setattr("platform_core.tasks.import_run", lambda **kw: ran_here.append(kw))
    monkeypatch.setattr("platform_core.imports.runner.import_run", lambda **kw: ran_here.append(kw))

    rows = [{"text": f"review number {i}"} for i in range(120)]
    # enqueue=False: the test settings would run `.delay` eagerly in this process; the message
    # is sent below through the worker's broker instead.
    job = import_job_create(project=project, user=None, tasks=rows, enqueue=False)

    message = send("platform.import_run", job.id)

    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout_s=JOB_TIMEOUT_S, process=redis_worker)
    assert job.status == ImportStatus.SUCCEEDED, job.message
    assert (job.total, job.imported, job.duplicates, job.error_count) == (120, 120, 0, 0)
    texts = set(Task.objects.filter(project=project).values_list("data__text", flat=True))
    assert texts == {row["text"] for row in rows}
    assert ran_here == []
    log = worker_log(redis_worker)
    assert f"Task platform.import_run[{message.id}] received" in log
    assert f"Task platform.import_run[{message.id}] succeeded" in log


def test_a_redelivered_message_for_a_finished_job_writes_nothing_more(redis_worker, send, project):
    job = import_job_create(
        project=project, user=None, tasks=[{"text": "one"}, {"text": "two"}], enqueue=False
    )
    first = send("platform.import_run", job.id)
    second = send("platform.import_run", job.id)

    wait_until(
        lambda: f"Task platform.import_run[{second.id}] succeeded" in worker_log(redis_worker),
        timeout_s=JOB_TIMEOUT_S,
        process=redis_worker,
    )
    assert f"Task platform.import_run[{first.id}] succeeded" in worker_log(redis_worker)
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.status, job.imported, job.duplicates) == (ImportStatus.SUCCEEDED, 2, 0)
    assert Task.objects.filter(project=project).count() == 2


def test_beat_in_the_worker_sweeps_up_an_import_whose_message_was_lost(
    transactional_db, broker_url, queue, child_env, start_worker, settings, project, tmp_path
):
    """What `make run` starts (worker -B): nobody sends the job; the sweeper finds it queued
    for over a minute and sends it, and the worker runs it."""
    job = import_job_create(project=project, user=None, tasks=[{"text": "kept"}], enqueue=False)
    lost_for = timezone.now() - timedelta(minutes=2)
    ImportJob.objects.filter(pk=job.pk).update(created_at=lost_for, sent_at=lost_for)
    env = child_env(
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=broker_url,
        CELERY_QUEUE=queue,  # beat sends the sweep, and the sweep the job, to this queue
        JOB_SWEEP_INTERVAL_S="1",
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat-schedule"),
        MEDIA_ROOT=settings.MEDIA_ROOT,
        VAR_DIR=str(tmp_path / "var"),
    )
    worker = start_worker(env, name="beat-worker", queue=queue, args=("-B",))

    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout_s=JOB_TIMEOUT_S, process=worker)
    assert (job.status, job.imported, job.attempts) == (ImportStatus.SUCCEEDED, 1, 1)
    assert "platform.jobs_sweep" in worker_log(worker)
