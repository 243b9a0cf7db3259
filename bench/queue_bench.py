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
time per request, which tell queueing on a busy machine apart from slow code (the server and the
accounting: bench/queue_bench_server.py); --cpu-by-endpoint adds the CPU that each endpoint's
requests take in the application.

The same clients then call a floor endpoint (an authenticated request that does no work,
bench/queue_bench_urls.py) for as long, and one reviewer client pages through the task list
(bench/queue_bench_list.py; --no-task-list skips it): milliseconds differ 3x between machines,
multiples of the floor measured in the same run do not.

Last lines: `task list: N tasks, 1 client, P pages, p50 X ms p99 Y ms; floor …; ratio …` and
`queue: N tasks, K clients, next p50 X ms p99 Y ms, submit p50 X ms p99 Y ms, R submits/s,
overlap violations V; floor p50 F ms p99 G ms; next A x p50 / B x p99; submit C x p50 / D x p99`.

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
import http.client
import json
import os
import random
import sys
import time
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
from queue_bench_list import floor_clause, floor_run, list_run  # noqa: E402
from queue_bench_server import (  # noqa: E402
    measure,
    percentile,
    print_cpu_by_endpoint,
    print_server_figures,
)

WARMUP_ROUNDS = 5
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
    print_server_figures(run)
    if any(run["request_cpu_ms"].values()):
        print_cpu_by_endpoint(run, names)


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
        "--no-task-list", action="store_true", help="skip timing the task list (one client)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the claim's plan before and after the run"
    )
    parser.add_argument(
        "--cpu-by-endpoint", action="store_true",
        help="time each request's CPU in the worker and print it per endpoint",
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

    run = measure(args, project, tokens, Client)
    floor = floor_run(args, project, tokens)
    violations = overlap_violations(project)
    if explain:
        print("claim plan after the run:\n" + explain_claim(project, 0), flush=True)
    print_figures(run)
    listing = None if args.no_task_list else list_run(args, project)
    if not args.keep:
        delete_project(project, tokens)
    if listing:
        print(listing)
    next_ms, submit_ms = run["next_ms"], run["submit_ms"]
    print(
        f"queue: {args.tasks} tasks, {args.clients} clients, "
        f"next p50 {percentile(next_ms, .5):.1f} ms p99 {percentile(next_ms, .99):.1f} ms, "
        f"submit p50 {percentile(submit_ms, .5):.1f} ms p99 {percentile(submit_ms, .99):.1f} ms, "
        f"{run['submitted'] / run['elapsed']:.0f} submits/s, overlap violations {violations}; "
        + floor_clause(run, floor)
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
            plan = explain_review_claim(project)
            print(f"claim plan before the {clients}-client run:\n{plan}", flush=True)
        connection.close()
        run = measure(args, project, tokens[:clients], ReviewClient)
        floor = floor_run(args, project, tokens[:clients])
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
            f"{run['submitted'] / run['elapsed']:.0f} verdicts/s, double-served {sum(twice)}; "
            + floor_clause(run, floor).replace("next ", "next-review ").replace("submit ", "verdict ")
        )
    if explain:
        print("claim plan after the runs:\n" + explain_review_claim(project), flush=True)
    if not args.keep:
        delete_project(project, tokens, user_ids=author_ids)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
