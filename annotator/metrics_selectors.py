"""The aggregate reads behind the project metrics (GET /api/v1/projects/{id}/metrics/): each
runs once per metrics request (metrics_memo) and the sections (quality_selectors,
metrics_sections, suggestion_metrics, ml_assist.metrics_selectors) take their figures from it,
so a figure shown in two sections is one figure, and a section adds no scan of its own.

At a million tasks and 200,000 annotations each full read costs ~0.1 s on PostgreSQL, so reads
are merged where their rows are the same, and annotations and reviews are read by the copy of
their task's project they carry (and reviews by the author they carry), never by joining the
project's tasks or the reviewed annotations. Rows
outside the window group under a null bucket, so one read serves the window and all time:
the annotations (the window's throughput, hours and suggestions; quality's gold accuracy and
everyone's username), and every verdict on people's annotations (quality's all-time figures,
the window's per annotator, each annotator's accepted items per bucket). Spot-checks are one
aggregate for the precision and the edit size; the window's accepted tasks one index-only read
per bucket, status and source (the machine's share); the task counts by status one more, and
one probe says whether any task holds overlapping annotations, which lets quality skip its
agreement scan on projects without any. Reads group by ids, not names:
narrower rows sort in memory. About ten queries in all, however large the project.

Buckets are UTC, from the period (platform_core.metrics.metrics_period).
"""
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, DateTimeField, F, FloatField, Q, Sum, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Trunc

from annotator.models import Annotation, AnnotationStatus, Review, ReviewKind, ReviewVerdict
from platform_core.metrics import MetricsPeriod, metrics_memo
from platform_core.models import Project, Task, TaskStatus

# 2,000 tasks of a few annotations each: well under a second to read and score.
AGREEMENT_TASKS = 2000
VERDICTS = {
    "accepted": ReviewVerdict.ACCEPT,
    "corrected": ReviewVerdict.CORRECT,
    "rejected": ReviewVerdict.REJECT,
}


def bucket_of(field, period: MetricsPeriod) -> Trunc:
    return Trunc(field, period.bucket, tzinfo=UTC)


def _verdict_counts() -> dict:
    return {name: _rows(Q(verdict=verdict)) for name, verdict in VERDICTS.items()}


def _rows(condition: Q | None = None) -> Count:
    """The rows (where `condition` holds), counted by their project: a column of the covering
    indexes' keys that is never null (counting ids would read the table; Django's COUNT(*)
    takes no FILTER)."""
    return Count("project", filter=condition)


def _when(condition: Q, field: str) -> Case:
    """`field` where `condition` holds, else null: truncated by bucket_of, the rows that do not
    qualify group under a null bucket (Trunc outside the CASE, so its time zone handling
    applies)."""
    return Case(When(condition, then=F(field)), output_field=DateTimeField())


def annotation_rows(*, project: Project, period: MetricsPeriod) -> list[dict]:
    """The project's annotations grouped by (annotator, bucket): submitted, timed (known
    active time), lead_s (their summed seconds), from a suggestion, unchanged from it, gold
    answered and gold correct. Annotations made outside the window group under a null bucket:
    the window's figures read the rows with a bucket (window_annotation_rows), quality's
    all-time gold accuracy every row. The database reads every annotation of the project to
    find the window's anyway (no index leads from a project to its annotations by time)."""

    def read() -> list[dict]:
        in_window = Q(created_at__gte=period.since, created_at__lte=period.until)
        rows = list(
            Annotation.objects.filter(project=project)
            .order_by()
            .values("annotator_id", bucket=bucket_of(_when(in_window, "created_at"), period))
            .annotate(
                # Every column read is in annotation_project_time_idx.
                submitted=_rows(),
                timed=Count("lead_time_s"),
                lead_s=Sum("lead_time_s"),
                from_suggestion=_rows(Q(changed_from_suggestion__isnull=False)),
                unchanged=_rows(Q(changed_from_suggestion=False)),
                gold_answered=_rows(Q(gold_correct__isnull=False)),
                gold_correct=_rows(Q(gold_correct=True)),
            )
        )
        # Names afterwards, for the few annotators found: in the GROUP BY they widened each
        # of the 200,000 rows the database sorts by ~20 bytes and joined auth_user.
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
    Read from the index alone (task_accepted_at_idx covers the status and the source)."""

    def read() -> list[dict]:
        return list(
            Task.objects.filter(
                project=project, accepted_at__gte=period.since, accepted_at__lte=period.until
            )
            .order_by()
            .values("status", "accepted_source", bucket=bucket_of("accepted_at", period))
            .annotate(n=Count("*"))
        )

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
    and rejected (names: usernames()). `bucket` is null for verdicts given before the window: the all-time figures sum
    every row, the window's those with a bucket."""

    def read() -> list[dict]:
        in_window = Q(created_at__gte=period.since, created_at__lte=period.until)
        bucket = bucket_of(_when(in_window, "created_at"), period)
        return list(
            Review.objects.filter(project=project, kind=ReviewKind.ANNOTATION)
            .order_by()
            .values("author_id", "stage", bucket=bucket)
            .annotate(**_verdict_counts())
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
