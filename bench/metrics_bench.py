"""Times what a project manager waits for on a large project: the metrics API, the dashboard
page and the exports, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres annotate_metrics_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_metrics_bench \
        .venv/bin/python bench/metrics_bench.py --tasks 1000000 --annotations 200000

The project (text classification, overlap 1, an hourly rate, a 10% suggestion holdout,
auto-accept at 0.9) gets --tasks tasks from the import writer (COPY), then a month of work from
set-based statements over a plan table (one row per task worked on): --annotations annotations
by 20 annotators (a few do most) over the last 30 days, 2% untimed; a suggestion on 90% of them
(held-out tasks have one the annotator did not see: the uplift's control group), 30% changed;
stage-1 reviews of 90% by 3 reviewers (80% accept, 15% correct, 5% reject), the rest pending;
a tenth as many tasks auto-accepted, 10% sampled for a spot-check and 80% of those checked.
Tasks end as the services leave them (status, accepted_result, accepted_at). The project is
deleted at the end unless --keep; --reuse keeps it and skips the build next time.

Timed in process through Django's test client as a manager, interleaved: the metrics call
(?window=30d&bucket=day), the dashboard page (its HTML: the page fetches the metrics itself)
and, as the reference, GET /api/v1/projects/{id}/ (DEBUG on, as in the other in-process
benches); then the CPU time of a metrics call (Django's and the database's: a figure other
load on the machine barely changes), and one more call's SQL, slowest first (--explain: the
slowest three's plans).

Each export format of the type streams from `manage.py export_project` in a child process to a
pipe, --export-runs times (the run of median rate is reported): first byte from the child's
start (Python's and Django's start-up included: the same command for no project is timed as its
reference, and the API's first byte in process beside it), rows/s from first to last byte, and
the child's peak RSS (wait4). The floor: `COPY (SELECT id, data …) TO STDOUT` of the same rows.

Last line: `metrics: p50 X ms; dashboard p50 Y ms; export jsonl R rows/s, first byte F ms,
peak RSS M MB`.
"""
import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

from queue_bench_server import percentile  # noqa: E402

from metrics_bench_build import build_project, remove_project  # noqa: E402 - bench/ is on the path
from page_timing import signed_in, time_urls  # noqa: E402
from queue_bench import settle_database  # noqa: E402

WARMUP_ROUNDS = 2
READ_SIZE = 1 << 20  # bytes per read of the child's pipe


# -- the pages ---------------------------------------------------------------------------------


def time_pages(project, manager, repeat: int) -> dict[str, list[float]]:
    """Milliseconds per call of each page, as the manager, after WARMUP_ROUNDS unmeasured."""
    client = signed_in(manager)
    urls = {
        "reference": f"/api/v1/projects/{project.pk}/",
        "metrics": f"/api/v1/projects/{project.pk}/metrics/?window=30d&bucket=day",
        "dashboard": f"/projects/{project.pk}/dashboard/",
    }
    return time_urls(client, urls, repeat, WARMUP_ROUNDS)


def metrics_cpu(project, manager, repeat: int) -> tuple[float, float]:
    """CPU milliseconds per metrics call (mean of `repeat`): this process's (Django) and its
    database backend's (from /proc; the server runs on this machine), with parallel query
    workers off so that the backend does all of the database's work. Unlike the wall time,
    CPU time barely grows when other work shares the cores: on an idle machine the call
    takes about their sum (or less, with the parallel workers on)."""
    from django.db import connection

    client = signed_in(manager)
    url = f"/api/v1/projects/{project.pk}/metrics/?window=30d&bucket=day"
    client.get(url)  # the connection is opened (and kept: CONN_MAX_AGE) before measuring
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        cursor.execute("SET max_parallel_workers_per_gather = 0")

    def backend_ms() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    web = database = 0.0
    try:
        for _ in range(repeat):
            web_started, database_started = time.process_time(), backend_ms()
            client.get(url)
            web += (time.process_time() - web_started) * 1000
            database += backend_ms() - database_started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")
    return web / repeat, database / repeat


def metrics_queries(project, manager, explain: bool) -> None:
    """One more metrics call with its SQL captured: the statements slowest first (and with
    `explain`, the plans of the slowest three), and the figures it found."""
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(manager)  # before the capture: signing in runs its own statements
    url = f"/api/v1/projects/{project.pk}/metrics/?window=30d&bucket=day"
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in queries) * 1000
    print(f"metrics SQL: {len(queries)} statements, {total:.0f} ms in the database; slowest:")
    for query in queries[:6]:  # sql is None where Django could not render the parameters
        text = " ".join((query["sql"] or "(not rendered)").split())
        print(f"  {float(query['time']) * 1000:7.1f} ms  {text[:150]}")
    if explain:
        with connection.cursor() as cursor:
            for query in [query for query in queries if query["sql"]][:3]:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n    ".join(row[0] for row in cursor.fetchall())
                print(f"  plan of {' '.join(query['sql'].split())[:100]} …\n    {plan}")
    # What the call found: a build that feeds a section nothing shows here.
    figures = json.loads(response.content)
    throughput, machine = figures["throughput"]["total"], figures["machine"]
    uplift, cost = figures["suggestions"]["uplift"], figures["cost"]
    print(f"figures: submitted {throughput['submitted']}, accepted {throughput['accepted']} in "
          f"30 days; {len(figures['annotators'])} annotators; machine share "
          f"{machine['share']['value'] or 0:.3f} (auto {machine['auto_accepted']}, unchanged "
          f"{machine['accepted_unchanged']}); uplift {uplift['difference_s']} s (n "
          f"{uplift['n_with']} / {uplift['n_without']}); cost per item {cost['per_item']['value']},"
          f" ETA {cost['eta']['days']} days; queue {figures['queue']['by_status']}")


# -- the exports -------------------------------------------------------------------------------


def stream_export(project_id: int, export_format: str, check: bool = True) -> dict:
    """`manage.py export_project` to a pipe, read to the end; the child's figures. The command
    flushes after its last chunk, so the last byte is the end of the export and end of file
    comes after the interpreter's shutdown."""
    command = [sys.executable, str(ROOT / "manage.py"), "export_project", str(project_id),
               "--format", export_format]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors)
        first = last = None
        size = lines = 0
        fd = child.stdout.fileno()
        while chunk := os.read(fd, READ_SIZE):
            last = time.perf_counter()
            first = first or last
            size += len(chunk)
            lines += chunk.count(b"\n")
        ended = time.perf_counter()
        child.stdout.close()
        # wait4, not RUSAGE_CHILDREN: that is the largest child so far, not this one.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        if check and child.returncode != 0:
            sys.exit(f"export_project --format {export_format} exited with {child.returncode}:"
                     f"\n{errors.read().decode(errors='replace')[-2000:]}")
    first, last = first or ended, last or ended
    return {"bytes": size, "lines": lines, "seconds": ended - started,
            "first_ms": (first - started) * 1000, "stream_s": last - first,
            "peak_mb": usage.ru_maxrss / 1024}


def api_first_byte(project, manager, export_format: str, repeat: int = 3) -> float:
    """Median milliseconds from GET /api/v1/projects/{id}/export/ to its first chunk, in
    process (no interpreter start-up); the rest of the stream is not read."""
    client, times = signed_in(manager), []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(f"/api/v1/projects/{project.pk}/export/?format={export_format}")
        next(iter(response.streaming_content))
        times.append((time.perf_counter() - started) * 1000)
        response.close()
    return sorted(times)[len(times) // 2]


def copy_floor(project) -> tuple[float, int]:
    """Seconds and bytes of `COPY (SELECT id, data …) TO STDOUT` of the exported tasks, read
    as the export reads them: in id order from the index of final tasks. Left to itself the
    planner answers the whole COPY with a parallel scan of every task, a sort and JIT, which
    took twice as long as the export's own index reads (a floor above the thing it bounds)."""
    from django.db import connection, transaction

    from platform_core.exports.reader import FINAL_STATUSES
    from platform_core.models import Task

    statuses = ", ".join(f"'{status}'" for status in FINAL_STATUSES)
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "jit"):
            cursor.execute(f"SET LOCAL {setting} = off")
        size, started = 0, time.perf_counter()
        with connection.connection.cursor() as raw, raw.copy(
            f"COPY (SELECT id, data FROM {Task._meta.db_table} WHERE project_id = {project.pk} "
            f"AND status IN ({statuses}) ORDER BY id) TO STDOUT"
        ) as copy:
            for data in copy:
                size += len(data)
        return time.perf_counter() - started, size


def time_exports(project, manager, runs: int) -> dict[str, dict]:
    """Each format `runs` times; the run of median rate stands for it (one run on a shared
    machine can lose half its rate to a neighbour), with the largest peak RSS of all."""
    from platform_core.exports import export_formats_for
    from platform_core.exports.reader import FINAL_STATUSES

    rows = project.tasks.filter(status__in=FINAL_STATUSES).count()
    copy_s, copy_bytes = copy_floor(project)
    copy_rate = rows / copy_s
    print(f"COPY floor: {rows} rows, {copy_bytes / 1e6:.1f} MB in {copy_s * 1000:.0f} ms = "
          f"{copy_rate:,.0f} rows/s")
    # The same command for no project: Python's and Django's start-up and shutdown, no export.
    startup = stream_export(0, "jsonl", check=False)
    print(f"export_project start-up and exit (no such project): {startup['seconds'] * 1000:.0f}"
          f" ms, peak RSS {startup['peak_mb']:.0f} MB")
    results = {}
    for export_format in export_formats_for(project.task_type):
        tries = []
        for _ in range(runs):
            run = stream_export(project.pk, export_format)
            if export_format == "jsonl" and run["lines"] != rows:
                sys.exit(f"jsonl export has {run['lines']} lines for {rows} accepted tasks")
            run["rate"] = rows / run["stream_s"] if run["stream_s"] else float("inf")
            tries.append(run)
        tries.sort(key=lambda run: run["rate"])
        run = {**tries[len(tries) // 2], "peak_mb": max(run["peak_mb"] for run in tries)}
        api_ms = api_first_byte(project, manager, export_format)
        print(
            f"export {export_format}: {rows} rows, {run['bytes'] / 1e6:.1f} MB in "
            f"{run['seconds']:.2f} s to exit ({rows / run['seconds']:,.0f} rows/s); streamed at "
            f"{run['rate']:,.0f} rows/s (runs {tries[0]['rate']:,.0f} to {tries[-1]['rate']:,.0f})"
            f" = {run['rate'] / copy_rate:.2f} x COPY; first byte {run['first_ms']:.0f} ms from "
            f"start (API in process: {api_ms:.0f} ms); peak RSS {run['peak_mb']:.0f} MB",
            flush=True)
        results[export_format] = run
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--annotations", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per page (>= 2)")
    parser.add_argument("--export-runs", type=int, default=3, help="the median one is reported")
    parser.add_argument("--keep", action="store_true", help="keep the project afterwards")
    parser.add_argument("--reuse", action="store_true", help="keep it, reuse it next time")
    parser.add_argument("--explain", action="store_true", help="plans of the slowest metrics SQL")
    args = parser.parse_args()
    if args.tasks < 2 * args.annotations or args.annotations < 10:
        parser.error("needs --tasks >= 2 x --annotations and --annotations >= 10")
    if args.repeat < 2 or args.export_runs < 1:
        parser.error("needs --repeat >= 2 and --export-runs >= 1")

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per force_login otherwise
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from platform_core.models import Project, Role

    if connection.vendor != "postgresql":
        sys.exit("metrics_bench builds with PostgreSQL's SQL: set DATABASE_URL to a scratch one")
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=0)
    print(f"database: {connection.settings_dict['NAME']} on PostgreSQL "
          f"{connection.pg_version // 10000}", flush=True)
    name = f"metrics bench {args.tasks} tasks {args.annotations} annotations"
    project = Project.objects.filter(name=name, deleting=False).first() if args.reuse else None
    if project is not None:
        print(f"reusing project {project.pk} ({name})", flush=True)
        if pending:  # the migrations may have rewritten tables: statistics as after a build
            settle_database()
    else:
        print(f"building: {name}", flush=True)
        if not args.reuse:
            name += f" {time.strftime('%Y%m%d-%H%M%S')}"
        project = build_project(name=name, tasks=args.tasks, annotations=args.annotations)
    manager = get_user_model().objects.get(username=f"mbench-{project.pk}-{Role.MANAGER}-0")

    try:
        times = time_pages(project, manager, args.repeat)
        reference = percentile(times["reference"], 0.5)
        for page in ("reference", "metrics", "dashboard"):
            p50, p99 = percentile(times[page], 0.5), percentile(times[page], 0.99)
            print(f"{page}: {args.repeat} calls, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                  f"max {max(times[page]):.1f} ms = {p50 / reference:.1f} x the reference")
        web_ms, database_ms = metrics_cpu(project, manager, args.repeat)
        print(f"metrics CPU per call: web {web_ms:.0f} ms + database {database_ms:.0f} ms = "
              f"{web_ms + database_ms:.0f} ms (one backend, no parallel workers)")
        metrics_queries(project, manager, args.explain)
        exports = time_exports(project, manager, args.export_runs)
    finally:
        if not (args.keep or args.reuse):
            remove_project(project)
    jsonl = exports["jsonl"]
    print(
        f"metrics: p50 {percentile(times['metrics'], 0.5):.0f} ms; "
        f"dashboard p50 {percentile(times['dashboard'], 0.5):.0f} ms; "
        f"export jsonl {jsonl['rate']:.0f} rows/s, first byte {jsonl['first_ms']:.0f} ms, "
        f"peak RSS {jsonl['peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
