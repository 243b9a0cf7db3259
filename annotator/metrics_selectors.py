"""The aggregate reads behind the project metrics (GET /api/v1/projects/{id}/metrics/): each
runs once per metrics request (metrics_memo) and the sections (quality_selectors,
metrics_sections, suggestion_metrics, ml_assist.metrics_selectors) take their figures from it,
so a figure shown in two sections is one figure, and a section adds no scan of its own.

At a million tasks and 200,000 annotations a scan of a project's annotations, reviews or
accepted tasks costs 0.1-0.3 s on PostgreSQL, so those three are read from hourly rollups that
triggers keep (annotator.rollup_models, platform_core.rollups): a few thousand rows however
many items, plus the rows of the two hours the window's edges cut. Rows outside the window
group under a null bucket, so one read serves the window and all time: the annotations (the
window's throughput, hours and suggestions; quality's gold accuracy and everyone's username),
and every verdict on people's annotations (quality's all-time figures, the window's per
annotator, each annotator's accepted items per bucket). Spot-checks are one aggregate for the
precision and the edit size; the window's accepted tasks are counted per bucket, status and
source (the machine's share); the task counts by status are one index-only read, and one probe
says whether any task holds overlapping annotations, which lets quality skip its agreement
scan on projects without any. About ten queries in all, however large the project.

Buckets are UTC, from the period (platform_core.metrics.metrics_period).
"""
from collections import defaultdict
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Count, FloatField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from annotator.models import (
    AcceptedTaskRollup,
    Annotation,
    AnnotationRollup,
    AnnotationStatus,
    Review,
    ReviewKind,
    ReviewRollup,
    ReviewVerdict,
)
from platform_core.metrics import MetricsPeriod, metrics_memo
from platform_core.models import Project, Task, TaskStatus
from platform_core.rollups import windowed_rollup

# 2,000 tasks of a few annotations each: well under a second to read and score.
AGREEMENT_TASKS = 2000
ANNOTATION_FIGURES = (
    "submitted", "timed", "lead_s", "from_suggestion", "unchanged", "gold_answered", "gold_correct",
)
VERDICTS = {
    "accepted": ReviewVerdict.ACCEPT,
    "corrected": ReviewVerdict.CORRECT,
    "rejected": ReviewVerdict.REJECT,
}


def _verdict_counts() -> dict:
    return {name: _rows(Q(verdict=verdict)) for name, verdict in VERDICTS.items()}


def _rows(condition: Q | None = None) -> Count:
    """The rows (where `condition` holds), counted by their project: a column of the covering
    indexes' keys that is never null (counting ids would read the table; Django's COUNT(*)
    takes no FILTER)."""
    return Count("project", filter=condition)


def annotation_rows(*, project: Project, period: MetricsPeriod) -> list[dict]:
    """The project's annotations grouped by (annotator, bucket): submitted, timed (known
    active time), lead_s (their summed seconds), from a suggestion, unchanged from it, gold
    answered and gold correct. Annotations made outside the window group under a null bucket:
    the window's figures read the rows with a bucket (window_annotation_rows), quality's
    all-time gold accuracy every row. From the hourly rollup (AnnotationRollup) and the
    annotations of the two hours the window's edges cut."""

    def read() -> list[dict]:
        rows = windowed_rollup(
            since=period.since,
            until=period.until,
            bucket=period.bucket,
            rollup=AnnotationRollup.objects.filter(project_id=project.pk),
            source=Annotation.objects.filter(project=project),
            source_time="created_at",
            group=["annotator_id"],
            rollup_sums={name: Sum(name) for name in ANNOTATION_FIGURES},
            source_sums=dict(
                submitted=_rows(),
                timed=Count("lead_time_s"),
                lead_s=Sum("lead_time_s"),
                from_suggestion=_rows(Q(changed_from_suggestion__isnull=False)),
                unchanged=_rows(Q(changed_from_suggestion=False)),
                gold_answered=_rows(Q(gold_correct__isnull=False)),
                gold_correct=_rows(Q(gold_correct=True)),
            ),
        )
        # Names afterwards, for the few annotators found.
        names = dict(
            get_user_model()
            .objects.filter(pk__in={row["annotator_id"] for row in rows})
            .values_list("pk", "username")
        )
        for row in rows:
            row["annotator__username"] = names[row["annotator_id"]]
        return rows

    return metrics_memo(("annotation_rows", project.pk), read)


def usernames(*, project: Project, period: MetricsPeriod) -> dict[int, str]:
    """{annotator id: username} of everyone who annotated in the project (so of everyone whose
    annotation was reviewed): the other reads group by id alone, which keeps them narrow."""
    rows = annotation_rows(project=project, period=period)
    return {row["annotator_id"]: row["annotator__username"] for row in rows}


def window_annotation_rows(*, project: Project, period: MetricsPeriod) -> list[dict]:
    """annotation_rows of the window."""
    rows = annotation_rows(project=project, period=period)
    return [row for row in rows if row["bucket"] is not None]


def accepted_tasks(*, project: Project, period: MetricsPeriod) -> list[dict]:
    """Tasks accepted in the window (Task.accepted_at) per (bucket, status, accepted_source):
    `accepted` by a reviewer (or confirmed by a spot-check), or `auto_accepted` and not
    checked; the source says whether the machine's label or an unchanged suggestion was kept.
    From the hourly rollup (AcceptedTaskRollup) and the tasks of the window's edge hours."""

    def read() -> list[dict]:
        rows = windowed_rollup(
            since=period.since,
            until=period.until,
            bucket=period.bucket,
            rollup=AcceptedTaskRollup.objects.filter(project_id=project.pk),
            source=Task.objects.filter(project=project, accepted_at__isnull=False),
            source_time="accepted_at",
            group=["status", "accepted_source"],
            rollup_sums={"n": Sum("n")},
            source_sums={"n": Count("*")},
            nulls={"accepted_source": ""},
        )
        return [row for row in rows if row["bucket"] is not None]

    return metrics_memo(("accepted_tasks", project.pk), read)


def task_counts(*, project: Project) -> dict:
    """{"by_status": tasks per status, every status present; "overlapped": whether any task
    holds two or more live annotations}. The counts read the status index alone; the question
    is one probe of task_overlapped_idx (counting them in the same pass read every row)."""

    def read() -> dict:
        tasks = Task.objects.filter(project=project).order_by()
        by_status = {status: 0 for status in TaskStatus.values}
        # COUNT(*): counting ids would read them from the table rows, not the index.
        by_status.update(tasks.values_list("status").annotate(n=Count("*")))
        overlapped = tasks.filter(annotation_count__gte=2).exists()
        return {"by_status": by_status, "overlapped": overlapped}

    return metrics_memo(("task_counts", project.pk), read)


def review_verdict_rows(*, project: Project, period: MetricsPeriod) -> list[dict]:
    """Verdicts on people's annotations per (annotator id, stage, bucket): accepted, corrected
    and rejected (names: usernames()). `bucket` is null for verdicts given outside the window:
    the all-time figures sum every row, the window's those with a bucket. From the hourly
    rollup (ReviewRollup) and the reviews of the window's edge hours."""

    def read() -> list[dict]:
        return windowed_rollup(
            since=period.since,
            until=period.until,
            bucket=period.bucket,
            rollup=ReviewRollup.objects.filter(
                project_id=project.pk, kind=ReviewKind.ANNOTATION
            ),
            source=Review.objects.filter(project=project, kind=ReviewKind.ANNOTATION),
            source_time="created_at",
            group=["author_id", "stage"],
            rollup_sums={name: Sum(name) for name in VERDICTS},
            source_sums=_verdict_counts(),
            nulls={"author_id": 0},
        )

    return metrics_memo(("review_verdict_rows", project.pk), read)


# Conditions (each a callable returning an expression) that leave a spot-check out of the
# sample of auto-accepted labels: ml_assist registers its exploration band's, whose machine
# labels were under the threshold and never auto-accepted.
_spot_check_exclusions: list[Callable] = []


def register_spot_check_exclusion(exclude: Callable) -> None:
    _spot_check_exclusions.append(exclude)


def spot_checks(*, project: Project, period: MetricsPeriod) -> dict:
    """Verdicts on spot-checked auto-accepted labels of all time (accepted, corrected,
    rejected), and the number and mean of the edit figures stored on those given in the window
    (edits, mean_edit)."""

    def read() -> dict:
        in_window = Q(created_at__gte=period.since, created_at__lte=period.until)
        edited = in_window & Q(edit__isnull=False)
        reviews = Review.objects.filter(project=project, kind=ReviewKind.SPOT_CHECK)
        for exclude in _spot_check_exclusions:
            reviews = reviews.exclude(exclude())
        totals = reviews.aggregate(
            **_verdict_counts(),
            edits=Count("id", filter=edited),
            edit_sum=Sum(Cast(KT("edit__value"), FloatField()), filter=edited),
        )
        edits, edit_sum = totals["edits"], totals.pop("edit_sum")
        totals["mean_edit"] = (edit_sum or 0.0) / edits if edits else None
        return totals

    return metrics_memo(("spot_checks", project.pk), read)


def overlap_sample(*, project: Project) -> tuple[dict[int, list[tuple[int, dict]]], bool]:
    """({task id: [(annotator id, result), …] in labeling order}, whether the sample was cut at
    AGREEMENT_TASKS) for the latest tasks with two or more live annotations.

    A project labeled once per task that never held two live annotations (task_counts, from
    Task.annotation_count) has no sample, and its annotations are not scanned for one.
    """

    def read():
        if project.overlap < 2 and not task_counts(project=project)["overlapped"]:
            return {}, False
        live = Annotation.objects.filter(project=project).exclude(
            status=AnnotationStatus.REJECTED
        )
        overlapped = list(
            live.values("task_id")
            .annotate(n=Count("id"))
            .filter(n__gte=2)
            .order_by("-task_id")
            .values_list("task_id", flat=True)[:AGREEMENT_TASKS]
        )
        rows: dict[int, list] = defaultdict(list)
        results = live.filter(task_id__in=overlapped).order_by("task_id", "created_at", "id")
        for task_id, annotator, result in results.values_list("task_id", "annotator_id", "result"):
            rows[task_id].append((annotator, result))
        return dict(rows), len(overlapped) == AGREEMENT_TASKS

    return metrics_memo(("overlap_sample", project.pk), read)
