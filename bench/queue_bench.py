"""Times the annotation queue over HTTP: K annotator clients loop next-task → submit against the
real server (gunicorn) on a project of N text tasks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_queue_bench \
        .venv/bin/python bench/queue_bench.py --tasks 1000000 --clients 20

Tasks are written by the importer's writer (COPY on PostgreSQL) with random priorities, as
active learning leaves them. The server is gunicorn as gunicorn.conf.py configures it for
production (sync workers, two per core). Each client is a process with its own HTTP connection
(sync workers close it after each answer; the client reconnects). After a short unmeasured
warm-up every client labels for --seconds, back to back by default (a closed loop: the
latencies then include the queueing of K clients on the machine's cores), or with --think-ms
of labeling time between next-task and submit. The server gets a throwaway
VAR_DIR, so what a submit enqueues (ml_assist's retrain check) lands in a filesystem broker that
is deleted afterwards. The project and its users are deleted at the end unless --keep.

Besides the client-side figures it prints gunicorn's own request times and the server's CPU
time per request, which tell queueing on a busy machine apart from slow code.

Last line: `queue: N tasks, K clients, next p50 X ms p99 Y ms, submit p50 X ms p99 Y ms,
R submits/s, overlap violations V`.

`--mode review` times the review queue the same way: every task carries one submitted
annotation waiting for review (written set-based by --authors annotators, see
bench/queue_bench_review.py), and K reviewer clients loop next-review → verdict (80% accept, 15%
correct to another label, 5% reject with a comment). As a reference measured on the same machine
and database, one reviewer runs first; the last two lines are `review: N items, 1 clients, …`
and `review: N items, K clients, next-review p50 X ms p99 Y ms, verdict p50 X ms p99 Y ms,
R verdicts/s, double-served D`, where D counts items handed to two clients plus annotations
that got two stage-1 verdicts.
"""
import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import random
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
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

from queue_bench_review import (  # noqa: E402 - bench/ is on the path when run as a script
    ReviewRound,
    create_backlog,
    explain_review_claim,
    reviewed_twice,
    served_to_several,
)

WARMUP_ROUNDS = 5
SERVER_START_TIMEOUT_S = 60
LABELS = ["positive", "negative", "neutral"]


def create_project(
    tasks: int, clients: int, overlap: int, priorities: str, role: str = "annotator",
    settle: bool = True,
):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from platform_core.imports.records import data_record
    from platform_core.imports.writer import TaskWriter
    from platform_core.models import Dataset, Membership, Organization, Project, Task

    run = time.strftime("%Y%m%d-%H%M%S")
    org, _ = Organization.objects.get_or_create(name="Queue benchmarks")
    project = Project.objects.create(
        organization=org,
        name=f"queue bench {run} {tasks}",
        task_type="text_classification",
        label_config={"labels": [{"value": value} for value in LABELS]},
        overlap=overlap,
    )
    dataset = Dataset.objects.create(project=project, name="bench", source="bench")
    writer = TaskWriter(project=project, dataset=dataset)
    started = time.perf_counter()
    for index in range(tasks):
        writer.add(data_record(index, {"text": f"review {index}: the product was fine"}))
    writer.flush()
    if priorities == "random" and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Task._meta.db_table} SET priority = random() WHERE project_id = %s",
                [project.pk],
            )
    if settle:
        settle_database()
    print(f"created {tasks} tasks in {time.perf_counter() - started:.1f} s", flush=True)

    tokens = []
    for index in range(clients):
        user = get_user_model().objects.create(username=f"qbench-{run}-{tasks}-{index}")
        Membership.objects.create(user=user, organization=org, role=role)
        tokens.append(Token.objects.create(user=user).key)
    return project, tokens


def settle_database() -> None:
    """Leave the database at rest before the clock starts, as a live one between bursts is.

    VACUUM ANALYZE of the queue's tables: fresh statistics, a visibility map, and no dead rows
    left by an earlier run's deletes (autovacuum may be off, as it is on the development
    machines). Then a CHECKPOINT, so the WAL of the import is not written out during the
    measurement; it needs a superuser, and without one the run goes on and says so.
    """
    from django.db import connection

    from annotator.models import Annotation, Review, ReviewItem, TaskSkip
    from platform_core.models import Prediction, Task

    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    raw = connection.connection
    autocommit = raw.autocommit
    raw.autocommit = True  # VACUUM and CHECKPOINT cannot run inside a transaction
    try:
        # Every submit queues a review item, and every verdict deletes one.
        for model in (Task, Annotation, TaskSkip, Prediction, ReviewItem, Review):
            raw.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        try:
            raw.execute("CHECKPOINT")
        except Exception as error:  # noqa: BLE001 - a figure to qualify, not a failure
            print(f"no CHECKPOINT before the run ({error}); the import's WAL may still flush")
    finally:
        raw.autocommit = autocommit


def start_server(port: int, workers: int | None, threads: int | None, var_dir: str):
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
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi",
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        *(["--workers", str(workers)] if workers else []),
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads else []),
        "--access-logfile", str(Path(var_dir) / "access.log"),
        "--access-logformat", "%(U)s %(s)s %(M)s",
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


def explain_claim(project, user_id: int) -> str:
    """EXPLAIN ANALYZE of the claim's row search for a new annotator, rolled back."""
    from django.db import connection, transaction
    from django.utils import timezone

    from annotator.services.queue import NEXT_FREE_TASK_SQL

    subquery = NEXT_FREE_TASK_SQL.format(row_lock="FOR UPDATE SKIP LOCKED")
    params = {"user": user_id, "project": project.pk, "overlap": project.overlap,
              "now": timezone.now()}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + subquery, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class Client:
    """One annotator: next-task, then submit a label, until the deadline or an empty queue.

    Each client is its own process: client threads sharing one interpreter would wait for its
    lock after a response arrived, and that wait would be measured as server latency.
    """

    def __init__(self, port: int, token: str, project_id: int, seconds: float, think_ms: float):
        self.seconds, self.think_s, self.submitted = seconds, think_ms / 1000, 0
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.next_url = f"/api/v1/projects/{project_id}/next-task/"
        self.next_ms, self.submit_ms, self.errors, self.conflicts = [], [], [], 0
        self.rng = random.Random(token)

    def call(self, path: str, body: dict) -> tuple[int, bytes, float]:
        payload = json.dumps(body).encode()
        started = time.perf_counter()
        self.connection.request("POST", path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000

    def round(self, measure: bool) -> bool:
        status, data, ms = self.call(self.next_url, {})
        if status == 204:
            return False
        if status != 200:
            self.errors.append(f"next-task {status}: {data[:200]!r}")
            return False
        task = json.loads(data)
        if self.think_s:  # the annotator reads and labels; exponential, as arrivals are
            time.sleep(self.rng.expovariate(1 / self.think_s))
        body = {"result": {"labels": [self.rng.choice(LABELS)]}, "lead_time_s": 1.0}
        status, data, submit_ms = self.call(f"/api/v1/tasks/{task['id']}/annotations/", body)
        if status == 201:
            self.submitted += measure
        elif status == 409:
            self.conflicts += 1
        else:
            self.errors.append(f"submit {status}: {data[:200]!r}")
            return False
        if measure:
            self.next_ms.append(ms)
            self.submit_ms.append(submit_ms)
        return True

    def run(self, barrier) -> dict:
        """Warm up, label from the first barrier until --seconds have passed, and hand in the
        figures after the second one: a client pickling its figures while others still label
        would take CPU from the server they are timing."""
        try:
            for _ in range(WARMUP_ROUNDS):
                self.round(measure=False)
            barrier.wait()
            deadline = time.monotonic() + self.seconds
            if self.think_s:  # arrive spread out, as people do, not all at the barrier's instant
                time.sleep(self.rng.uniform(0, self.think_s))
            while time.monotonic() < deadline and self.round(measure=True):
                pass
            barrier.wait()
        except Exception as error:  # reported with the figures, never silently lost
            self.errors.append(repr(error))
            barrier.abort()
        return self.figures()

    def figures(self) -> dict:
        return {
            "next_ms": self.next_ms, "submit_ms": self.submit_ms, "errors": self.errors,
            "conflicts": self.conflicts, "submitted": self.submitted,
        }


class ReviewClient(ReviewRound, Client):
    """One reviewer: next-review, then a verdict, in the same loop and with the same figures
    (`submit_ms` holds the verdicts' times)."""

    def __init__(self, port: int, token: str, project_id: int, seconds: float, think_ms: float):
        super().__init__(port, token, project_id, seconds, think_ms)
        self.setup_review(project_id, LABELS)


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


def server_side_ms(log_path: Path, offset: int) -> dict[str, list[float]]:
    """Request times gunicorn logged after `offset`: what the server spent, queueing excluded."""
    times = {"next": [], "submit": []}
    with log_path.open() as log:
        log.seek(offset)
        for line in log:
            path, _, ms = line.split()
            kind = "next" if path.endswith(("/next-task/", "/next-review/")) else "submit"
            times[kind].append(float(ms))
    return times


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(share * 1000) - 1]


def overlap_violations(project) -> int:
    from django.db.models import Count

    from annotator.models import Annotation

    over_count = project.tasks.filter(annotation_count__gt=project.overlap).count()
    over_rows = (
        Annotation.objects.filter(task__project=project)
        .values("task")
        .annotate(n=Count("id"))
        .filter(n__gt=project.overlap)
        .count()
    )
    return over_count + over_rows


def delete_project(project, tokens, user_ids=()) -> None:
    """Raw deletes in dependency order: Django's cascade would load a million tasks first.
    The users are the token holders and `user_ids`."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Q

    from annotator.models import Annotation, AnnotationVersion, Review, ReviewItem, TaskSkip
    from platform_core.models import Dataset, Prediction, Task

    task_ids = f"SELECT id FROM {Task._meta.db_table} WHERE project_id = %s"
    is_pg = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if is_pg:
            # The annotations' task_id has only a partial index, so the foreign-key check of
            # each deleted task would scan the whole annotation table: 95 ms a task with 10^6
            # annotations, a day for the review mode's project. An index for this transaction
            # only; the deferred checks run before it is dropped.
            cursor.execute(
                f"CREATE INDEX bench_annotation_task ON {Annotation._meta.db_table} (task_id)"
            )
        # Verdicts leave reviews, and every submit queues a review item: the project's cascade
        # would load a million of them.
        for model in (Review, ReviewItem):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE task_id IN ({task_ids})", [project.pk]
            )
        cursor.execute(
            f"DELETE FROM {AnnotationVersion._meta.db_table} WHERE annotation_id IN "
            f"(SELECT id FROM {Annotation._meta.db_table} WHERE task_id IN ({task_ids}))",
            [project.pk],
        )
        for model in (Annotation, TaskSkip, Prediction):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE task_id IN ({task_ids})", [project.pk]
            )
        cursor.execute(f"DELETE FROM {Task._meta.db_table} WHERE project_id = %s", [project.pk])
        if is_pg:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("DROP INDEX bench_annotation_task")
        Dataset.objects.filter(project=project).delete()
        project.delete()
        get_user_model().objects.filter(Q(auth_token__key__in=tokens) | Q(pk__in=user_ids)).delete()


def measure(args, project, tokens, client_class=Client) -> dict:
    """Start the server, run the clients, and collect their figures and the CPU accounting."""
    from django.db import connection

    reaped_before = reaped_cpu_seconds()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as var_dir:
        server = start_server(port, args.workers, args.threads, var_dir)
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
            server_ms = server_side_ms(access_log, offset)
        finally:
            stop_server(server)
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "server_ms": server_ms,
        "next_ms": [ms for c in clients for ms in c["next_ms"]],
        "submit_ms": [ms for c in clients for ms in c["submit_ms"]],
        "errors": [error for c in clients for error in c["errors"]],
        "conflicts": sum(c["conflicts"] for c in clients),
        "submitted": sum(c["submitted"] for c in clients),
        "served": [c.get("served", []) for c in clients],
        "verdicts": sum((c.get("verdicts", Counter()) for c in clients), Counter()),
    }


def print_figures(run: dict, names=("next-task", "submit")) -> None:
    for name, key in zip(names, ("next_ms", "submit_ms")):
        times = run[key]
        print(
            f"{name}: {len(times)} calls, p50 {percentile(times, .5):.1f} ms, "
            f"p95 {percentile(times, .95):.1f} ms, p99 {percentile(times, .99):.1f} ms, "
            f"max {max(times, default=0):.1f} ms"
        )
    print(f"409s {run['conflicts']}; errors {len(run['errors'])}")
    for error in run["errors"][:5]:
        print(f"  error: {error}")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode", choices=["label", "review"], default="label",
        help="label: annotators on new tasks; review: reviewers on submitted annotations",
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time per run")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean labeling time between next-task and submit (0: a closed loop at full load)",
    )
    parser.add_argument("--overlap", type=int, default=1)
    parser.add_argument(
        "--authors", type=int, default=1, help="review mode: annotators who wrote the backlog"
    )
    parser.add_argument("--priorities", choices=["random", "equal"], default="random")
    parser.add_argument(
        "--workers", type=int, help="gunicorn worker processes (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--threads", type=int, help="threaded workers with this many threads (default: sync)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the project afterwards")
    parser.add_argument(
        "--explain", action="store_true", help="print the claim's plan before and after the run"
    )
    args = parser.parse_args()

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}", flush=True)
    if args.mode == "review":
        review_main(args)
        return
    project, tokens = create_project(args.tasks, args.clients, args.overlap, args.priorities)
    explain = args.explain and connection.vendor == "postgresql"
    if explain:
        print("claim plan on the fresh project:\n" + explain_claim(project, 0), flush=True)
    connection.close()

    run = measure(args, project, tokens)
    violations = overlap_violations(project)
    if explain:
        print("claim plan after the run:\n" + explain_claim(project, 0), flush=True)
    print_figures(run)
    if not args.keep:
        delete_project(project, tokens)
    next_ms, submit_ms = run["next_ms"], run["submit_ms"]
    print(
        f"queue: {args.tasks} tasks, {args.clients} clients, "
        f"next p50 {percentile(next_ms, .5):.1f} ms p99 {percentile(next_ms, .99):.1f} ms, "
        f"submit p50 {percentile(submit_ms, .5):.1f} ms p99 {percentile(submit_ms, .99):.1f} ms, "
        f"{run['submitted'] / run['elapsed']:.0f} submits/s, overlap violations {violations}"
    )


def review_main(args) -> None:
    """The review mode (see the module docstring): one reviewer, then --clients reviewers, on
    one backlog, each run from a settled database."""
    from django.db import connection

    from platform_core.models import Role

    started = time.perf_counter()
    project, tokens = create_project(
        args.tasks, args.clients, 1, args.priorities, role=Role.REVIEWER, settle=False
    )
    author_ids = create_backlog(project=project, labels=LABELS, authors=args.authors)
    settle_database()
    print(
        f"setup: {args.tasks} items waiting for review in {time.perf_counter() - started:.1f} s "
        "(tasks, annotations, review items, VACUUM ANALYZE)",
        flush=True,
    )
    explain = args.explain and connection.vendor == "postgresql"
    lines = []
    for clients in sorted({1, args.clients}):
        if lines:
            settle_database()  # the next run starts at rest too, not behind the first's deletes
        if explain:
            plan = explain_review_claim(project, 0)
            print(f"claim plan before the {clients}-client run:\n{plan}", flush=True)
        connection.close()
        run = measure(args, project, tokens[:clients], ReviewClient)
        twice = served_to_several(run["served"]), reviewed_twice(project)
        print(f"--- {clients} reviewer(s)")
        print_figures(run, names=("next-review", "verdict"))
        mix = ", ".join(f"{n} {verdict}" for verdict, n in sorted(run["verdicts"].items()))
        print(
            f"verdicts: {mix}; items served to two clients {twice[0]}, annotations with two "
            f"stage-1 verdicts (all runs so far) {twice[1]}"
        )
        next_ms, verdict_ms = run["next_ms"], run["submit_ms"]
        lines.append(
            f"review: {args.tasks} items, {clients} clients, "
            f"next-review p50 {percentile(next_ms, .5):.1f} ms "
            f"p99 {percentile(next_ms, .99):.1f} ms, "
            f"verdict p50 {percentile(verdict_ms, .5):.1f} ms "
            f"p99 {percentile(verdict_ms, .99):.1f} ms, "
            f"{run['submitted'] / run['elapsed']:.0f} verdicts/s, double-served {sum(twice)}"
        )
    if explain:
        print("claim plan after the runs:\n" + explain_review_claim(project, 0), flush=True)
    if not args.keep:
        delete_project(project, tokens, user_ids=author_ids)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
