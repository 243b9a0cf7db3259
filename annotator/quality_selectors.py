"""The project's quality figures from its annotations and reviews (the arithmetic is in
annotator.quality): agreement on overlapped tasks, review acceptance and gold accuracy per
annotator, and the precision of auto-accepted machine labels on the spot-check sample.

Counts are aggregate queries. Agreement needs the results themselves, so it reads the most
recent AGREEMENT_TASKS overlapped tasks: a bounded sample however large the project grows.
"""
from collections import defaultdict

from django.db.models import Count, Q

from annotator.models import Annotation, AnnotationStatus, Review, ReviewKind, ReviewVerdict
from annotator.quality import agreement, review_acceptance, wilson_interval
from annotator.selectors import gold_accuracy
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
    for task_id, result in results.values_list("task_id", "result"):
        rows[task_id].append(result)
    figure = agreement(project.task_type, list(rows.values()))
    return {**figure, "sampled": len(overlapped) == AGREEMENT_TASKS}


def _verdict_aggregates() -> dict:
    return {
        "accepted": Count("id", filter=Q(verdict=ReviewVerdict.ACCEPT)),
        "corrected": Count("id", filter=Q(verdict=ReviewVerdict.CORRECT)),
        "rejected": Count("id", filter=Q(verdict=ReviewVerdict.REJECT)),
    }


def _verdict_counts(reviews) -> dict:
    return reviews.aggregate(**_verdict_aggregates())


def annotator_quality(*, project: Project) -> list[dict]:
    """Per annotator: first-stage verdicts on their annotations and their gold accuracy."""
    first_stage = Review.objects.filter(
        task__project=project, kind=ReviewKind.ANNOTATION, stage=1
    )
    rows = (
        first_stage.values("annotation__annotator_id", "annotation__annotator__username")
        .annotate(**_verdict_aggregates())
        .order_by("annotation__annotator__username")
    )
    people: dict[int, dict] = {}
    for row in rows:
        annotator = row["annotation__annotator_id"]
        people[annotator] = {
            "annotator": annotator,
            "username": row["annotation__annotator__username"],
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
    those at or above the threshold in force."""
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
