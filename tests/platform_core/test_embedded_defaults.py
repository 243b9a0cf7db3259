"""With no DATABASE_URL, REDIS_URL or broker set, the platform runs on its embedded defaults:
SQLite and a filesystem broker under VAR_DIR, and still a real, separate worker process."""
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workers import ROOT, child_environment, wait_until, worker_log

JOB_TIMEOUT_S = 60

pytestmark = pytest.mark.worker

CREATE_PROJECT = """
from platform_core.models import Organization, Project
organization, _ = Organization.objects.get_or_create(name="Embedded")
project = Project.objects.create(
    organization=organization,
    name={name!r},
    task_type="text_classification",
    label_config={{"labels": [{{"value": "positive"}}, {{"value": "negative"}}]}},
)
print(project.pk)
"""


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:
    """One migrated SQLite database for the module (migrating takes a few seconds)."""
    var = tmp_path_factory.mktemp("embedded-var")
    result = manage(var, "migrate", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    return var


def embedded_env(var: Path) -> dict:
    """No DATABASE_URL, REDIS_URL or CELERY_BROKER_URL: everything lives under `var`."""
    return child_environment(VAR_DIR=str(var))


def manage(var: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=embedded_env(var),
        capture_output=True,
        text=True,
        timeout=120,
    )


def create_project(var: Path, name: str) -> int:
    result = manage(var, "shell", "-v", "0", "-c", CREATE_PROJECT.format(name=name))
    assert result.returncode == 0, result.stdout + result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def write_jsonl(path: Path, n: int, prefix: str) -> Path:
    path.write_text("".join(json.dumps({"text": f"{prefix} {i}"}) + "\n" for i in range(n)))
    return path


def query(var: Path, sql: str, *params):
    with sqlite3.connect(var / "db.sqlite3", timeout=30) as db:
        return db.execute(sql, params).fetchone()


def test_a_job_queued_on_the_filesystem_broker_is_run_by_a_separate_worker(
    var_dir, start_worker, tmp_path
):
    project_id = create_project(var_dir, "Queued through the filesystem broker")
    source = write_jsonl(tmp_path / "reviews.jsonl", 50, "queued review")

    # --queue: the command stores the file and enqueues on commit, like the web process does.
    queued = manage(var_dir, "import_dataset", str(project_id), str(source), "--queue")
    assert queued.returncode == 0, queued.stdout + queued.stderr
    job_id = int(re.search(r"job (\d+)", queued.stdout).group(1))
    assert query(var_dir, "SELECT status FROM platform_importjob WHERE id = ?", job_id) == ("queued",)
    # The message waits as a file until a worker takes it: no server is involved.
    assert list((var_dir / "broker" / "queue").glob("*.msg"))

    worker = start_worker(embedded_env(var_dir), name="filesystem-worker")

    def finished_job():
        row = query(var_dir, "SELECT status, imported, message FROM platform_importjob WHERE id = ?", job_id)
        return row if row[0] in ("succeeded", "failed") else None

    assert wait_until(finished_job, timeout_s=JOB_TIMEOUT_S, process=worker) == ("succeeded", 50, "")
    assert query(var_dir, "SELECT count(*) FROM platform_task WHERE project_id = ?", project_id) == (50,)
    log = worker_log(worker)
    assert "filesystem://" in log
    assert "Task platform.import_run[" in log and "succeeded" in log


def test_import_dataset_imports_a_file_in_process_with_a_progress_bar(var_dir, tmp_path):
    project_id = create_project(var_dir, "Imported by the command")
    source = write_jsonl(tmp_path / "lines.jsonl", 30, "command line")

    result = manage(var_dir, "import_dataset", str(project_id), str(source))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "30 imported, 0 duplicates, 0 bad rows" in result.stdout
    # tqdm draws its bar on stderr: the file name and the bar reaching 100%.
    assert "lines.jsonl" in result.stderr and "100%" in result.stderr
    assert query(var_dir, "SELECT count(*) FROM platform_task WHERE project_id = ?", project_id) == (30,)
    assert query(
        var_dir, "SELECT status FROM platform_importjob WHERE project_id = ?", project_id
    ) == ("succeeded",)


def test_make_runs_worker_with_beat_sweeps_up_a_job_whose_message_was_lost(var_dir, start_worker, tmp_path):
    """scripts/run.sh starts `celery worker -B`: on the filesystem broker and SQLite too, the
    sweeper finds a job queued for over a minute with no message and sends it."""
    assert " worker -B " in (ROOT / "scripts" / "run.sh").read_text()
    project_id = create_project(var_dir, "Swept on the embedded defaults")
    source = write_jsonl(tmp_path / "lost.jsonl", 20, "lost review")
    queued = manage(var_dir, "import_dataset", str(project_id), str(source), "--queue")
    assert queued.returncode == 0, queued.stdout + queued.stderr
    job_id = int(re.search(r"job (\d+)", queued.stdout).group(1))
    for message in (var_dir / "broker" / "queue").glob("*.msg"):
        message.unlink()  # the message is lost
    with sqlite3.connect(var_dir / "db.sqlite3", timeout=30) as db:
        db.execute(
            "UPDATE platform_importjob SET created_at = datetime('now', '-2 minutes'), "
            "sent_at = datetime('now', '-2 minutes') WHERE id = ?", (job_id,)
        )

    env = {**embedded_env(var_dir), "JOB_SWEEP_INTERVAL_S": "1"}
    worker = start_worker(env, name="embedded-beat-worker", args=("-B",))

    def finished_job():
        row = query(var_dir, "SELECT status, imported, attempts FROM platform_importjob WHERE id = ?", job_id)
        return row if row[0] in ("succeeded", "failed") else None

    assert wait_until(finished_job, timeout_s=JOB_TIMEOUT_S, process=worker) == ("succeeded", 20, 1)
    assert "platform.jobs_sweep" in worker_log(worker)
