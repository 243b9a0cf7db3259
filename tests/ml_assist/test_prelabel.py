from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from ml_assist import estimators
from ml_assist.models import MlJob, MlJobKind, MlJobStatus, ModelVersion
from ml_assist.routing_models import RoutingDecision
from ml_assist.services import ml_job_create, model_prelabel, model_train
from ml_assist.services import prelabel as prelabel_module
from platform_core.demo import make_text_classification
from platform_core.models import Prediction, Task, TaskStatus
from platform_core.models.projects import QueueOrder
from tests.ml_assist.conftest import demo_project, load_tasks
from tests.platform_core.importing import run_import, wav_bytes, zip_bytes


def _run(kind, project, **params):
    job = ml_job_create(project=project, kind=kind, params=params, enqueue=False)
    (model_train if kind == MlJobKind.TRAIN else model_prelabel)(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def trained_project(labeled_text_project):
    project, unlabeled = labeled_text_project
    _run(MlJobKind.TRAIN, project)
    return project, unlabeled


def _predictions(project):
    return Prediction.objects.filter(task__project=project)


def test_prelabel_suggests_every_open_task_once_and_a_second_run_writes_nothing(trained_project):
    project, unlabeled = trained_project

    first = _run(MlJobKind.PRELABEL, project)
    count = _predictions(project).count()
    second = _run(MlJobKind.PRELABEL, project)

    assert first.status == second.status == MlJobStatus.SUCCEEDED
    assert count == len(unlabeled) == 100
    assert _predictions(project).count() == count
    duplicates = _predictions(project).values("task", "model_version").annotate(n=Count("id"))
    assert not duplicates.filter(n__gt=1).exists()
    assert set(_predictions(project).values_list("task_id", flat=True)) == set(unlabeled)
    assert set(_predictions(project).values_list("model_version", flat=True)) == {"builtin-v1"}
    assert (first.total, first.done) == (100, 100)
    assert (second.total, second.done) == (0, 0)
    assert "100 suggestions written" in first.message
    assert "0 suggestions written" in second.message
    # Open tasks only: the 200 accepted ones got nothing; new ones are now suggested.
    assert Task.objects.filter(pk__in=unlabeled, status=TaskStatus.SUGGESTED).count() == 100
    prediction = _predictions(project).first()
    assert set(prediction.result) == {"labels"} and 0.0 < prediction.confidence < 1.0


def test_suggestions_are_mostly_right_on_the_generated_reviews(trained_project):
    project, unlabeled = trained_project
    _run(MlJobKind.PRELABEL, project)

    truth = {tuple(sorted(item.data.items())): item.result for item in make_text_classification(300, 7)}
    right = sum(
        truth[tuple(sorted(p.task.data.items()))] == p.result
        for p in _predictions(project).select_related("task")
    )
    assert right >= 65  # of 100; three classes, chance ~33


def test_prelabel_of_named_tasks_touches_only_those(trained_project):
    project, unlabeled = trained_project

    job = _run(MlJobKind.PRELABEL, project, task_ids=unlabeled[:7])

    assert set(_predictions(project).values_list("task_id", flat=True)) == set(unlabeled[:7])
    assert (job.total, job.done) == (7, 7)


def test_a_pass_killed_mid_way_and_run_again_completes_without_duplicates(trained_project, monkeypatch):
    project, unlabeled = trained_project
    job = ml_job_create(project=project, kind=MlJobKind.PRELABEL, params={"batch_size": 10}, enqueue=False)
    real_write = prelabel_module._write_batch
    calls = []

    class WorkerKilled(BaseException):
        """Not an Exception: like SIGKILL, nothing in the service gets to mark the job failed."""

    def dying_write(*args):
        calls.append(1)
        if len(calls) == 4:
            raise WorkerKilled
        real_write(*args)

    monkeypatch.setattr(prelabel_module, "_write_batch", dying_write)
    with pytest.raises(WorkerKilled):
        model_prelabel(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == MlJobStatus.RUNNING
    assert (job.done, _predictions(project).count()) == (30, 30)

    monkeypatch.setattr(prelabel_module, "_write_batch", real_write)
    # Its heartbeat went quiet with the worker; then the message comes again.
    MlJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    model_prelabel(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == MlJobStatus.SUCCEEDED
    assert (job.total, job.done) == (100, 100)
    assert sorted(_predictions(project).values_list("task_id", flat=True)) == sorted(unlabeled)


def test_a_project_without_labels_gets_no_suggestion_and_a_reason(text_project):
    load_tasks(text_project, [item.data for item in make_text_classification(20, 2)])

    job = _run(MlJobKind.PRELABEL, text_project)

    assert job.status == MlJobStatus.SUCCEEDED
    assert "No model yet" in job.message
    assert not _predictions(text_project).exists()
    assert not ModelVersion.objects.filter(project=text_project).exists()
    assert not Task.objects.filter(project=text_project).exclude(status=TaskStatus.NEW).exists()


def test_transcription_is_segmented_without_any_label(org):
    pytest.importorskip("ml_assist.estimators.audio_transcription")
    project = demo_project(org, "audio_transcription")
    from platform_core.demo.audio import make_audio_transcription

    items = make_audio_transcription(3, 5)
    run_import(project, "talks.zip", zip_bytes({i.file_name: i.content for i in items}))

    job = _run(MlJobKind.PRELABEL, project)

    assert job.status == MlJobStatus.SUCCEEDED, job.message
    version = ModelVersion.objects.get(project=project)
    assert (version.trained_on, version.is_active) == (0, True)
    predictions = list(_predictions(project))
    assert len(predictions) == 3
    for prediction in predictions:
        segments = prediction.result["segments"]
        assert segments and all(0 <= s["start"] < s["end"] for s in segments)


class Listening(estimators.BasePredictor):
    """Says "tone" to whatever it hears, and remembers what it was given."""

    unsupervised = True
    seen: list = []

    def _predict(self, items):
        type(self).seen.extend(items)
        return [estimators.Prediction({"labels": ["tone"]}, 0.5, 0.5) for _ in items]


def test_undecodable_media_skips_its_task_not_the_pass(org, monkeypatch):
    project = demo_project(org, "audio_classification")
    run_import(project, "clips.zip", zip_bytes({f"c{i}.wav": wav_bytes(freq=300 + 40 * i) for i in range(4)}))
    broken = Task.objects.filter(project=project).order_by("id").first()
    from django.core.files.storage import default_storage

    with default_storage.open(broken.media.name, "wb") as handle:
        handle.write(b"not a wav")
    Listening.seen = []
    monkeypatch.setattr("ml_assist.services.training.make_predictor", lambda *a: Listening())

    job = _run(MlJobKind.PRELABEL, project)

    assert job.status == MlJobStatus.SUCCEEDED, job.message
    assert len(Listening.seen) == 3 and all(item.audio is not None for item in Listening.seen)
    assert _predictions(project).count() == 3
    assert "1 without one" in job.message


def test_uncertainty_order_sets_priority_from_the_model(trained_project):
    project, unlabeled = trained_project
    project.queue_order = QueueOrder.UNCERTAINTY
    project.save()

    _run(MlJobKind.PRELABEL, project)

    priorities = list(Task.objects.filter(pk__in=unlabeled).values_list("priority", flat=True))
    assert all(0.0 <= p <= 1.0 for p in priorities)
    assert len(set(priorities)) > 10


def test_confident_suggestions_are_auto_accepted_and_a_share_sampled_for_review(trained_project):
    project, unlabeled = trained_project
    project.auto_accept_threshold = 0.5
    project.review_sample_rate = 0.5
    project.suggestion_holdout_rate = 0.0
    project.save()

    job = _run(MlJobKind.PRELABEL, project)

    confident = set(_predictions(project).filter(confidence__gte=0.5).values_list("task_id", flat=True))
    auto = set(Task.objects.filter(status=TaskStatus.AUTO_ACCEPTED).values_list("id", flat=True))
    assert confident and auto == confident
    # Beside them, a share of the band just under the threshold went to review (exploration).
    decisions = RoutingDecision.objects.filter(task__project=project, exploration=False)
    assert decisions.count() == len(auto)
    assert decisions.filter(prediction__model_version="builtin-v1").count() == len(auto)
    assert f"{len(auto)} auto-accepted" in job.message


@pytest.mark.servers  # the pipelined pass is PostgreSQL's; SQLite runs batches one after another
def test_the_pipelined_pass_writes_right_suggestions_and_leaves_no_connection_open(
    transactional_db, trained_project
):
    from django.db import connection

    assert not connection.in_atomic_block
    project, unlabeled = trained_project

    job = _run(MlJobKind.PRELABEL, project, batch_size=7)  # several batches in flight

    assert (job.status, job.done) == (MlJobStatus.SUCCEEDED, 100)
    truth = {tuple(sorted(item.data.items())): item.result for item in make_text_classification(300, 7)}
    predictions = list(_predictions(project).select_related("task"))
    assert sorted(p.task_id for p in predictions) == sorted(unlabeled)
    assert sum(truth[tuple(sorted(p.task.data.items()))] == p.result for p in predictions) >= 65
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0
