"""Times a text import through the same code the API's worker runs (import_job_create + import_run),
against the floor the database sets, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_bench .venv/bin/python bench/import_bench.py --tasks 100000

The floor: the same rows, as the import stores them (data, checksum and the task's other
columns), loaded into a scratch table that has the same unique (project, checksum) index, in one
transaction: COPY on PostgreSQL, executemany of one INSERT on SQLite. Its input is prepared
before the clock starts, so it times the database alone. The ratio of the two is what the
import's own work costs, and holds on machines of different speeds where seconds do not.
Peak RSS is the import's (taken before the floor runs).

The line before the last times the same load into a copy of the task table with all its
indexes and foreign keys: the part of the import's time the schema itself costs.

`--queue-order random` (or uncertainty) times an import whose rows each carry their queue
priority; the floor and the schema copy still load priority 0, which the priority indexes take
as appends where random priorities land all over them.

Last line: `import: N tasks in S s = R tasks/s, COPY floor F s, ratio X, peak RSS M MB`.
"""
import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

TOPICS = ["sports", "politics", "technology", "weather", "music", "finance"]
WORDS = "the a match vote chip storm song market rose fell new old big small fast slow".split()


def write_tasks(path: Path, count: int) -> None:
    rng = random.Random(7)
    with path.open("w") as out:
        for index in range(count):
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            text = f"{index}: {rng.choice(TOPICS)} {words}"
            out.write(json.dumps({"text": text, "source": "bench"}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument(
        "--queue-order", default="sequential", choices=("sequential", "random", "uncertainty"),
        help="the project's queue order: under random and uncertainty each row carries its priority",
    )
    args = parser.parse_args()

    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    from platform_core.imports.runner import import_run
    from platform_core.imports.services import import_job_create
    from platform_core.models import Organization, Project

    call_command("migrate", verbosity=0)
    org, _ = Organization.objects.get_or_create(name="Benchmarks")
    project = Project.objects.create(
        organization=org,
        name=f"import bench {time.time_ns()}",
        task_type="text_classification",
        label_config={"labels": [{"value": topic} for topic in TOPICS]},
        queue_order=args.queue_order,
    )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tasks.jsonl"
        write_tasks(source, args.tasks)
        print(
            f"database: {connection.vendor}; file: {source.stat().st_size} bytes; "
            f"queue order: {args.queue_order}", flush=True,
        )
        started = time.perf_counter()
        with source.open("rb") as handle:
            job = import_job_create(
                project=project, user=None, upload=File(handle, name=source.name), enqueue=False
            )
        job = import_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
        assert job.status == "succeeded", job.message
        assert job.imported == args.tasks, (job.imported, job.duplicates, job.error_count)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        floor = copy_floor(source, Path(folder), project.pk, job.dataset_id)
        schema = copy_floor(source, Path(folder), project.pk, job.dataset_id, whole_schema=True)
    print(
        f"the same rows into a copy of the task table with all its indexes and foreign keys: "
        f"{schema:.2f} s (import / that = {elapsed / schema:.2f})"
    )
    print(
        f"import: {args.tasks} tasks in {elapsed:.2f} s = {args.tasks / elapsed:.0f} tasks/s, "
        f"COPY floor {floor:.2f} s, ratio {elapsed / floor:.2f}, peak RSS {peak_mb:.0f} MB"
    )


FLOOR_TABLE = "bench_import_floor"


def copy_floor(
    source: Path, folder: Path, project_id: int, dataset_id: int, whole_schema: bool = False
) -> float:
    """Seconds to load the file's rows into a scratch table with the task table's columns and
    its unique (project, checksum) index alone, in one transaction (see the module docstring).
    `whole_schema`: with every index and foreign key of the task table instead, which is what
    the database must do for an import whoever writes it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from platform_core.imports.records import data_record
    from platform_core.models import Task

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        table = Task._meta.db_table
        if connection.vendor == "postgresql" and whole_schema:
            cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE {table} INCLUDING ALL)")
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f'", [table],
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {FLOOR_TABLE} ADD {definition}")
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TABLE {FLOOR_TABLE} (LIKE {table} INCLUDING DEFAULTS "
                "INCLUDING IDENTITY, PRIMARY KEY (id))"
            )
        else:  # SQLite has no LIKE: the same columns, from the task table's own DDL
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            ddl = cursor.fetchone()[0].replace(f'"{table}"', FLOOR_TABLE, 1)
            cursor.execute(ddl if whole_schema else _without_references(ddl))
            if whole_schema:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL", [table],
                )
                for name, sql in cursor.fetchall():
                    cursor.execute(
                        sql.replace(f'"{name}"', f'"{FLOOR_TABLE}_{name}"', 1).replace(f'"{table}"', FLOOR_TABLE, 1)
                    )
        if not whole_schema:
            cursor.execute(f"CREATE UNIQUE INDEX {FLOOR_TABLE}_unique ON {FLOOR_TABLE} (project_id, checksum)")
    columns = ("project_id", "dataset_id", "data", "meta", "media", "media_type", "checksum", "status",
               "priority", "annotation_count", "created_at", "updated_at")
    # Tab-separated: JSON text holds no raw tab or newline. COPY's text format also reads
    # backslashes as escapes, so they are doubled for it.
    escape = _copy_text if connection.vendor == "postgresql" else str
    rows = folder / "floor.tsv"
    with source.open("rb") as lines, rows.open("w") as out:
        for number, line in enumerate(lines):
            record = data_record(number, json.loads(line))
            out.write(f"{project_id}\t{dataset_id}\t{escape(record.data_json)}\t{{}}\t\t\t"
                      f"{record.checksum}\tnew\t0\t0\t{now.isoformat()}\t{now.isoformat()}\n")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, rows.open("rb") as data:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {FLOOR_TABLE} ({', '.join(columns)}) FROM STDIN") as copy:
                for block in iter(lambda: data.read(1 << 20), b""):
                    copy.write(block)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {FLOOR_TABLE} ({', '.join(columns)}) VALUES ({placeholders})",
                (_sqlite_row(line) for line in data),
            )
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR_TABLE}")
    return elapsed


def _copy_text(text: str) -> str:
    return text.replace("\\", "\\\\")


def _sqlite_row(line: bytes) -> list:
    values = line.decode().rstrip("\n").split("\t")
    return [int(values[0]), int(values[1]), *values[2:8], float(values[8]), int(values[9]), values[10], values[11]]


def _without_references(ddl: str) -> str:
    """The table's DDL without its foreign keys (a scratch table refers to nothing)."""
    import re

    return re.sub(r" REFERENCES \"[^\"]+\" \(\"[^\"]+\"\)( DEFERRABLE INITIALLY DEFERRED)?", "", ddl)


if __name__ == "__main__":
    main()
