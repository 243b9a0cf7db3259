"""Times a text import through the same code the API's worker runs (import_job_create + import_run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_bench .venv/bin/python bench/import_bench.py --tasks 100000

Last line: `import: N tasks in S s = R tasks/s, peak RSS M MB`.
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
    )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tasks.jsonl"
        write_tasks(source, args.tasks)
        print(f"database: {connection.vendor}; file: {source.stat().st_size} bytes", flush=True)
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
    print(
        f"import: {args.tasks} tasks in {elapsed:.2f} s = {args.tasks / elapsed:.0f} tasks/s, "
        f"peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
