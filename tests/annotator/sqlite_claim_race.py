"""Races real claimers against one SQLite database; run by test_queue_concurrency.py.

    VAR_DIR=/tmp/x DEBUG=true DJANGO_SETTINGS_MODULE=config.settings.base \
        python tests/annotator/sqlite_claim_race.py --processes 4 --threads 2 --tasks 80

With DATABASE_URL unset the platform runs on its embedded SQLite (WAL, transactions begin
IMMEDIATE). The parent migrates and creates the tasks; each child process starts its threads,
every thread waits at one barrier shared by all, then loops claim → submit until the queue is
empty. With --review, as many reviewers then race the same way through the review queue
(next-review → accept). Prints one JSON line and exits 1 if any task was claimed by two
claimers, got more annotations than the project's overlap, or any item got two verdicts.
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


def prepare(tasks: int, claimers: int, overlap: int) -> tuple[int, list[int], list[int]]:
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
    reviewers = [get_user_model().objects.create(username=f"reviewer{i}") for i in range(claimers)]
    Membership.objects.bulk_create(
        Membership(user=u, organization=org, role="reviewer") for u in reviewers
    )
    connection.close()
    return project.pk, [u.pk for u in users], [u.pk for u in reviewers]


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


def review_loop(project_id: int, user_id: int, barrier, reviewed: list) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from annotator.models import Annotation
    from annotator.review_selectors import review_item_subject
    from annotator.services import (
        QueueConflict,
        review_item_claim_next,
        review_item_for_verdict,
        review_record,
    )
    from platform_core.models import Project

    project = Project.objects.get(pk=project_id)
    user = get_user_model().objects.get(pk=user_id)
    attempts = 2 * project.tasks.count()
    try:
        barrier.wait(BARRIER_TIMEOUT_S)
        for _ in range(attempts):
            item = review_item_claim_next(project=project, user=user)
            if item is None:
                break
            # What the review page shows, read with the same SQL as on PostgreSQL.
            subject = review_item_subject(item=item)
            if subject["annotation"].pk != item.annotation_id or subject["result"] is None:
                reviewed.append("conflict:wrong_subject")
            reviewed.append(item.annotation_id)
            try:
                with transaction.atomic():
                    annotation = Annotation.objects.get(pk=item.annotation_id)
                    held = review_item_for_verdict(user=user, annotation=annotation)
                    review_record(item=held, reviewer=user, verdict="accept")
            except QueueConflict as conflict:
                reviewed.append(f"conflict:{conflict.code}")
    finally:
        connection.close()


LOOPS = {"label": claim_loop, "review": review_loop}


def child(loop: str, project_id: int, user_ids: list[int], barrier, results) -> None:
    setup_django()
    per_thread: dict[int, list] = {user_id: [] for user_id in user_ids}
    threads = [
        threading.Thread(
            target=LOOPS[loop], args=(project_id, user_id, barrier, per_thread[user_id])
        )
        for user_id in user_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(per_thread)


def rows_load_as_the_orm_does(project_id: int, user_id: int) -> bool:
    """platform_core.sql's hand-written reads give what the ORM gives on SQLite too: aware
    datetimes, Decimal money (the backend's converters, not only the fields')."""
    from django.contrib.auth import get_user_model

    from platform_core.models import Project
    from platform_core.selectors import project_get_for_user

    user = get_user_model().objects.get(pk=user_id)
    loaded = project_get_for_user(user=user, project_id=project_id)
    by_orm = Project.objects.get(pk=project_id)
    # The note a rejected task shows its next annotator, read by a raw cursor.
    from annotator.models import Review
    from annotator.selectors import review_note

    task = by_orm.tasks.order_by("id").first()
    rejected = Review.objects.create(
        task=task, kind="spot_check", reviewer=user, verdict="reject", reviewed_result={},
        comment="Wrong label.",
    )
    note = review_note(task=task)
    rejected.delete()
    return (
        loaded.created_at == by_orm.created_at
        and loaded.created_at.tzinfo is not None
        and type(loaded.hourly_rate) is type(by_orm.hourly_rate)
        and note is not None
        and note["comment"] == "Wrong label."
        and note["created_at"] == rejected.created_at
    )


def race(loop: str, project_id: int, user_ids: list[int], args) -> dict[int, list]:
    """Run `loop` in args.threads threads of args.processes processes, all released by one
    barrier; {user id: what the loop recorded}."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(user_ids)), context.Queue()
    processes = [
        context.Process(
            target=child,
            args=(loop, project_id, user_ids[i * args.threads:(i + 1) * args.threads], barrier,
                  results),
        )
        for i in range(args.processes)
    ]
    for process in processes:
        process.start()
    recorded: dict[int, list] = {}
    for _ in processes:
        recorded.update(results.get(timeout=300))
    for process in processes:
        process.join()
        if process.exitcode != 0:
            recorded[f"exit:{process.pid}"] = [f"exit code {process.exitcode}"]
    return recorded


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=80)
    parser.add_argument("--overlap", type=int, default=1)
    parser.add_argument("--review", action="store_true", help="then race reviewers too")
    args = parser.parse_args()

    setup_django()
    claimers = args.processes * args.threads
    project_id, user_ids, reviewer_ids = prepare(args.tasks, claimers, args.overlap)
    claims = race("label", project_id, user_ids, args)
    reviews = race("review", project_id, reviewer_ids, args) if args.review else {}

    from django.db.models import Count

    from annotator.models import Annotation, Review, ReviewItem
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
    }
    summary["rows_load_as_the_orm_does"] = rows_load_as_the_orm_does(project_id, user_ids[0])
    if args.review:
        served = [a for ids in reviews.values() for a in ids if isinstance(a, int)]
        summary.update(
            reviews=Review.objects.count(),
            review_conflicts=[c for ids in reviews.values() for c in ids if isinstance(c, str)],
            reviewed_twice=sum(1 for n in Counter(served).values() if n > 1),
            review_items_left=ReviewItem.objects.count(),
            tasks_accepted=Task.objects.filter(status="accepted").count(),
        )
    print(json.dumps(summary))
    ok = (
        summary["rows_load_as_the_orm_does"]
        and summary["claimed_more_than_overlap"] == 0
        and not conflicts
        and most_annotations <= args.overlap
        and summary["annotations"] == args.tasks * args.overlap
        and not any(str(key).startswith("exit:") for key in [*claims, *reviews])
    )
    if args.review:
        ok = ok and not summary["review_conflicts"] and summary["reviewed_twice"] == 0
        ok = ok and summary["reviews"] == summary["annotations"] == summary["tasks_accepted"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
