"""The project's quality figures from its annotations and reviews (the arithmetic is in
annotator.quality): agreement on overlapped tasks, review acceptance and gold accuracy per
annotator, and the precision of auto-accepted machine labels on the spot-check sample.

Counts are aggregate queries. Agreement needs the results themselves, so it reads the most
recent AGREEMENT_TASKS overlapped tasks: a bounded sample however large the project grows.
The sample, the per-annotator verdicts and the spot-check precision are shared with the
dashboard sections (annotator.metrics_selectors, ml_assist.metrics_selectors): read once per
metrics request (metrics_memo), the same figure wherever it shows.
"""
from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Q

from annotator.models import Annotation, AnnotationStatus, Review, ReviewKind, ReviewVerdict
from annotator.quality import agreement, review_acceptance, wilson_interval
from annotator.selectors import gold_accuracy
from platform_core.apis.metrics import metrics_memo
from platform_core.models import Project

# 2,000 tasks of a few annotations each: well under a second to read and score.
AGREEMENT_TASKS = 2000


def project_quality(*, project: Project) -> dict:
    return {
        "agreement": overlap_agreement(project=project),
        "annotators": annotator_quality(project=project),
        "review": review_totals(project=project),
        "auto_accept_precision": spot_check_precision(project=project),
    }


def overlap_agreement(*, project: Project) -> dict:
    """Agreement between annotators on the latest tasks that several of them labeled."""
    rows, sampled = overlap_sample(project=project)
    figure = agreement(
        project.task_type, [[result for _, result in row] for row in rows.values()]
    )
    return {**figure, "sampled": sampled}


def overlap_sample(*, project: Project) -> tuple[dict[int, list[tuple[int, dict]]], bool]:
    """({task id: [(annotator id, result), …] in labeling order}, whether the sample was cut
    at AGREEMENT_TASKS) for the latest tasks with two or more live annotations."""
    return metrics_memo(("overlap_sample", project.pk), lambda: _overlap_sample(project))


def _overlap_sample(project: Project):
    live = Annotation.objects.filter(task__project=project).exclude(
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
    for task_id, annotator_id, result in results.values_list("task_id", "annotator_id", "result"):
        rows[task_id].append((annotator_id, result))
    return dict(rows), len(overlapped) == AGREEMENT_TASKS


def _verdict_aggregates() -> dict:
    return {
        "accepted": Count("id", filter=Q(verdict=ReviewVerdict.ACCEPT)),
        "corrected": Count("id", filter=Q(verdict=ReviewVerdict.CORRECT)),
        "rejected": Count("id", filter=Q(verdict=ReviewVerdict.REJECT)),
    }


def _verdict_counts(reviews) -> dict:
    return reviews.aggregate(**_verdict_aggregates())


def review_verdicts_by_annotator(
    *, project: Project, since: datetime | None = None, until: datetime | None = None
) -> list[dict]:
    """Per annotator (annotator, username, accepted, corrected, rejected): the first-stage
    verdicts on their annotations, given between `since` and `until` when those are set."""
    first_stage = Review.objects.filter(
        task__project=project, kind=ReviewKind.ANNOTATION, stage=1
    )
    if since is not None:
        first_stage = first_stage.filter(created_at__gte=since)
    if until is not None:
        first_stage = first_stage.filter(created_at__lte=until)
    rows = (
        first_stage.values("annotation__annotator_id", "annotation__annotator__username")
        .annotate(**_verdict_aggregates())
        .order_by("annotation__annotator__username")
    )
    return [
        {
            "annotator": row["annotation__annotator_id"],
            "username": row["annotation__annotator__username"],
            "accepted": row["accepted"],
            "corrected": row["corrected"],
            "rejected": row["rejected"],
        }
        for row in rows
    ]


def annotator_quality(*, project: Project) -> list[dict]:
    """Per annotator: first-stage verdicts on their annotations and their gold accuracy."""
    people: dict[int, dict] = {}
    for row in review_verdicts_by_annotator(project=project):
        people[row["annotator"]] = {
            "annotator": row["annotator"],
            "username": row["username"],
            "review": review_acceptance(row["accepted"], row["corrected"], row["rejected"]),
            "gold": None,
        }
    for gold in gold_accuracy(project=project):
        person = people.setdefault(
            gold["annotator"],
            {"annotator": gold["annotator"], "username": gold["username"],
             "review": review_acceptance(0, 0, 0)},
        )
        person["gold"] = {
            "answered": gold["gold_answered"], "correct": gold["correct"],
            "accuracy": gold["accuracy"],
        }
    return sorted(people.values(), key=lambda person: person["username"])


def review_totals(*, project: Project) -> dict:
    """Verdicts on people's annotations, per stage."""
    reviews = Review.objects.filter(task__project=project, kind=ReviewKind.ANNOTATION)
    return {
        "first_stage": review_acceptance(**_verdict_counts(reviews.filter(stage=1))),
        "second_stage": review_acceptance(**_verdict_counts(reviews.filter(stage=2))),
    }


def spot_check_precision(*, project: Project) -> dict:
    """Share of spot-checked machine labels accepted unchanged, with its 95% Wilson interval.
    Every spot-check counts (the sample is random); routing's own estimate (ml_assist) counts
    those at or above the threshold in force. All time, whatever the metrics window."""
    return metrics_memo(("spot_check_precision", project.pk), lambda: _spot_check(project))


def _spot_check(project: Project) -> dict:
    spot_checks = Review.objects.filter(task__project=project, kind=ReviewKind.SPOT_CHECK)
    counts = _verdict_counts(spot_checks)
    n = counts["accepted"] + counts["corrected"] + counts["rejected"]
    low, high = wilson_interval(counts["accepted"], n)
    return {
        "precision": counts["accepted"] / n if n else None,
        "low": low,
        "high": high,
        "n": n,
    }
