"""What a failed or stopped import leaves behind: never people's work, never its upload, never
media no task refers to; and imports and ML jobs stop cleanly on a project being deleted."""
import io
import zipfile

import pytest
from django.core.files.storage import default_storage

from annotator.services import annotation_submit, task_claim_next, task_skip
from ml_assist import artifacts
from ml_assist.models import MlJob, MlJobKind, ModelVersion
from ml_assist.services import ml_job_create, model_prelabel, model_train
from platform_core.imports import runner
from platform_core.imports.records import ImportFileError
from platform_core.imports.services import import_job_create
from platform_core.imports.writer import TaskWriter
from platform_core.models import ImportStatus, Project, Role, Task
from tests.ml_assist.conftest import accept, demo_project, load_tasks
from tests.platform_core.importing import jsonl, png_bytes, run_import

pytestmark = pytest.mark.django_db

# Rows a batch commits in these tests: a failure after the first needs a second.
BATCH_SIZE = 20


def failing_after_first_batch(monkeypatch, between=lambda: None):
    """The writer commits one batch, `between` runs (people at work), then the file turns out
    unreadable."""
    real_flush = TaskWriter.flush
    flushes = []

    def flush(self):
        flushes.append(1)
        if len(flushes) == 2:
            between()
            raise ImportFileError("Line 2005 is not JSON; the file is broken.")
        real_flush(self)

    monkeypatch.setattr(TaskWriter, "flush", flush)


def test_a_failed_import_keeps_the_tasks_people_labeled_or_skipped(project, member, monkeypatch):
    people = [member(Role.ANNOTATOR, project.organization) for _ in range(3)]
    seen = {}

    def people_at_work():
        labeled = task_claim_next(project=project, user=people[0])
        annotation_submit(task_id=labeled.pk, user=people[0], result={"labels": ["positive"]}, lead_time_s=3)
        held = task_claim_next(project=project, user=people[2])
        skipped = task_claim_next(project=project, user=people[1])
        task_skip(task_id=skipped.pk, user=people[1], reason="unreadable")
        seen.update(labeled=labeled.pk, skipped=skipped.pk, held=held.pk)

    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", BATCH_SIZE)
    failing_after_first_batch(monkeypatch, people_at_work)
    job = run_import(project, "a.jsonl", jsonl(*({"text": f"row {i}"} for i in range(BATCH_SIZE + 10))))

    assert job.status == ImportStatus.FAILED
    assert "broken" in job.message and "3 of its tasks were kept" in job.message
    assert len(set(seen.values())) == 3
    assert set(Task.objects.filter(project=project).values_list("id", flat=True)) == set(seen.values())
    assert job.imported == 3
    job.dataset.refresh_from_db()
    assert job.dataset.task_count == 3


def test_a_failed_import_with_no_work_on_it_keeps_nothing(project, monkeypatch):
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", BATCH_SIZE)
    failing_after_first_batch(monkeypatch)
    job = run_import(project, "a.jsonl", jsonl(*({"text": f"row {i}"} for i in range(BATCH_SIZE + 10))))
    assert job.status == ImportStatus.FAILED and "kept" not in job.message
    assert not Task.objects.filter(project=project).exists()


def test_the_upload_is_deleted_when_the_job_ends(project):
    succeeded = run_import(project, "a.jsonl", jsonl({"text": "a"}))
    failed = run_import(project, "b.jsonl", "not json\n")
    assert (succeeded.status, failed.status) == (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
    for job in (succeeded, failed):
        assert job.file.name == ""
    assert default_storage.listdir(f"projects/{project.id}/imports")[1] == []


def archive(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for i in range(count):
            zipped.writestr(f"img{i}.png", png_bytes(color=(i, 0, 0)))
    return buffer.getvalue()


def test_media_stored_for_records_that_never_reached_the_database_is_deleted(org, monkeypatch):
    project = demo_project(org, "image_classification")
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", 2)
    failing_after_first_batch(monkeypatch)
    job = run_import(project, "images.zip", archive(5))
    assert job.status == ImportStatus.FAILED
    assert not Task.objects.filter(project=project).exists()
    folders, files = default_storage.listdir(f"projects/{project.id}/media")
    stored = [name for folder in folders for name in default_storage.listdir(f"projects/{project.id}/media/{folder}")[1]]
    assert stored == []


def test_an_import_into_a_project_being_deleted_stops_writing_and_says_nothing_wrong(project, caplog):
    job = import_job_create(project=project, user=None, tasks=[{"text": "late"}], enqueue=False)
    Project.objects.filter(pk=project.pk).update(deleting=True)
    runner.import_run(job_id=job.pk)
    assert not Task.objects.filter(project_id=project.pk).exists()
    assert "being deleted" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.fixture
def trained(org):
    project = demo_project(org)
    from platform_core.demo import make_text_classification

    items = make_text_classification(60, 3)
    ids = load_tasks(project, [item.data for item in items])
    accept(ids[:40], [item.result for item in items[:40]])
    return project


def test_ml_jobs_on_a_project_being_deleted_stop_without_writing(trained, caplog):
    train = ml_job_create(project=trained, kind=MlJobKind.TRAIN, enqueue=False)
    prelabel = ml_job_create(project=trained, kind=MlJobKind.PRELABEL, enqueue=False)
    Project.objects.filter(pk=trained.pk).update(deleting=True)

    assert model_train(job_id=train.pk) is None
    assert model_prelabel(job_id=prelabel.pk) is None
    assert not ModelVersion.objects.filter(project=trained).exists()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_an_artifact_stored_in_a_transaction_that_rolls_back_is_deleted(trained, monkeypatch):
    stored = []
    real_store = artifacts.artifact_store

    def store(**kwargs):
        stored.append(real_store(**kwargs)[0])
        return stored[-1], "signature"

    def version_row_fails(self, *args, **kwargs):
        raise RuntimeError("the database went away mid-save")

    monkeypatch.setattr("ml_assist.services.training.artifact_store", store)
    monkeypatch.setattr(ModelVersion, "save", version_row_fails)
    job = ml_job_create(project=trained, kind=MlJobKind.TRAIN, enqueue=False)
    with pytest.raises(RuntimeError):
        model_train(job_id=job.pk)
    assert len(stored) == 1 and not default_storage.exists(stored[0])
    assert MlJob.objects.get(pk=job.pk).status == "failed"
