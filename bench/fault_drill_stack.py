"""The servers and processes bench/fault_drill.py kills and restarts: a private PostgreSQL
cluster and Redis (Servers), and the platform's web server and worker with beat (Stack)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from queue_bench_server import stop_server  # bench/ is on the path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
SECRET_KEY = "fault-drill-" + "k" * 40
# Shortened for the drill (production: 10 s, 60 s, 30 s); printed with the results.
DRILL_SETTINGS = {
    "JOB_HEARTBEAT_S": "2",
    "JOB_HEARTBEAT_STALE_S": "15",
    "JOB_SWEEP_INTERVAL_S": "5",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Servers:
    """A private PostgreSQL cluster and Redis, restartable at will."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pg_data, self.pg_port = folder / "pg", free_port()
        self.redis_port = free_port()
        self.database_url = f"postgres://postgres@127.0.0.1:{self.pg_port}/drill"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"

    def start(self) -> None:
        if PG_BIN is None:
            sys.exit("PostgreSQL's binaries are missing (/usr/lib/postgresql/*/bin)")
        self.pg_data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.pg_data, "postgres")
        run(
            as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.pg_data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            )
        )
        self.pg_start()
        run(
            as_postgres(
                [
                    str(PG_BIN / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.pg_port),
                    "-U",
                    "postgres",
                    "drill",
                ]
            )
        )
        self.redis_start()

    def pg_start(self) -> None:
        options = f"-p {self.pg_port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        run(
            as_postgres(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.pg_data),
                    "-w",
                    "-o",
                    options,
                    "-l",
                    str(self.folder / "pg.log"),
                    "start",
                ]
            )
        )

    def pg_restart(self) -> None:
        run(
            as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "-w", "stop"]
            )
        )
        time.sleep(1)
        self.pg_start()

    def redis_start(self) -> None:
        run(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--pidfile",
                str(self.folder / "redis.pid"),
                "--logfile",
                str(self.folder / "redis.log"),
            ]
        )
        wait_for(lambda: redis_ping(self.redis_port), 15, "Redis")

    def redis_restart(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "shutdown", "nosave"], capture_output=True
        )
        wait_for(lambda: not redis_ping(self.redis_port), 15, "Redis to stop")
        time.sleep(1)
        self.redis_start()

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "shutdown", "nosave"], capture_output=True
        )
        subprocess.run(
            as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )


def redis_ping(port: int) -> bool:
    result = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def wait_for(predicate, seconds: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if predicate():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{what} did not come up within {seconds} s")


class Stack:
    """gunicorn and a Celery worker with beat, on the private servers."""

    def __init__(self, servers: Servers, folder: Path):
        self.folder, self.port = folder, free_port()
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("CELERY_BROKER_URL", "TEST_DATABASE_NAME")
            },
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "false",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": servers.database_url,
            "REDIS_URL": servers.redis_url,
            "VAR_DIR": str(folder / "var"),
            "MEDIA_ROOT": str(folder / "media"),
            "LOG_LEVEL": "WARNING",
            # Sign-ins are not what the drill measures; its clients use tokens.
            **DRILL_SETTINGS,
        }
        self.web = self.worker = None
        self.workers_started = 0

    def start_web(self) -> None:
        log = (self.folder / "web.log").open("ab")
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: self.healthz() == 200, 60, "the web server")

    def start_worker(self) -> None:
        self.workers_started += 1
        log = (self.folder / f"worker-{self.workers_started}.log").open("ab")
        self.worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-B",
                "-l",
                "info",
                "--concurrency",
                "2",
                "--hostname",
                f"drill{self.workers_started}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                stop_server(process)

    def healthz(self) -> int:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/healthz", timeout=5
            ) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def call(self, method: str, path: str, token: str, body=None, timeout: float = 30):
        """(status, JSON body or None); status 0 when the connection failed."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read()
                return answer.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, None
        except OSError:
            return 0, None
