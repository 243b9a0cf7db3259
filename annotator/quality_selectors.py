"""The project's quality figures from its annotations and reviews (the arithmetic is in
annotator.quality): agreement on overlapped tasks, review acceptance and gold accuracy per
annotator, and the precision of auto-accepted machine labels on the spot-check sample. All
time, whatever the metrics window.

Counts are aggregate queries, read once per metrics request with the dashboard's sections
(annotator.metrics_selectors): the verdict counts here are the all-time sums of the same
GROUP BY whose window rows fill the `annotators` section. Agreement needs the results
themselves, so it reads the most recent AGREEMENT_TASKS overlapped tasks: a bounded sample
however large the project grows.
"""
from annotator.metrics_selectors import (
    VERDICTS,
    annotation_rows,
    overlap_sample,
    review_verdict_rows,
    spot_checks,
    usernames,
)
from annotator.quality import agreement, review_acceptance, wilson_interval
from platform_core.metrics import metrics_period
from platform_core.models import Project


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


def _verdicts(project: Project) -> list[dict]:
    return review_verdict_rows(project=project, period=metrics_period(project=project))


def annotator_quality(*, project: Project) -> list[dict]:
    """Per annotator: first-stage verdicts on their annotations and their gold accuracy."""
    counts: dict[int, dict] = {}
    names = usernames(project=project, period=metrics_period(project=project))
    for row in _verdicts(project):
        if row["stage"] != 1:
            continue
        annotator = row["author_id"]
        person = counts.setdefault(
            annotator, {"username": names.get(annotator, ""), **dict.fromkeys(VERDICTS, 0)}
        )
        for name in VERDICTS:
            person[name] += row[name]
    people: dict[int, dict] = {
        annotator: {
            "annotator": annotator,
            "username": person["username"],
            "review": review_acceptance(*(person[name] for name in VERDICTS)),
            "gold": None,
        }
        for annotator, person in counts.items()
    }
    for annotator, (username, answered, correct) in _gold_by_annotator(project).items():
        person = people.setdefault(
            annotator,
            {"annotator": annotator, "username": username, "review": review_acceptance(0, 0, 0)},
        )
        person["gold"] = {"answered": answered, "correct": correct, "accuracy": correct / answered}
    return sorted(people.values(), key=lambda person: person["username"])


def _gold_by_annotator(project: Project) -> dict[int, tuple[str, int, int]]:
    """{annotator: (username, gold answered, answered correctly)} of all time, for those who
    answered a gold task that could be judged (annotator.selectors.gold_accuracy's figure,
    from the metrics' annotation read)."""
    gold: dict[int, list] = {}
    for row in annotation_rows(project=project, period=metrics_period(project=project)):
        if row["gold_answered"]:
            person = gold.setdefault(row["annotator_id"], [row["annotator__username"], 0, 0])
            person[1] += row["gold_answered"]
            person[2] += row["gold_correct"]
    return {annotator: tuple(person) for annotator, person in gold.items()}


def review_totals(*, project: Project) -> dict:
    """Verdicts on people's annotations, per stage."""
    totals = {stage: dict.fromkeys(VERDICTS, 0) for stage in (1, 2)}
    for row in _verdicts(project):
        for name in VERDICTS:
            totals.setdefault(row["stage"], dict.fromkeys(VERDICTS, 0))[name] += row[name]
    return {
        "first_stage": review_acceptance(**totals[1]),
        "second_stage": review_acceptance(**totals[2]),
    }


def spot_check_precision(*, project: Project) -> dict:
    """Share of spot-checked machine labels accepted unchanged, with its 95% Wilson interval.
    Every spot-check counts (the sample is random); routing's own estimate (ml_assist) counts
    those at or above the threshold in force."""
    counts = spot_checks(project=project, period=metrics_period(project=project))
    n = sum(counts[name] for name in VERDICTS)
    low, high = wilson_interval(counts["accepted"], n)
    return {
        "precision": counts["accepted"] / n if n else None,
        "low": low,
        "high": high,
        "n": n,
    }
