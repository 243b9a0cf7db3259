"""The `machine` section of GET /api/v1/projects/{id}/metrics/: how much of the accepted work
the machine did, and how precise its own labels are. Shape in platform_core.apis.metrics.

Machine share, over the tasks accepted in the window (Task.accepted_at), is the share whose
final label the machine produced:
- auto-accepted: tasks still `auto_accepted`, and those a spot-check confirmed unchanged (an
  `accept` verdict on the machine label, which is also their routing decision's `correct`;
  the task is `accepted` since);
- accepted unchanged: tasks accepted from an annotation that was the suggestion unchanged
  (changed_from_suggestion false) and that no reviewer corrected. With overlap, one such
  accepted annotation is enough.
The accepted tasks per bucket and status, and the spot-checks, are the annotator app's reads
(shared with throughput, cost and quality); one more aggregate query counts the unchanged ones
(the window's accepted tasks with such an annotation). Its conditions on other rows are
semi- and anti-joins in WHERE, which the database plans as such; an EXISTS inside an
aggregate's FILTER would run once per row.

The precision of auto-accepted labels is quality's (annotator.quality_selectors
.spot_check_precision, the same figure and query), compared with the project's target.
"""
from datetime import UTC

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Trunc

from annotator.metrics_selectors import accepted_tasks, spot_checks
from annotator.models import Annotation, AnnotationStatus, Review, ReviewVerdict
from annotator.quality_selectors import spot_check_precision
from platform_core.metrics import MINIMUM_SAMPLE, MetricsPeriod, metrics_period, sample_size
from platform_core.models import Project, Task, TaskStatus


def project_machine(*, project: Project) -> dict:
    period = metrics_period(project=project)
    accepted, auto = {}, {}
    for row in accepted_tasks(project=project, period=period):
        accepted[row["bucket"]] = accepted.get(row["bucket"], 0) + row["n"]
        if row["status"] == TaskStatus.AUTO_ACCEPTED:
            auto[row["bucket"]] = auto.get(row["bucket"], 0) + row["n"]
    # Accepted since a spot-check kept the machine's label: the machine's work too.
    for start, n in spot_checks(project=project, period=period)["confirmed"].items():
        auto[start] = auto.get(start, 0) + n
    unchanged = _accepted_unchanged(project, period)
    machine = {start: auto.get(start, 0) + unchanged.get(start, 0) for start in accepted}
    accepted_series = period.series(accepted)
    machine_series = period.series(machine)
    total, total_machine = sum(accepted_series), sum(machine_series)
    return {
        "accepted": total,
        "auto_accepted": sum(auto.values()),
        "accepted_unchanged": sum(unchanged.values()),
        "machine": total_machine,
        "share": {
            "value": total_machine / total if total else None,
            **sample_size(total, "accepted items"),
        },
        "series": {
            "accepted": accepted_series,
            "machine": machine_series,
            "share": [m / a if a else None for m, a in zip(machine_series, accepted_series)],
        },
        "auto_accept_precision": _precision_against_target(project),
        "threshold": project.auto_accept_threshold,
    }


def _bucket(field: str, period: MetricsPeriod):
    return Trunc(field, period.bucket, tzinfo=UTC)


def _accepted_unchanged(project: Project, period: MetricsPeriod) -> dict:
    # The project on each side lets the database read only this project's rows of the
    # annotations and reviews when it hashes them for the semi-join.
    corrected = Review.objects.filter(
        project=project, annotation=OuterRef("pk"), verdict=ReviewVerdict.CORRECT
    )
    kept = Annotation.objects.filter(
        project=project, task=OuterRef("pk"), status=AnnotationStatus.ACCEPTED,
        changed_from_suggestion=False,
    ).exclude(Exists(corrected))
    rows = (
        Task.objects.filter(
            project=project,
            status=TaskStatus.ACCEPTED,
            accepted_at__gte=period.since,
            accepted_at__lte=period.until,
        )
        .filter(Exists(kept))
        .order_by()
        .values(bucket=_bucket("accepted_at", period))
        .annotate(tasks=Count("id"))
    )
    return {row["bucket"]: row["tasks"] for row in rows}


def _precision_against_target(project: Project) -> dict:
    figure = spot_check_precision(project=project)
    flags = sample_size(figure["n"], "spot-checked machine labels")
    target = project.target_precision
    return {
        **figure,
        **flags,
        "target_precision": target,
        # Judged as routing judges it (MIN_REVIEWED_TO_ADJUST): on the lower bound, and only
        # once the sample is large enough to tell.
        "meets_target": None if figure["n"] < MINIMUM_SAMPLE else figure["low"] >= target,
    }
