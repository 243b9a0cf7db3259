import pytest

from annotator.models import Annotation, AnnotationStatus
from ml_assist import tasks
from ml_assist.models import MlJob, MlJobKind, MlJobStatus, ModelVersion
from ml_assist.services import ml_job_create
from platform_core.demo import make_text_classification
from platform_core.models import Prediction, Task, TaskStatus
from tests.factories import UserFactory
from tests.ml_assist.conftest import load_tasks

EVERY = 20


@pytest.fixture
def project_with_tasks(text_project, settings):
    settings.ML_RETRAIN_EVERY = EVERY
    items = make_text_classification(80, 11)
    ids = load_tasks(text_project, [item.data for item in items])
    return text_project, list(zip(ids, [item.result for item in items]))


@pytest.fixture
def queued_only(monkeypatch):
    """Jobs stay queued: their Celery messages go nowhere."""
    sent = []
    monkeypatch.setattr(tasks.train_task, "delay", lambda job_id: sent.append(job_id))
    monkeypatch.setattr(tasks.prelabel_task, "delay", lambda job_id: sent.append(job_id))
    return sent


def _label(pairs, capture, status=AnnotationStatus.ACCEPTED):
    """One reviewed annotation at a time, as reviewers accept them (each fires post_save)."""
    user = UserFactory()
    accepted = status == AnnotationStatus.ACCEPTED
    for task_id, result in pairs:
        with capture(execute=True):
            Task.objects.filter(pk=task_id).update(
                status=TaskStatus.ACCEPTED if accepted else TaskStatus.REJECTED,
                accepted_result=result if accepted else None,
                annotation_count=1,
            )
            Annotation.objects.create(task_id=task_id, annotator=user, result=result,
                                      lead_time_s=4.0, status=status)


def _trainings(project):
    return MlJob.objects.filter(project=project, kind=MlJobKind.TRAIN)


def test_training_starts_by_itself_after_every_k_accepted_labels_then_prelabels(
    project_with_tasks, django_capture_on_commit_callbacks
):
    project, pairs = project_with_tasks

    _label(pairs[: EVERY - 1], django_capture_on_commit_callbacks)
    assert not _trainings(project).exists()

    _label(pairs[EVERY - 1 : EVERY], django_capture_on_commit_callbacks)

    job = _trainings(project).get()
    assert job.params == {"labels": EVERY, "trigger": "auto", "prelabel_after": True}
    assert job.status == MlJobStatus.SUCCEEDED, job.message
    assert ModelVersion.objects.get(project=project).is_active
    # ... and the pass after it suggested the tasks still open.
    prelabel = MlJob.objects.get(project=project, kind=MlJobKind.PRELABEL)
    assert prelabel.status == MlJobStatus.SUCCEEDED
    assert Prediction.objects.filter(task__project=project).count() == len(pairs) - EVERY


def test_the_next_training_counts_from_the_last_one(
    project_with_tasks, django_capture_on_commit_callbacks, queued_only
):
    project, pairs = project_with_tasks
    _label(pairs[:EVERY], django_capture_on_commit_callbacks)
    _trainings(project).update(status=MlJobStatus.SUCCEEDED)

    _label(pairs[EVERY : 2 * EVERY - 1], django_capture_on_commit_callbacks)
    assert _trainings(project).count() == 1

    _label(pairs[2 * EVERY - 1 : 2 * EVERY], django_capture_on_commit_callbacks)
    assert _trainings(project).count() == 2
    assert _trainings(project).first().params["labels"] == 2 * EVERY


def test_at_most_one_training_job_per_project_at_a_time(
    project_with_tasks, django_capture_on_commit_callbacks, queued_only
):
    project, pairs = project_with_tasks
    ml_job_create(project=project, kind=MlJobKind.TRAIN)  # queued, worker busy elsewhere

    _label(pairs[: 3 * EVERY], django_capture_on_commit_callbacks)

    assert _trainings(project).count() == 1


def test_rejected_annotations_do_not_count(project_with_tasks, django_capture_on_commit_callbacks):
    project, pairs = project_with_tasks

    _label(pairs[: 2 * EVERY], django_capture_on_commit_callbacks, status=AnnotationStatus.REJECTED)

    assert not _trainings(project).exists()


def test_an_open_training_job_blocks_another_in_the_database(project_with_tasks, queued_only):
    from django.db import IntegrityError, transaction

    project, _ = project_with_tasks
    ml_job_create(project=project, kind=MlJobKind.TRAIN)

    with pytest.raises(IntegrityError), transaction.atomic():
        MlJob.objects.create(project=project, kind=MlJobKind.TRAIN)
    # Finished ones do not count, and pre-labeling jobs are not limited.
    MlJob.objects.create(project=project, kind=MlJobKind.PRELABEL)
    MlJob.objects.create(project=project, kind=MlJobKind.PRELABEL)


def test_a_burst_of_labels_queues_one_delayed_check_per_window(
    project_with_tasks, django_capture_on_commit_callbacks, monkeypatch, settings
):
    """Under load a check per label would cost every submit a message and the database a
    count; one check, due after the window, still counts every label of it."""
    from ml_assist import signals

    project, pairs = project_with_tasks
    settings.ML_RETRAIN_CHECK_DELAY_S = 10.0
    clock = [1000.0]
    monkeypatch.setattr(signals.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(signals, "_check_queued_until", {})
    queued = []
    monkeypatch.setattr(
        tasks.retrain_check_task,
        "apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )

    _label(pairs[:5], django_capture_on_commit_callbacks)
    assert queued == [((project.pk,), 10.0)]

    clock[0] += 9.9  # still inside the window: the queued check will count these labels
    _label(pairs[5:8], django_capture_on_commit_callbacks)
    assert len(queued) == 1

    clock[0] += 0.2  # the first check may have run: the next label needs a check of its own
    _label(pairs[8:9], django_capture_on_commit_callbacks)
    assert queued == [((project.pk,), 10.0)] * 2
