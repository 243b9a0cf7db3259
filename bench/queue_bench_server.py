"""The server side of bench/queue_bench.py: gunicorn as production runs it, the client processes
run against it, and the accounting of where the CPU went.

`measure` starts the server, releases the clients together and collects their figures, gunicorn's
own request times (its access log) and the CPU seconds of gunicorn, the PostgreSQL backends,
the clients and the whole machine over the measured time. With `cpu_by_endpoint`, each worker
also times the CPU its thread spends on every request, from the moment the WSGI call starts to
the moment the application starts its response (Django's whole request, no HTTP parsing or
writing), and sends it back in a header for the access log: `print_cpu_by_endpoint` prints it
per endpoint.

Only the standard library is imported at module level: gunicorn imports this module in its
workers for `bench_application`.
"""
import contextlib
import http.client
import multiprocessing
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT_S = 60
CPU_HEADER = "X-Bench-Cpu-Us"
FLOOR_PATH = "/bench/floor/"  # served by queue_bench_urls


def bench_application(cpu_timed: bool = False):
    """config.wsgi's application serving queue_bench_urls (the platform's URLs and the floor
    endpoint); with `cpu_timed`, each answer carries the CPU microseconds the worker's thread
    spent on the request (CPU_HEADER). gunicorn calls this factory (see start_server)."""
    from django.conf import settings

    from config.wsgi import application

    # Read by Django's handler at the start of every request.
    settings.ROOT_URLCONF = "queue_bench_urls"
    if not cpu_timed:
        return application

    def timed(environ, start_response):
        started = time.thread_time_ns()

        def start(status, headers, exc_info=None):
            headers.append((CPU_HEADER, str((time.thread_time_ns() - started) // 1000)))
            return start_response(status, headers, exc_info)

        return application(environ, start)

    return timed


def start_server(
    port: int, workers: int | None, threads: int | None, var_dir: str, cpu_by_endpoint=False
):
    """gunicorn on loopback, configured by gunicorn.conf.py as everywhere else; `workers` and
    `threads` override it for experiments."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        VAR_DIR=var_dir,
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="600",
    )
    # This module, from bench/, adds the floor endpoint (and, when asked, the CPU timing).
    factory = f"{Path(__file__).stem}:bench_application(cpu_timed={bool(cpu_by_endpoint)})"
    app, log_format = [factory, "--pythonpath", str(Path(__file__).parent)], "%(U)s %(s)s %(M)s"
    if cpu_by_endpoint:
        log_format += f" %({{{CPU_HEADER.lower()}}}o)s"
    command = [
        str(Path(sys.executable).with_name("gunicorn")), *app,
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        *(["--workers", str(workers)] if workers else []),
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads else []),
        "--access-logfile", str(Path(var_dir) / "access.log"),
        "--access-logformat", log_format,
    ]
    log_path = Path(var_dir) / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/auth/token/")
            if connection.getresponse().status == 405:
                return server
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer in time")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def client_process(client_class, port, token, project_id, seconds, think_ms, barrier, results):
    results.put(client_class(port, token, project_id, seconds, think_ms).run(barrier))


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by the process and its children (gunicorn's workers)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for process in [str(pid), *children]:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")
    return total


def reaped_cpu_seconds() -> float:
    """CPU time of this process's children that have exited and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine (all processes, all cores) since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def database_backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def server_side_ms(log_path: Path, offset: int) -> tuple[dict, dict]:
    """Request times gunicorn logged after `offset` (what the server spent, queueing excluded),
    and the CPU milliseconds of each request when the log has them (cpu_by_endpoint)."""
    times, cpu = {"next": [], "submit": []}, {"next": [], "submit": []}
    with log_path.open() as log:
        log.seek(offset)
        for line in log:
            path, _, ms, *cpu_us = line.split()
            kind = "next" if path.endswith(("/next-task/", "/next-review/")) else "submit"
            times[kind].append(float(ms))
            if cpu_us and cpu_us[0] != "-":
                cpu[kind].append(int(cpu_us[0]) / 1000)
    return times, cpu


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(share * 1000) - 1]


def measure(args, project, tokens, client_class) -> dict:
    """Start the server, run one `client_class` process per token, and collect their figures
    and the CPU accounting."""
    from django.db import connection

    reaped_before = reaped_cpu_seconds()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as var_dir:
        server = start_server(port, args.workers, args.threads, var_dir, args.cpu_by_endpoint)
        access_log = Path(var_dir) / "access.log"
        try:
            context = multiprocessing.get_context("fork")
            barrier, results = context.Barrier(len(tokens) + 1), context.Queue()
            processes = [
                context.Process(
                    target=client_process,
                    args=(
                        client_class, port, token, project.pk, args.seconds, args.think_ms,
                        barrier, results,
                    ),
                )
                for token in tokens
            ]
            for process in processes:
                process.start()
            barrier.wait()
            started, offset = time.monotonic(), access_log.stat().st_size
            database_pids = database_backend_pids() if connection.vendor == "postgresql" else []
            connection.close()
            before = (
                cpu_seconds(server.pid),
                sum(cpu_seconds(pid) for pid in database_pids),
                machine_busy_seconds(),
            )
            with contextlib.suppress(threading.BrokenBarrierError):  # a client failed
                barrier.wait()  # every client has stopped labeling
            elapsed = time.monotonic() - started
            cpu = {
                "server": cpu_seconds(server.pid) - before[0],
                "database": sum(cpu_seconds(pid) for pid in database_pids) - before[1],
                "machine": machine_busy_seconds() - before[2],
            }
            clients = [results.get() for _ in processes]
            for process in processes:
                process.join()
            # The clients just reaped: an earlier run's reaped clients and gunicorn are in
            # `reaped_before`.
            cpu["clients"] = reaped_cpu_seconds() - reaped_before
            server_ms, request_cpu_ms = server_side_ms(access_log, offset)
        finally:
            stop_server(server)
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "server_ms": server_ms,
        "request_cpu_ms": request_cpu_ms,
        "next_ms": [ms for c in clients for ms in c["next_ms"]],
        "submit_ms": [ms for c in clients for ms in c["submit_ms"]],
        "errors": [error for c in clients for error in c["errors"]],
        "conflicts": sum(c["conflicts"] for c in clients),
        "submitted": sum(c["submitted"] for c in clients),
        "served": [c.get("served", []) for c in clients],
        "verdicts": sum((c.get("verdicts", Counter()) for c in clients), Counter()),
    }


def print_server_figures(run: dict) -> None:
    """gunicorn's request times and where the machine's CPU went during the run."""
    for kind, times in run["server_ms"].items():
        print(
            f"server side, {kind}: p50 {percentile(times, .5):.1f} ms, "
            f"p99 {percentile(times, .99):.1f} ms (gunicorn's request time, queueing excluded)"
        )
    cpu, requests = run["cpu"], sum(len(times) for times in run["server_ms"].values())
    other = cpu["machine"] - cpu["server"] - cpu["database"] - cpu["clients"]
    print(
        f"server CPU: {cpu['server'] / max(requests, 1) * 1000:.1f} ms per request; "
        f"CPU seconds over the {run['elapsed']:.1f} s run on {os.cpu_count()} cores: machine "
        f"{cpu['machine']:.1f}, gunicorn {cpu['server']:.1f}, PostgreSQL backends "
        f"{cpu['database']:.1f}, clients {cpu['clients']:.1f} (warm-up included), other work on "
        f"the machine {other:.1f}"
    )


def print_cpu_by_endpoint(run: dict, names: tuple[str, str]) -> None:
    """The workers' CPU per request of each endpoint (cpu_by_endpoint), Django's whole request:
    the rest of `server CPU` is gunicorn's HTTP work and its master."""
    parts = []
    for name, kind in zip(names, ("next", "submit")):
        cpu = run["request_cpu_ms"][kind]
        mean = statistics.fmean(cpu) if cpu else float("nan")
        parts.append(f"{name} mean {mean:.2f} ms p50 {percentile(cpu, .5):.2f} ms")
    print(f"CPU in the application per request: {', '.join(parts)}")
