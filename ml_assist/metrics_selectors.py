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
Both are recorded on the task when it becomes accepted (Task.accepted_source, written by
annotator.services.reviews), so the figures come from the annotator app's read of the accepted
tasks per bucket, status and source (shared with throughput, cost and quality), with no query
of their own.

The precision of auto-accepted labels is quality's (annotator.quality_selectors
.spot_check_precision, the same figure and query), compared with the project's target; the
verdicts on the exploration band's labels are not in its sample (exploration_reviewed).
"""
from django.db.models import Exists, OuterRef

from annotator.metrics_selectors import accepted_tasks
from annotator.quality_selectors import spot_check_precision
from ml_assist.routing_models import RoutingDecision
from platform_core.metrics import MINIMUM_SAMPLE, metrics_period, sample_size
from platform_core.models import AcceptedSource, Project, TaskStatus


def project_machine(*, project: Project) -> dict:
    period = metrics_period(project=project)
    accepted, auto, unchanged = {}, {}, {}
    for row in accepted_tasks(project=project, period=period):
        bucket, n = row["bucket"], row["n"]
        accepted[bucket] = accepted.get(bucket, 0) + n
        # Accepted since a spot-check kept the machine's label: the machine's work too.
        if row["status"] == TaskStatus.AUTO_ACCEPTED or (
            row["accepted_source"] == AcceptedSource.MACHINE
        ):
            auto[bucket] = auto.get(bucket, 0) + n
        elif row["accepted_source"] == AcceptedSource.SUGGESTION:
            unchanged[bucket] = unchanged.get(bucket, 0) + n
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


def exploration_reviewed() -> Exists:
    """Whether a spot-check judged a machine label of the exploration band (under the
    threshold, sent to review, never auto-accepted): not part of the auto-accepted labels'
    sample (annotator.metrics_selectors.spot_checks leaves it out)."""
    return Exists(RoutingDecision.objects.filter(task=OuterRef("task"), exploration=True))


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
