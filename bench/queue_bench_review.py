"""The review side of bench/queue_bench.py: a project whose every task waits for review, the
reviewer client, and the checks that no item reached two reviewers at once.

The backlog is written by three set-based statements, whatever its size: one annotation per task
(`submitted`, by one of --authors annotators in turn), the tasks marked `submitted` with their one
annotation, and one stage-1 review item per annotation, as review_items_enqueue_submitted leaves
them: 4.5 s, 16 s and 5 s at 10^6 tasks on a two-core machine.

The number of authors mattered to the claim's generic plan while it estimated `author_id <> $1`
from the number of distinct authors in the whole table: with a single author that is zero rows,
and the plan sorted the whole queue (180 to 750 ms a claim at 10^6 items, 0.1 ms with the index
walk that 20 authors get; annotator/services/review_queue.py says how the claim avoids it).
--explain prints the plan the server gets; try it with --authors 1 and 20.
"""
import json
import time
from collections import Counter

# A realistic mix of verdicts: most work is fine, some needs a fix, a little is sent back.
VERDICT_SHARES = (("accept", 0.80), ("correct", 0.15), ("reject", 0.05))
REJECT_COMMENT = "The text is about delivery, not the product: please label it again."


def create_backlog(*, project, labels: list[str], authors: int = 1) -> list[int]:
    """One submitted annotation and one pending stage-1 review item per task of `project`,
    written in turn by `authors` new annotators of the project's organization; returns their
    ids.

    Precondition: the project's tasks are fresh (no annotations, status new).
    """
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from annotator.models import Annotation, AnnotationStatus, ReviewItem, ReviewKind
    from platform_core.models import Membership, Role, Task, TaskStatus

    author_ids = []
    for index in range(authors):
        author = get_user_model().objects.create(username=f"qbench-author-{project.pk}-{index}")
        Membership.objects.create(
            user=author, organization=project.organization, role=Role.ANNOTATOR
        )
        author_ids.append(author.pk)
    params = {
        "project": project.pk,
        "authors": author_ids,
        "labels": labels,
        "count": len(labels),
        "now": timezone.now(),
        "submitted": AnnotationStatus.SUBMITTED.value,
        "task_submitted": TaskStatus.SUBMITTED.value,
        "kind": ReviewKind.ANNOTATION.value,
    }
    task, annotation, item = (
        model._meta.db_table for model in (Task, Annotation, ReviewItem)
    )
    steps = (
        # Authors and labels cycle with the task id: every label is under review somewhere.
        ("annotations", f"""
            INSERT INTO {annotation} (task_id, project_id, annotator_id, result, lead_time_s,
                                      status, created_at, updated_at)
            SELECT t.id, t.project_id, (%(authors)s::int[])[1 + t.id %% cardinality(%(authors)s::int[])],
                   jsonb_build_object('labels', jsonb_build_array(
                       (%(labels)s::text[])[1 + t.id %% %(count)s])),
                   5.0, %(submitted)s, %(now)s, %(now)s
            FROM {task} t WHERE t.project_id = %(project)s ORDER BY t.id"""),
        ("tasks", f"""
            UPDATE {task} SET status = %(task_submitted)s, annotation_count = 1,
                              updated_at = %(now)s
            WHERE project_id = %(project)s"""),
        ("review items", f"""
            INSERT INTO {item}
                (project_id, task_id, annotation_id, kind, stage, author_id, created_at)
            SELECT %(project)s, a.task_id, a.id, %(kind)s, 1, a.annotator_id, a.created_at
            FROM {annotation} a WHERE a.annotator_id = ANY(%(authors)s) ORDER BY a.id"""),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for name, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql, params)
            print(f"  {name}: {cursor.rowcount} rows in {time.perf_counter() - started:.1f} s",
                  flush=True)
    return author_ids


class ReviewRound:
    """What a reviewer client does in one round: next-review, then a verdict from the mix.

    Mixed into queue_bench's Client (which brings the connection, `call` and the barriers);
    `served` collects every item id the client was handed, warm-up included, for the check
    across clients.
    """

    def setup_review(self, project_id: int, labels: list[str]) -> None:
        self.next_url = f"/api/v1/projects/{project_id}/next-review/"
        self.labels, self.served, self.verdicts = labels, [], Counter()

    def verdict_body(self, result: dict) -> dict:
        draw, verdict = self.rng.random(), "accept"
        for name, share in VERDICT_SHARES:
            if draw < share:
                verdict = name
                break
            draw -= share
        if verdict == "correct":
            others = [label for label in self.labels if label not in result.get("labels", [])]
            return {"verdict": "correct", "result": {"labels": [self.rng.choice(others)]}}
        if verdict == "reject":
            return {"verdict": "reject", "comment": REJECT_COMMENT}
        return {"verdict": "accept"}

    def round(self, measure: bool) -> bool:
        status, data, ms = self.call(self.next_url, {})
        if status == 204:
            return False
        if status != 200:
            self.errors.append(f"next-review {status}: {data[:200]!r}")
            return False
        item = json.loads(data)
        self.served.append(item["id"])
        if self.think_s:  # the reviewer reads the text and the label
            time.sleep(self.rng.expovariate(1 / self.think_s))
        body = self.verdict_body(item["result"])
        status, data, verdict_ms = self.call(item["verdict_url"], body)
        if status == 201:
            self.submitted += measure
            self.verdicts[body["verdict"]] += measure
        elif status == 409:
            self.conflicts += 1
        else:
            self.errors.append(f"verdict {status}: {data[:200]!r}")
            return False
        if measure:
            self.next_ms.append(ms)
            self.submit_ms.append(verdict_ms)
        return True

    def figures(self) -> dict:
        return {**super().figures(), "served": self.served, "verdicts": self.verdicts}


def served_to_several(served_per_client: list[list[int]]) -> int:
    """Items handed to more than one client during the run (the lease is longer than a run,
    so any such item was held by two reviewers at once)."""
    clients_per_item = Counter(item for served in served_per_client for item in set(served))
    return sum(1 for count in clients_per_item.values() if count > 1)


def reviewed_twice(project) -> int:
    """Annotations of the project with more than one stage-1 verdict (since it was created)."""
    from django.db import connection

    from annotator.models import Review
    from platform_core.models import Task

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM (
                    SELECT r.annotation_id FROM {Review._meta.db_table} r
                    JOIN {Task._meta.db_table} t ON t.id = r.task_id
                    WHERE t.project_id = %s AND r.stage = 1
                    GROUP BY r.annotation_id HAVING count(*) > 1) twice""",
            [project.pk],
        )
        return cursor.fetchone()[0]


def explain_review_claim(project) -> str:
    """EXPLAIN ANALYZE of next-review's claim statement as the server runs it (a prepared
    statement with the generic plan forced), for a reviewer who holds and wrote nothing (an id
    no user has: ids start at 1); rolled back."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    # The service's own statement: the figure is about exactly what the server runs.
    from annotator.services.review_queue import _CLAIM_SQL

    names = ("user", "project", "now", "until")
    sql = _CLAIM_SQL.format(row_lock="FOR UPDATE SKIP LOCKED")
    for position, name in enumerate(names, start=1):
        sql = sql.replace(f"%({name})s", f"${position}")
    now = timezone.now()
    values = [-1, project.pk, now, now + timedelta(minutes=10)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE bench_review_claim AS {sql}")
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE bench_review_claim(%s, %s, %s, %s)",
            values,
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE bench_review_claim")
        transaction.set_rollback(True)
    return plan
