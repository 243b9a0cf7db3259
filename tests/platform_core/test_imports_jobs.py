from datetime import timedelta

import pytest
from django.utils import timezone
from django.core.files.base import ContentFile

from platform_core.imports.runner import import_run
from platform_core.imports.services import import_job_create
from platform_core.models import ImportJob, ImportStatus, Task
from tests.factories import ProjectFactory
from tests.platform_core.importing import jsonl, run_import


# Rows a batch commits in these tests, and rows the reading thread hands over at a time.
BATCH_SIZE = 60
READ_CHUNK = 25


@pytest.fixture
def project(db, monkeypatch):
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", BATCH_SIZE)
    monkeypatch.setattr("platform_core.imports.runner.READ_CHUNK", READ_CHUNK)
    return ProjectFactory()


def test_a_job_redelivered_after_its_worker_died_completes_without_duplicates(project):
    rows = [{"text": f"item {i}"} for i in range(BATCH_SIZE + 10)]
    job = run_import(project, "a.jsonl", jsonl(*rows[:BATCH_SIZE]))
    # As if the worker died after writing a batch: the job is still "running", its heartbeat
    # stopped a while ago.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, finished_at=None, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    job.refresh_from_db()
    # The redelivered run reads the whole file, whose first batch is already written.
    job.file.save("a.jsonl", ContentFile(jsonl(*rows).encode()))
    job = import_run(job_id=job.pk)
    assert (job.status, job.imported, job.duplicates) == ("succeeded", BATCH_SIZE + 10, 0)
    assert Task.objects.filter(project=project).count() == BATCH_SIZE + 10


def test_running_a_finished_job_again_changes_nothing(project):
    job = run_import(project, "a.jsonl", jsonl({"text": "a"}, {"text": "b"}))
    again = import_run(job_id=job.pk)
    assert (again.imported, again.duplicates, again.finished_at) == (2, 0, job.finished_at)
    assert Task.objects.filter(project=project).count() == 2


def test_progress_is_reported_while_the_job_runs(project, monkeypatch):
    monkeypatch.setattr("platform_core.imports.runner.PROGRESS_INTERVAL_S", 0)
    seen = []
    rows = [{"text": f"row {i}"} for i in range(3 * BATCH_SIZE)]
    job = import_job_create(
        project=project, user=None, upload=ContentFile(jsonl(*rows).encode(), name="a.jsonl"), enqueue=False
    )
    import_run(job_id=job.pk, on_progress=lambda j: seen.append((j.imported, j.file_position)))
    assert seen[-1] == (3 * BATCH_SIZE, job.file_size)
    assert len(seen) >= 2
    assert [p for _, p in seen] == sorted(p for _, p in seen)


def test_only_so_many_errors_are_kept_but_all_are_counted(project, settings):
    settings.IMPORT_MAX_REPORTED_ERRORS = 5
    job = run_import(project, "a.jsonl", '{"text": "ok"}\n' + "{bad}\n" * 30)
    assert (job.imported, job.error_count, len(job.errors)) == (1, 30, 5)


def test_a_job_where_every_row_is_bad_fails(project):
    job = run_import(project, "a.jsonl", jsonl({"nope": 1}, {"nope": 2}))
    assert job.status == "failed"
    assert "No row could be imported" in job.message
    assert job.error_count == 2


def test_creating_a_job_queues_it_after_commit(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job_create(project=project, user=None, tasks=[{"text": "hi"}])
    assert len(callbacks) == 1
    assert job.status == "queued" and job.source_name == "api.jsonl"
    assert job.file.read() == b'{"text": "hi"}\n'


def test_an_upload_over_the_limit_is_refused_before_storing(project, settings):
    from django.core.exceptions import ValidationError

    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ValidationError, match="limit is 10"):
        import_job_create(project=project, user=None, upload=ContentFile(b"x" * 11, name="a.jsonl"))
    assert not ImportJob.objects.exists()


def test_an_unsupported_file_type_is_refused(project):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Unsupported file type"):
        import_job_create(project=project, user=None, upload=ContentFile(b"x", name="a.exe"))


def test_progress_reads_the_whole_file_as_read_once_the_reader_closed_it(project):
    """The reader thread may close the file while progress asks where it is: tell() then fails
    with ValueError (closed) or EBADF (closing), and the answer is the whole file."""
    from platform_core.imports.runner import _Run

    job = ImportJob(project=project, source_name="a.jsonl", file_size=1234)
    run = _Run(job, writer=None, on_progress=None)
    for error in (ValueError("I/O operation on closed file"), OSError(9, "Bad file descriptor")):
        run.position = lambda error=error: (_ for _ in ()).throw(error)
        assert run._file_position() == 1234
