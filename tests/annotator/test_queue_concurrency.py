"""No double assignment under real concurrency: threads with their own database connections on
PostgreSQL, and processes racing on one SQLite file (sqlite_claim_race.py)."""
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.models import Count

from annotator.models import Annotation
from annotator.services import QueueConflict, annotation_submit, task_claim_next
from platform_core.models import Task
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory

ROOT = Path(__file__).resolve().parents[2]
RACE_SCRIPT = Path(__file__).with_name("sqlite_claim_race.py")
BARRIER_TIMEOUT_S = 60
# What config.settings reads; the SQLite child must not inherit this process's PostgreSQL.
SETTINGS_ENV = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                "MEDIA_ROOT", "VAR_DIR", "TEST_DATABASE_NAME", "SECRET_KEY", "ALLOWED_HOSTS")

# The SKIP LOCKED claim is PostgreSQL's; the SQLite run leaves these out (tests/conftest.py).
postgres_only = pytest.mark.servers


def make_project(*, tasks: int, claimers: int, overlap: int = 1):
    org = OrganizationFactory()
    project = ProjectFactory(organization=org, overlap=overlap)
    Task.objects.bulk_create(
        Task(project=project, data={"text": f"t{i}"}, checksum=f"{i:064x}") for i in range(tasks)
    )
    users = [MembershipFactory(organization=org).user for _ in range(claimers)]
    return project, users


def run_together(users, work) -> dict:
    """Run work(user) in one thread per user, all released by one barrier; each thread has
    its own connection and closes it. Returns {user id: what work returned}."""
    barrier = threading.Barrier(len(users))
    results, failures = {}, []

    def thread_main(user):
        try:
            connection.ensure_connection()  # connect before the barrier, not in the race
            barrier.wait(BARRIER_TIMEOUT_S)
            results[user.id] = work(user)
        except Exception as error:  # reported below, with the thread's traceback
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread_main, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_on_postgresql_never_share_a_task():
    project, users = make_project(tasks=5, claimers=12)

    for _ in range(5):  # rounds: each round frees the tasks again
        Task.objects.filter(project=project).update(locked_by=None, locked_until=None)
        claims = run_together(users, lambda user: _claim_id(project, user))

        won = [task_id for task_id in claims.values() if task_id is not None]
        assert sorted(won) == sorted(set(won)) and len(won) == 5, claims


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_annotators_simultaneous_requests_on_postgresql_hold_one_task():
    """A double click, or two tabs: every request gets the same task, and only one is locked."""
    project, (user,) = make_project(tasks=5, claimers=1)
    served, lock = [], threading.Lock()

    def claim_and_note(user):
        task_id = _claim_id(project, user)
        with lock:
            served.append(task_id)

    run_together([user] * 8, claim_and_note)

    assert len(served) == 8 and len(set(served)) == 1, served
    assert list(Task.objects.filter(locked_by=user).values_list("id", flat=True)) == served[:1]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claim_and_submit_loops_on_postgresql_label_each_task_once():
    project, users = make_project(tasks=120, claimers=10)

    claims = run_together(users, lambda user: _drain(project, user))

    claimed = [task_id for ids in claims.values() for task_id in ids]
    assert all(isinstance(task_id, int) for task_id in claimed), claimed  # no 409s
    assert len(claimed) == len(set(claimed)) == 120
    assert _most_annotations_on_one_task(project) == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_with_overlap_two_concurrent_annotators_never_exceed_it():
    project, users = make_project(tasks=40, claimers=8, overlap=2)

    claims = run_together(users, lambda user: _drain(project, user))

    per_task = Counter(task_id for ids in claims.values() for task_id in ids)
    assert all(isinstance(task_id, int) for task_id in per_task), per_task
    assert set(per_task.values()) == {2} and len(per_task) == 40
    assert _most_annotations_on_one_task(project) == 2
    for ids in claims.values():
        assert len(ids) == len(set(ids))  # never the same annotator twice


def test_concurrent_claimers_on_sqlite_never_share_a_task(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", DEBUG="true", VAR_DIR=str(tmp_path))
    command = [sys.executable, str(RACE_SCRIPT), "--processes", "4", "--threads", "3"]
    command += ["--tasks", "90"]

    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["claimers"] == 12 and summary["claims"] == 90
    assert summary["claimed_more_than_overlap"] == 0 and summary["most_annotations_on_a_task"] == 1
    assert (tmp_path / "db.sqlite3").exists()


def _claim_id(project, user):
    task = task_claim_next(project=project, user=user)
    return None if task is None else task.id


def _drain(project, user) -> list:
    """Claim and submit until the queue is empty; a 409 (a double claim) is recorded.
    Bounded, so that a broken queue fails the test instead of hanging it."""
    claimed = []
    for _ in range(Task.objects.filter(project=project).count() * 2):
        task = task_claim_next(project=project, user=user)
        if task is None:
            break
        claimed.append(task.id)
        try:
            annotation_submit(
                task_id=task.id, user=user, result={"labels": ["positive"]}, lead_time_s=0
            )
        except QueueConflict as conflict:
            claimed.append(conflict.code)
    return claimed


def _most_annotations_on_one_task(project) -> int:
    counts = (
        Annotation.objects.filter(task__project=project)
        .values("task")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    return max(counts)
