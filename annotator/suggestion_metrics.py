"""The `suggestions` section of GET /api/v1/projects/{id}/metrics/: what the machine's
suggestions are worth to the people labeling, over the metrics window.

- acceptance: the share of annotations made from a suggestion that were submitted unchanged
  (Annotation.changed_from_suggestion, judged at submit and at every edit).
- edit_size: the mean of the edit figure stored on spot-check reviews (Review.edit,
  annotator.quality.edit_figure): how far reviewers moved the machine labels they kept or
  corrected. Annotators' own edits of a suggestion are stored as changed / unchanged only.
- uplift: the median active time of an annotation made with a suggestion against one made
  without, on the tasks held out from suggestions (platform_core.holdout) although a suggestion
  existed when they were labeled: the control group, labeled alongside the rest. Medians need
  the values, so each group reads the lead times of its latest UPLIFT_SAMPLE annotations.

The interval of the difference of medians is McKean and Schrader's: each median's standard
error from the order statistics around it, the two combined as independent. A bootstrap of
1,000 resamples of two groups of 5,000 takes ~0.2 s of CPU, most of the whole call's budget;
this takes microseconds and is close to it at these sizes.
"""
import math
import statistics

from django.db.models import Exists, OuterRef

from annotator.metrics_selectors import spot_checks, window_annotation_rows
from annotator.models import Annotation
from annotator.quality import WILSON_Z_95, edit_figure
from platform_core.metrics import MINIMUM_SAMPLE, MetricsPeriod, metrics_period, sample_size
from platform_core.holdout import suggestion_holdout
from platform_core.models import Prediction, Project

# The latest 5,000 lead times per group: 40 kB to read, and a median's interval at this size
# is a few percent of it wide; older ones would weigh habits the team has since changed.
UPLIFT_SAMPLE = 5000


def project_suggestions(*, project: Project) -> dict:
    period = metrics_period(project=project)
    rows = window_annotation_rows(project=project, period=period)
    shown = sum(row["from_suggestion"] for row in rows)
    unchanged = sum(row["unchanged"] for row in rows)
    return {
        "acceptance": {
            "value": unchanged / shown if shown else None,
            "unchanged": unchanged,
            **sample_size(shown, "annotations made from a suggestion"),
        },
        "edit_size": _edit_size(project, period),
        "uplift": _uplift(project, period),
    }


def _edit_size(project: Project, period: MetricsPeriod) -> dict:
    figures = spot_checks(project=project, period=period)
    return {
        "metric": edit_figure(project.task_type, None, None)["metric"],
        "value": figures["mean_edit"],
        **sample_size(figures["edits"], "spot-checked machine labels kept or corrected"),
    }


def _uplift(project: Project, period: MetricsPeriod) -> dict:
    timed = Annotation.objects.filter(
        project=project,
        created_at__gte=period.since,
        created_at__lte=period.until,
        lead_time_s__isnull=False,
    ).order_by("-id")  # the latest: a walk back along the primary key that stops at the limit
    with_suggestion = list(
        timed.filter(prediction__isnull=False).values_list("lead_time_s", flat=True)[
            :UPLIFT_SAMPLE
        ]
    )
    rate = project.suggestion_holdout_rate
    without = []
    if rate > 0:
        available = Prediction.objects.filter(
            task=OuterRef("task_id"), created_at__lte=OuterRef("created_at")
        )
        held_out = timed.filter(prediction__isnull=True).filter(Exists(available))
        # The hash is Python's (platform_core.holdout): a suggestion that was shown but not
        # reported by the client is not the control group.
        without = [
            lead
            for task_id, lead in held_out.values_list("task_id", "lead_time_s")[:UPLIFT_SAMPLE]
            if suggestion_holdout(task_id, rate)
        ]
    return uplift_figure(with_suggestion, without, holdout_rate=rate)


def uplift_figure(with_suggestion: list[float], without: list[float], *, holdout_rate: float):
    """Medians of both groups, their difference (with - without; negative = time saved) and
    its 95% interval, the share of time saved, and whether the groups are large enough."""
    figure = {
        "median_with_s": statistics.median(with_suggestion) if with_suggestion else None,
        "median_without_s": statistics.median(without) if without else None,
        "n_with": len(with_suggestion),
        "n_without": len(without),
        "difference_s": None,
        "low_s": None,
        "high_s": None,
        "saving_share": None,
        "holdout_rate": holdout_rate,
    }
    if with_suggestion and without:
        difference = figure["median_with_s"] - figure["median_without_s"]
        half = WILSON_Z_95 * math.hypot(_median_se(with_suggestion), _median_se(without))
        figure.update(
            difference_s=round(difference, 6),
            low_s=round(difference - half, 6),
            high_s=round(difference + half, 6),
        )
        if figure["median_without_s"] > 0:
            figure["saving_share"] = round(-difference / figure["median_without_s"], 6)
    reasons = []
    if holdout_rate <= 0:
        reasons.append("suggestion_holdout_rate is 0: no task is labeled without a suggestion")
    for n, group in ((len(with_suggestion), "with"), (len(without), "without")):
        if n < MINIMUM_SAMPLE:
            reasons.append(f"{n} timed annotations {group} a suggestion; {MINIMUM_SAMPLE} needed")
    figure["insufficient"] = bool(reasons)
    figure["reason"] = "; ".join(reasons) or None
    return figure


def _median_se(values: list[float]) -> float:
    """McKean-Schrader standard error of the median: the distance between the order statistics
    at ranks (n+1)/2 -/+ z*sqrt(n)/2, over 2z."""
    ordered = sorted(values)
    n = len(ordered)
    rank = max(1, round((n + 1) / 2 - WILSON_Z_95 * math.sqrt(n) / 2))
    return (ordered[n - rank] - ordered[rank - 1]) / (2 * WILSON_Z_95)
