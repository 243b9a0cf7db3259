"""Races real claimers against one SQLite database; run by test_queue_concurrency.py.

    VAR_DIR=/tmp/x DEBUG=true DJANGO_SETTINGS_MODULE=config.settings.base \
        python tests/annotator/sqlite_claim_race.py --processes 4 --threads 2 --tasks 80

With DATABASE_URL unset the platform runs on its embedded SQLite (WAL, transactions begin
IMMEDIATE). The parent migrates and creates the tasks; each child process starts its threads,
every thread waits at one barrier shared by all, then loops claim → submit until the queue is
empty. Prints one JSON line and exits 1 if any task was claimed by two claimers or got more
annotations than the project's overlap.
"""
import argparse
import json
import multiprocessing
import os
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BARRIER_TIMEOUT_S = 120


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()


def prepare(tasks: int, claimers: int, overlap: int) -> tuple[int, list[int]]:
    from django.core.management import call_command
    from django.db import connection

    from platform_core.models import Membership, Organization, Project, Task

    call_command("migrate", verbosity=0)
    assert connection.vendor == "sqlite", connection.vendor
    org = Organization.objects.create(name="race")
    project = Project.objects.create(
        organization=org,
        name="race",
        task_type="text_classification",
        label_config={"labels": [{"value": "yes"}, {"value": "no"}]},
        overlap=overlap,
    )
    Task.objects.bulk_create(
        Task(project=project, data={"text": f"item {i}"}, checksum=f"{i:064x}")
        for i in range(tasks)
    )
    from django.contrib.auth import get_user_model

    users = [get_user_model().objects.create(username=f"claimer{i}") for i in range(claimers)]
    Membership.objects.bulk_create(Membership(user=u, organization=org) for u in users)
    connection.close()
    return project.pk, [u.pk for u in users]


def claim_loop(project_id: int, user_id: int, barrier, claimed: list) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from annotator.services import QueueConflict, annotation_submit, task_claim_next
    from platform_core.models import Project

    project = Project.objects.get(pk=project_id)
    user = get_user_model().objects.get(pk=user_id)
    # Bounded, so that a broken queue shows up as a failure instead of a hang.
    attempts = 2 * project.tasks.count()
    try:
        barrier.wait(BARRIER_TIMEOUT_S)
        for _ in range(attempts):
            task = task_claim_next(project=project, user=user)
            if task is None:
                break
            claimed.append(task.pk)
            try:
                annotation_submit(
                    task_id=task.pk, user=user, result={"labels": ["yes"]}, lead_time_s=0
                )
            except QueueConflict as conflict:  # a double claim shows up here too
                claimed.append(f"conflict:{conflict.code}")
    finally:
        connection.close()


def child(project_id: int, user_ids: list[int], barrier, results) -> None:
    setup_django()
    per_thread: dict[int, list] = {user_id: [] for user_id in user_ids}
    threads = [
        threading.Thread(
            target=claim_loop, args=(project_id, user_id, barrier, per_thread[user_id])
        )
        for user_id in user_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(per_thread)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=80)
    parser.add_argument("--overlap", type=int, default=1)
    args = parser.parse_args()

    setup_django()
    claimers = args.processes * args.threads
    project_id, user_ids = prepare(args.tasks, claimers, args.overlap)

    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(claimers), context.Queue()
    processes = [
        context.Process(
            target=child,
            args=(project_id, user_ids[i * args.threads:(i + 1) * args.threads], barrier, results),
        )
        for i in range(args.processes)
    ]
    for process in processes:
        process.start()
    claims: dict[int, list] = {}
    for _ in processes:
        claims.update(results.get(timeout=300))
    for process in processes:
        process.join()

    from django.db.models import Count

    from annotator.models import Annotation
    from platform_core.models import Task

    claimed = [task_id for ids in claims.values() for task_id in ids if isinstance(task_id, int)]
    conflicts = [c for ids in claims.values() for c in ids if isinstance(c, str)]
    by_task = Counter(claimed)
    per_task = Annotation.objects.values("task").annotate(n=Count("id")).order_by("-n")
    most_annotations = per_task.values_list("n", flat=True).first() or 0
    summary = {
        "claimers": claimers,
        "claims": len(claimed),
        "claims_per_claimer": sorted(len(ids) for ids in claims.values()),
        "claimed_more_than_overlap": sum(1 for n in by_task.values() if n > args.overlap),
        "conflicts": conflicts,
        "most_annotations_on_a_task": most_annotations,
        "annotations": Annotation.objects.count(),
        "tasks_still_locked": Task.objects.filter(locked_by__isnull=False).count(),
        "exit_codes": [p.exitcode for p in processes],
    }
    print(json.dumps(summary))
    ok = (
        summary["claimed_more_than_overlap"] == 0
        and not conflicts
        and most_annotations <= args.overlap
        and summary["annotations"] == args.tasks * args.overlap
        and all(code == 0 for code in summary["exit_codes"])
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
