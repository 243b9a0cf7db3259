"""The build of bench/metrics_bench.py: a project of N tasks (the import writer's COPY) and a
month of work written set-based from a seeded plan table (annotations, suggestions with a
holdout, reviews, auto-accepted tasks with routing decisions and spot-checks), tasks left as
the services leave them."""
import time

from queue_bench import delete_project, settle_database  # bench/ is on the path

LABELS = ["positive", "negative", "neutral"]
ANNOTATORS, REVIEWERS = 20, 3
HOURLY_RATE, HOLDOUT_RATE, THRESHOLD = "18.50", 0.1, 0.9
MODEL_VERSION = "builtin-v1"
PHRASES = ("The delivery was faster than promised.|The product stopped working after two days."
           "|Customer service never answered my emails.|The refund took almost three weeks.|The "
           "price is fair for what you get.|The box arrived dented, though.|I would order again."
           "|Five stars from me.|Not sure yet.|My sister bought one too.|The size chart is off "
           "by one size.").split("|")


def since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def review_text(index: int) -> str:
    """Three to eight sentences (~170 characters), varied by index and unique (the checksum)."""
    sentences = (PHRASES[(index // 11**k + k) % 11] for k in range(3 + index % 6))
    return f"#{index}. " + " ".join(sentences)


# -- the build ---------------------------------------------------------------------------------
# One row per task that was worked on, with every random draw the later statements need, so
# that they agree (the task's accepted result is its review's result). Annotated tasks are every
# `step`-th task; every tenth of them has an auto-accepted neighbour. Seeded: reruns agree.
PLAN_SQL = """
CREATE TEMP TABLE bench_plan AS
SELECT id AS task_id, n %% %(step)s = 1 AS auto,
       1 + floor(%(annotators)s * power(random(), 1.5))::int AS author,
       1 + floor(%(reviewer_count)s * random())::int AS reviewer,
       %(now)s - interval '30 days' * random() AS created,
       interval '12 hours' * random() AS delay,
       1 + floor(3 * random())::int AS pred_label, floor(2 * random())::int AS shift,
       random() AS r_pred, random() AS r_changed, random() AS r_lead, random() AS r_review,
       random() AS r_verdict, random() AS r_sample, random() AS r_confidence
FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
      FROM {task} WHERE project_id = %(project)s) numbered
WHERE n / %(step)s < %(annotations)s
  AND (n %% %(step)s = 0 OR (n %% %(step)s = 1 AND n / %(step)s %% 10 = 0))"""

# What the draws mean. Labels are 1-based indexes into %(labels)s.
VIEW_SQL = """
CREATE TEMP VIEW bench_work AS
SELECT *, jsonb_build_object(
           'labels', jsonb_build_array((%(labels)s::text[])[reviewed_label])) AS reviewed_json,
       CASE WHEN verdict IN ('accept', 'correct') THEN jsonb_build_object('labels',
           jsonb_build_array((%(labels)s::text[])[CASE verdict WHEN 'accept' THEN reviewed_label
                                                  ELSE 1 + reviewed_label %% 3 END]))
       END AS final_json,
       CASE verdict WHEN 'accept' THEN '{"metric": "labels_changed", "value": 0.0}'::jsonb
                    WHEN 'correct' THEN '{"metric": "labels_changed", "value": 2.0}'::jsonb
       END AS edit,
       least(created + delay, %(now)s) AS reviewed_at
FROM (SELECT *, CASE WHEN auto THEN pred_label ELSE label END AS reviewed_label,
             CASE WHEN auto AND NOT sampled THEN NULL
                  WHEN auto AND r_review >= 0.8 THEN NULL          -- sampled, not checked yet
                  WHEN auto AND r_verdict < 0.95 THEN 'accept'
                  WHEN auto AND r_verdict < 0.98 THEN 'correct'
                  WHEN auto THEN 'reject'
                  WHEN r_review >= 0.9 THEN NULL                   -- waiting for a reviewer
                  WHEN r_verdict < 0.80 THEN 'accept'
                  WHEN r_verdict < 0.95 THEN 'correct'
                  ELSE 'reject' END AS verdict
      FROM (SELECT *, NOT auto AND NOT held_out AND r_pred < 0.9 AS shown,
                   auto OR r_pred < 0.9 AS has_prediction,
                   auto AND r_sample < %(sample_rate)s AS sampled,
                   CASE WHEN r_changed < 0.3 THEN 1 + (pred_label + shift) %% 3
                        ELSE pred_label END AS label,
                   0.9 * (1 - r_confidence) + CASE WHEN auto THEN r_confidence
                                                   ELSE 0.5 * r_confidence END AS confidence
            FROM bench_plan) drawn) decided"""

REJECT_COMMENT = "Wrong label: the text is about the delivery, not the product."
STEPS = (
    ("predictions", """
        INSERT INTO {prediction} (task_id, model_version, result, confidence, created_at)
        SELECT task_id, %(version)s,
               jsonb_build_object('labels', jsonb_build_array((%(labels)s::text[])[pred_label])),
               confidence, created - interval '1 hour'
        FROM bench_work WHERE has_prediction ORDER BY task_id"""),
    ("annotations", """
        INSERT INTO {annotation} (task_id, project_id, annotator_id, result, prediction_id,
            changed_from_suggestion, lead_time_s, status, created_at, updated_at)
        SELECT w.task_id, %(project)s, (%(authors)s::int[])[w.author],
               jsonb_build_object('labels', jsonb_build_array((%(labels)s::text[])[w.label])),
               CASE WHEN w.shown THEN p.id END,
               CASE WHEN w.shown THEN w.r_changed < 0.3 END,
               CASE WHEN w.r_lead < 0.02 THEN NULL
                    WHEN w.shown THEN 3 + 25 * w.r_lead ^ 2 ELSE 5 + 35 * w.r_lead ^ 2 END,
               CASE w.verdict WHEN 'reject' THEN 'rejected' WHEN 'accept' THEN 'accepted'
                              WHEN 'correct' THEN 'accepted' ELSE 'submitted' END,
               w.created, CASE WHEN w.verdict IS NULL THEN w.created ELSE w.reviewed_at END
        FROM bench_work w
        LEFT JOIN {prediction} p ON p.task_id = w.task_id AND p.model_version = %(version)s
        WHERE NOT w.auto ORDER BY w.created"""),
    ("reviews", """
        INSERT INTO {review} (task_id, project_id, annotation_id, author_id, prediction_id, kind,
            stage, reviewer_id, verdict, reviewed_result, result, edit, comment, confidence,
            created_at)
        SELECT w.task_id, %(project)s, a.id, a.annotator_id, coalesce(a.prediction_id, p.id),
               CASE WHEN w.auto THEN 'spot_check' ELSE 'annotation' END, 1,
               (%(reviewers)s::int[])[w.reviewer], w.verdict, w.reviewed_json, w.final_json,
               w.edit, CASE w.verdict WHEN 'reject' THEN %(comment)s ELSE '' END,
               CASE WHEN w.auto THEN w.confidence END, w.reviewed_at
        FROM bench_work w
        LEFT JOIN {annotation} a ON a.task_id = w.task_id AND NOT w.auto
        LEFT JOIN {prediction} p ON p.task_id = w.task_id AND w.auto
        WHERE w.verdict IS NOT NULL ORDER BY w.reviewed_at"""),
    ("routing decisions", """
        INSERT INTO {routing} (task_id, prediction_id, confidence, threshold,
            sampled_for_review, exploration, verdict, reviewed_by_id, reviewed_at, created_at)
        SELECT w.task_id, p.id, w.confidence, %(threshold)s, w.sampled, false,
               CASE w.verdict WHEN 'accept' THEN 'correct' WHEN 'correct' THEN 'incorrect'
                              WHEN 'reject' THEN 'incorrect' END,
               CASE WHEN w.verdict IS NOT NULL THEN (%(reviewers)s::int[])[w.reviewer] END,
               CASE WHEN w.verdict IS NOT NULL THEN w.reviewed_at END, w.created
        FROM bench_work w JOIN {prediction} p ON p.task_id = w.task_id
        WHERE w.auto ORDER BY w.task_id"""),
    ("review items", """
        INSERT INTO {item} (project_id, task_id, annotation_id, prediction_id, kind, stage,
            confidence, author_id, created_at)
        SELECT %(project)s, w.task_id, a.id, CASE WHEN w.auto THEN p.id END,
               CASE WHEN w.auto THEN 'spot_check' ELSE 'annotation' END, 1,
               CASE WHEN w.auto THEN w.confidence END, a.annotator_id, w.created
        FROM bench_work w
        LEFT JOIN {annotation} a ON a.task_id = w.task_id AND NOT w.auto
        LEFT JOIN {prediction} p ON p.task_id = w.task_id AND w.auto
        WHERE w.verdict IS NULL AND (NOT w.auto OR w.sampled) ORDER BY w.created"""),
    ("tasks", """
        UPDATE {task} t SET
            status = CASE WHEN w.verdict = 'reject' THEN 'rejected'
                          WHEN w.verdict IS NOT NULL THEN 'accepted'
                          WHEN w.auto THEN 'auto_accepted' ELSE 'submitted' END,
            annotation_count = CASE WHEN w.auto OR w.verdict = 'reject' THEN 0 ELSE 1 END,
            -- Routing stores the machine's label on the tasks it auto-accepts.
            accepted_result = CASE WHEN w.auto AND w.verdict IS NULL
                THEN jsonb_build_object('labels', jsonb_build_array((%(labels)s::text[])[w.pred_label]))
                ELSE w.final_json END,
            accepted_at = CASE WHEN w.verdict = 'reject' THEN NULL
                               WHEN w.auto THEN w.created   -- a confirmation keeps its time
                               WHEN w.verdict IS NOT NULL THEN w.reviewed_at END,
            -- As the review service records it: a kept machine label or unchanged suggestion.
            accepted_source = CASE WHEN w.verdict = 'accept' AND w.auto THEN 'machine'
                                   WHEN w.verdict = 'accept' AND w.shown AND w.r_changed >= 0.3
                                   THEN 'suggestion' END,
            updated_at = %(now)s
        FROM bench_work w WHERE t.id = w.task_id"""),
)


def build_project(*, name: str, tasks: int, annotations: int):
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from annotator.models import Annotation, Review, ReviewItem
    from ml_assist.routing_models import RoutingDecision
    from platform_core.holdout import suggestion_holdout
    from platform_core.imports.records import data_record
    from platform_core.imports.writer import TaskWriter
    from platform_core.models import Dataset, Membership, Organization, Prediction, Project
    from platform_core.models import Role, Task

    started = time.perf_counter()
    org, _ = Organization.objects.get_or_create(name="Metrics benchmarks")
    project = Project.objects.create(
        organization=org, name=f"{name} (building {time.strftime('%Y%m%d-%H%M%S')})",
        task_type="text_classification",
        label_config={"labels": [{"value": value} for value in LABELS]},
        overlap=1, hourly_rate=HOURLY_RATE, suggestion_holdout_rate=HOLDOUT_RATE,
        auto_accept_threshold=THRESHOLD,
    )
    users = {role: [] for role in (Role.ANNOTATOR, Role.REVIEWER, Role.MANAGER)}
    for role, count in zip(users, (ANNOTATORS, REVIEWERS, 1)):
        for index in range(count):
            user = get_user_model().objects.create(username=f"mbench-{project.pk}-{role}-{index}")
            Membership.objects.create(user=user, organization=org, role=role)
            users[role].append(user.pk)
    try:
        dataset = Dataset.objects.create(project=project, name="bench", source="bench")
        writer = TaskWriter(project=project, dataset=dataset)
        for index in range(tasks):
            writer.add(data_record(index, {"text": review_text(index)}))
        writer.flush()
        print(f"  tasks: {writer.imported} by the import writer in {since(started)}", flush=True)
        tables = {key: model._meta.db_table for key, model in (
            ("task", Task), ("annotation", Annotation), ("review", Review), ("item", ReviewItem),
            ("prediction", Prediction), ("routing", RoutingDecision))}
        params = {
            "project": project.pk, "step": tasks // annotations, "annotations": annotations,
            "annotators": ANNOTATORS, "reviewer_count": REVIEWERS, "now": timezone.now(),
            "labels": LABELS, "authors": users[Role.ANNOTATOR], "version": MODEL_VERSION,
            "reviewers": users[Role.REVIEWER], "comment": REJECT_COMMENT,
            "threshold": THRESHOLD, "sample_rate": project.review_sample_rate,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            step_started = time.perf_counter()
            cursor.execute("SELECT setseed(0.42)")
            cursor.execute(PLAN_SQL.format(**tables), params)
            # The holdout is a keyed hash in Python (platform_core.holdout): 0.2 s for 2*10^5 ids.
            cursor.execute("SELECT task_id FROM bench_plan")
            held = [row[0] for row in cursor.fetchall() if suggestion_holdout(row[0], HOLDOUT_RATE)]
            cursor.execute("ALTER TABLE bench_plan ADD COLUMN held_out boolean DEFAULT false")
            cursor.execute("UPDATE bench_plan SET held_out = true WHERE task_id = ANY(%s)", [held])
            # Routing never auto-accepts a held-out task: its human time is the control group.
            cursor.execute("DELETE FROM bench_plan WHERE auto AND held_out")
            cursor.execute("ANALYZE bench_plan")
            cursor.execute(VIEW_SQL, params)
            print(f"  plan: {len(held)} held-out tasks in {since(step_started)}", flush=True)
            for label, sql in STEPS:
                step_started = time.perf_counter()
                cursor.execute(sql.format(**tables), params)
                print(f"  {label}: {cursor.rowcount} rows in {since(step_started)}", flush=True)
            cursor.execute("DROP VIEW bench_work")
            cursor.execute("DROP TABLE bench_plan")
            cursor.execute(f"ANALYZE {tables['routing']}")  # not in queue_bench's list
        step_started = time.perf_counter()
        settle_database()
        print(f"  VACUUM ANALYZE, CHECKPOINT: {since(step_started)}")
    except BaseException:
        remove_project(project)
        raise
    project.name = name  # found by --reuse from now on
    project.save(update_fields=["name"])
    print(f"built in {since(started)}", flush=True)
    return project


def remove_project(project) -> None:
    """queue_bench's raw deletes, after the routing decisions (they hold the predictions)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from ml_assist.routing_models import RoutingDecision
    from platform_core.models import Task

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {RoutingDecision._meta.db_table} WHERE task_id IN "
            f"(SELECT id FROM {Task._meta.db_table} WHERE project_id = %s)", [project.pk],
        )
    users = get_user_model().objects.filter(username__startswith=f"mbench-{project.pk}-")
    delete_project(project, tokens=[], user_ids=list(users.values_list("pk", flat=True)))
    print(f"deleted the bench project in {since(started)}", flush=True)
