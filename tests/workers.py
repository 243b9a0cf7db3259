"""Helpers for the end-to-end tests that start real Celery worker processes.

The fixtures built on these (`child_env`, `start_worker`) live in tests/conftest.py.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")
# What config.settings reads. The test process has its own values (config.settings.test sets
# some of them in os.environ), so a child process starts without them and gets them explicitly.
SETTINGS_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "MEDIA_ROOT",
    "VAR_DIR",
    # Set by the browser tests (session-long) for Playwright's sync API; no child needs it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "TEST_DATABASE_NAME",
)
WORKER_READY_TIMEOUT_S = 60


def child_environment(**overrides: str) -> dict:
    """An environment for a manage.py / celery child process: the platform's base settings with
    DEBUG on, plus the given variables and none of this process's settings variables."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", DEBUG="true", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


def redis_test_url(db: int) -> str:
    """The Redis server of REDIS_URL, on a database number kept for one group of tests."""
    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(base._replace(path=f"/{db}"))


def worker_database_url() -> str:
    """The database pytest-django made for this run, as a URL for a worker's settings."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{quote(db['NAME'], safe='')}"


def worker_starter(tmp_path, started: list):
    """start(env, name, queue=None, args=()) -> a running `celery -A config worker` process
    (solo pool, consuming only `queue` when given, with extra `args`), ready to consume; its
    output goes to `.log_path`."""

    def start(
        env: dict, name: str = "worker", queue: str | None = None, args: tuple = ()
    ) -> subprocess.Popen:
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(CELERY), "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
                    f"--hostname={name}-{os.getpid()}@%h",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    *(["--queues", queue] if queue else []),
                    *args,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log_path = log_path
        started.append(process)
        deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
        while " ready." not in worker_log(process):
            if process.poll() is not None:
                pytest.fail(f"the worker exited with {process.returncode}:\n{worker_log(process)}")
            if time.monotonic() > deadline:
                pytest.fail(f"the worker was not ready after {WORKER_READY_TIMEOUT_S}s:\n{worker_log(process)}")
            time.sleep(0.2)
        return process

    return start


def worker_log(process: subprocess.Popen) -> str:
    return process.log_path.read_text(errors="replace")


def stop_process(process: subprocess.Popen, grace_s: float = 15) -> None:
    """TERM (Celery's warm shutdown), then KILL the whole process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def wait_until(predicate, *, timeout_s: float, interval_s: float = 0.25, process=None):
    """Polls `predicate` until it returns something truthy; fails on timeout, or at once when
    `process` (a worker) has exited, with its log."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}:\n{worker_log(process)}")
        if time.monotonic() > deadline:
            log = f"\nworker log:\n{worker_log(process)}" if process is not None else ""
            pytest.fail(f"gave up after {timeout_s}s{log}")
        time.sleep(interval_s)
