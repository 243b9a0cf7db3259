"""No job lost or stuck: the sweeper (platform_core.jobs) re-sends queued jobs whose message was
lost, takes up or fails running jobs whose worker died, and resumes stopped purges; a job that
keeps killing its worker fails after three attempts."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ml_assist.models import MlJob, MlJobKind, MlJobStatus
from ml_assist.services import TrainingAlreadyRunning, ml_job_create
from platform_core.imports.services import import_job_create
from platform_core.jobs import MAX_JOB_ATTEMPTS, job_begin, job_heartbeat, jobs_sweep
from platform_core.models import ImportJob, ImportStatus, Project, Task
from django.core.files.base import ContentFile

from tests.platform_core.importing import jsonl


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def lost_import(project, *, rows=3, **state) -> ImportJob:
    """An import whose message never reached a worker (the broker was down at the send)."""
    content = jsonl(*({"text": f"t{i}"} for i in range(rows))).encode()
    job = import_job_create(
        project=project, user=None, upload=ContentFile(content, name="a.jsonl"), enqueue=False
    )
    waited = {"created_at": ago(minutes=5), "sent_at": ago(minutes=5)}
    ImportJob.objects.filter(pk=job.pk).update(**{**waited, **state})
    return job


@pytest.fixture
def sent(monkeypatch):
    """The jobs the sweeper hands to the broker, recorded instead of run."""
    calls = []
    from platform_core import jobs

    monkeypatch.setattr(jobs, "_kinds", {model: calls.append for model in jobs._kinds})
    return calls


def test_a_queued_import_whose_message_was_lost_is_sent_again_and_runs(project):
    job = lost_import(project)
    assert jobs_sweep()["resent"] == 1  # eager in tests: the re-sent message ran here
    job.refresh_from_db()
    assert (job.status, job.imported, job.attempts) == (ImportStatus.SUCCEEDED, 3, 1)
    assert Task.objects.filter(project=project).count() == 3


def test_a_job_sent_a_minute_ago_is_left_to_its_message(project, sent):
    lost_import(project, sent_at=ago(seconds=20))
    assert jobs_sweep()["resent"] == 0
    assert sent == []


def test_re_sends_back_off_while_a_job_keeps_waiting(project, sent):
    """A job queued behind a long import is re-sent after 1, 2, 4… minutes of waiting, not on
    every sweep."""
    job = lost_import(project, created_at=ago(minutes=10), sent_at=ago(minutes=4))
    # Waited 6 minutes before its last send: the next one is due 6 minutes after it, not 4.
    assert jobs_sweep()["resent"] == 0
    ImportJob.objects.filter(pk=job.pk).update(sent_at=ago(minutes=7))
    assert jobs_sweep()["resent"] == 1
    assert [j.pk for j in sent] == [job.pk]
    assert jobs_sweep()["resent"] == 0  # just sent


def test_a_running_job_whose_worker_died_is_sent_again_and_finishes(project):
    job = lost_import(project, status=ImportStatus.RUNNING, attempts=1, heartbeat_at=ago(minutes=3))
    assert jobs_sweep()["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.imported) == (ImportStatus.SUCCEEDED, 2, 3)


def test_a_job_that_killed_its_worker_three_times_fails_with_a_clear_message(project, sent):
    job = lost_import(project, status=ImportStatus.RUNNING, attempts=MAX_JOB_ATTEMPTS, heartbeat_at=ago(minutes=3))
    assert jobs_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "stopped its worker 3 times" in job.message
    assert job.finished_at is not None
    assert sent == []


def test_a_message_for_a_job_out_of_attempts_fails_it_instead_of_running(project):
    job = lost_import(project, attempts=MAX_JOB_ATTEMPTS)
    assert job_begin(ImportJob.objects.all(), job.pk) is None
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "3 times" in job.message
    assert not Task.objects.filter(project=project).exists()


def test_a_duplicate_message_for_a_job_a_live_worker_runs_is_dropped(project):
    job = lost_import(project, status=ImportStatus.RUNNING, attempts=1, heartbeat_at=ago(seconds=5))
    assert job_begin(ImportJob.objects.all(), job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportStatus.RUNNING, 1)
    assert jobs_sweep() == {"resent": 0, "requeued": 0, "failed": 0, "purges_resumed": 0}


def test_each_start_counts_an_attempt(project):
    job = lost_import(project)
    started = job_begin(ImportJob.objects.all(), job.pk)
    assert (started.status, started.attempts) == (ImportStatus.RUNNING, 1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=ago(minutes=2))
    assert job_begin(ImportJob.objects.all(), job.pk).attempts == 2


def test_a_stuck_training_no_longer_blocks_training_after_the_sweep(project, sent):
    stuck = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    MlJob.objects.filter(pk=stuck.pk).update(
        status=MlJobStatus.RUNNING, attempts=MAX_JOB_ATTEMPTS, heartbeat_at=ago(minutes=10)
    )
    with pytest.raises(TrainingAlreadyRunning):
        ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    jobs_sweep()
    stuck.refresh_from_db()
    assert stuck.status == MlJobStatus.FAILED
    assert ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False).status == MlJobStatus.QUEUED


def test_a_lost_ml_job_is_sent_to_its_own_task(project, monkeypatch):
    job = ml_job_create(project=project, kind=MlJobKind.PRELABEL, enqueue=False)
    MlJob.objects.filter(pk=job.pk).update(created_at=ago(minutes=3), sent_at=ago(minutes=3))
    ran = []
    monkeypatch.setattr("ml_assist.tasks.model_prelabel", lambda job_id: ran.append(job_id))
    assert jobs_sweep()["resent"] == 1
    assert ran == [job.pk]


def test_a_purge_that_stopped_is_resumed(project):
    Task.objects.bulk_create(Task(project=project, data={"text": str(i)}, checksum=str(i)) for i in range(5))
    Project.objects.filter(pk=project.pk).update(deleting=True, updated_at=ago(minutes=5))
    assert jobs_sweep()["purges_resumed"] == 1
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Task.objects.filter(project_id=project.pk).exists()


def test_a_purge_under_way_is_left_alone(project, monkeypatch):
    Project.objects.filter(pk=project.pk).update(deleting=True, updated_at=ago(seconds=10))
    assert jobs_sweep()["purges_resumed"] == 0
    assert Project.objects.filter(pk=project.pk).exists()


def test_the_broker_being_down_leaves_the_job_for_the_next_sweep(project, monkeypatch):
    job = lost_import(project)
    from platform_core import jobs

    def broker_down(job):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs, "_kinds", {ImportJob: broker_down})
    jobs_sweep()
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_advances_while_a_long_step_runs(project, settings):
    settings.JOB_HEARTBEAT_S = 0.05
    job = lost_import(project)
    started = job_begin(ImportJob.objects.all(), job.pk)
    first = started.heartbeat_at
    with job_heartbeat(started):
        time.sleep(0.5)  # one long step (a model fit) with no progress write
    job.refresh_from_db()
    assert job.heartbeat_at > first + timedelta(seconds=0.2)


def test_the_sweep_runs_on_a_schedule(settings):
    from config.celery_app import app

    app.loader.import_default_modules()
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "platform.jobs_sweep"]
    assert entry["schedule"] <= 60
    assert "platform.jobs_sweep" in app.tasks
