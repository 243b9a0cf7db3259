"""Times the home page's project list at 1,000 projects, in process (Django's test client).

    createdb -h 127.0.0.1 -U postgres annotate_list_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_list_bench DEBUG=true \
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_list_bench \
        .venv/bin/python bench/project_list_bench.py --projects 1000

Builds one organization with --projects projects (bulk inserts), each with --tasks tasks in
mixed states, an import job on every third project and an accepted task on every other, so that
"recent activity" and "has work for me" have rows to look at; a manager and an annotator of it.
Then each page below is requested --repeat times (after a few unmeasured warm-ups) and its p50 and
p95 printed beside a floor measured in the same run: GET /api/v1/organizations/ for the same
session (authentication, one query, JSON), which says how fast this machine answers anything
right now (it varies 2-3x with the load of others). The query count of one home page request is
printed too. The organization and its users are deleted at the end unless --keep.

Last line: `project list: N projects, home p50 X ms (floor Y ms, ratio R), queries Q`.
"""
import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

from page_timing import signed_in, time_urls  # noqa: E402 - bench/ is on the path

WARMUP_ROUNDS = 3
STATUS_CYCLE = ["new", "new", "suggested", "submitted", "accepted"]


def build(projects: int, tasks: int):
    """The organization, its projects and their tasks, set-based; returns (org, manager, annotator)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from platform_core.models import ImportJob, Membership, Organization, Project, Task

    run = time.strftime("%Y%m%d-%H%M%S")
    org = Organization.objects.create(name=f"List bench {run}")
    users = get_user_model().objects
    manager = users.create_user(f"list-bench-manager-{run}", password=None)
    annotator = users.create_user(f"list-bench-annotator-{run}", password=None)
    Membership.objects.create(organization=org, user=manager, role="manager")
    Membership.objects.create(organization=org, user=annotator, role="annotator")
    config = {"labels": [{"value": "positive"}, {"value": "negative"}]}
    rows = Project.objects.bulk_create(
        (
            Project(organization=org, name=f"Customer project {i:05d}", task_type="text_classification",
                    label_config=config, kind="product" if i % 4 == 0 else "custom")
            for i in range(projects)
        ),
        batch_size=1000,
    )
    now = timezone.now()
    Task.objects.bulk_create(
        (
            Task(
                project=project, data={"text": f"item {n}"}, checksum=f"{project.pk}-{n}",
                status=STATUS_CYCLE[(project.pk + n) % len(STATUS_CYCLE)],
                accepted_at=now if STATUS_CYCLE[(project.pk + n) % len(STATUS_CYCLE)] == "accepted" else None,
            )
            for project in rows
            for n in range(tasks)
        ),
        batch_size=5000,
    )
    ImportJob.objects.bulk_create(
        ImportJob(project=project, source_name="batch.jsonl", file_size=1) for project in rows[::3]
    )
    return org, manager, annotator


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=20, help="tasks per project")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the organization afterwards")
    args = parser.parse_args()
    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per force_login otherwise

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    org, manager, annotator = build(args.projects, args.tasks)
    print(f"built {args.projects} projects x {args.tasks} tasks in {time.perf_counter() - started:.1f} s "
          f"on {connection.vendor}")
    try:
        floor_url = "/api/v1/organizations/"
        pages = {
            "manager": (manager, {
                "floor": floor_url,
                "home (recent activity)": "/",
                "home page 20": "/?page=20",
                "home search + type + work": "/?q=project+004&task_type=text_classification&work=on",
                "home by name": "/?sort=name",
            }),
            "annotator": (annotator, {"floor": floor_url, "home (work first)": "/"}),
        }
        home_p50 = floor_p50 = 0.0
        for who, (user, urls) in pages.items():
            times = time_urls(signed_in(user), urls, args.repeat, WARMUP_ROUNDS)
            floor = statistics.median(times["floor"])
            for name, values in times.items():
                p50, p95 = statistics.median(values), percentile(values, 0.95)
                ratio = "" if name == "floor" else f"  ({p50 / floor:.1f}x floor)"
                print(f"{who:9s} {name:28s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms{ratio}")
            if who == "manager":
                home_p50, floor_p50 = statistics.median(times["home (recent activity)"]), floor
        client = signed_in(manager)
        with CaptureQueriesContext(connection) as captured:
            client.get("/")
        print(f"project list: {args.projects} projects, home p50 {home_p50:.1f} ms "
              f"(floor {floor_p50:.1f} ms, ratio {home_p50 / floor_p50:.1f}), queries {len(captured)}")
    finally:
        if not args.keep:
            users = [manager, annotator]
            org.delete()
            for user in users:
                user.delete()


if __name__ == "__main__":
    main()
