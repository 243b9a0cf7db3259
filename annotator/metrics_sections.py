"""The dashboard's sections of GET /api/v1/projects/{id}/metrics/ that come from people's work:
`throughput`, `annotators`, `queue` and `cost` (`suggestions` is in suggestion_metrics.py).
The shape is written down in platform_core.apis.metrics.

The figures come from the aggregate reads of annotator.metrics_selectors, shared by every
section of a metrics request; Python only adds up their grouped rows (buckets x annotators).
So the figures agree with each other: the active hours of `cost` are the sum of the
`annotators` rows, and `throughput` sums to what `annotators` shows.

Windows count by event time: an annotation in the bucket it was created (submitted), a task in
the bucket it became accepted (Task.accepted_at), an annotator's accepted item in the bucket a
reviewer accepted or corrected it (a first-stage verdict). So an overlapped task counts once
for each annotator whose answer was accepted, and once in the project total; an item that a
second stage later turns down still counts for its annotator.
"""
from datetime import timedelta

from django.db.models import Count

from annotator.metrics_selectors import (
    VERDICTS,
    accepted_tasks,
    overlap_sample,
    review_verdict_rows,
    task_counts,
    usernames,
    window_annotation_rows,
)
from annotator.models import ReviewItem, ReviewKind
from annotator.quality import agreement, review_acceptance
from platform_core.metrics import MetricsPeriod, metrics_period, sample_size
from platform_core.models import Project, TaskStatus

DONE_STATUSES = (TaskStatus.ACCEPTED, TaskStatus.AUTO_ACCEPTED)
# An ETA past this is no date: "not at the recent rate" (and datetime stops at year 9999).
MAX_ETA_DAYS = 36_500


# -- sections ---------------------------------------------------------------------------------


def project_throughput(*, project: Project) -> dict:
    period = metrics_period(project=project)
    submitted = window_annotation_rows(project=project, period=period)
    accepted = accepted_tasks(project=project, period=period)
    people: dict[int, dict] = {}
    for row in submitted:
        person = people.setdefault(
            row["annotator_id"], {"username": row["annotator__username"], "accepted": {}}
        )
        person.setdefault("submitted", {})[row["bucket"]] = row["submitted"]
    for annotator, verdicts in window_verdicts(project, period).items():
        person = people.setdefault(annotator, {"username": verdicts["username"]})
        person["accepted"] = verdicts["accepted_by_bucket"]
    total_submitted = sum(row["submitted"] for row in submitted)
    total_accepted = sum(row["n"] for row in accepted)
    hours = period.hours
    return {
        "submitted": period.series(_by_bucket(submitted, "submitted")),
        "accepted": period.series(_by_bucket(accepted, "n")),
        "total": {
            "submitted": total_submitted,
            "accepted": total_accepted,
            "submitted_per_hour": round(total_submitted / hours, 6) if hours else None,
            "accepted_per_hour": round(total_accepted / hours, 6) if hours else None,
        },
        "annotators": [
            {
                "annotator": annotator,
                "username": person["username"],
                "submitted": period.series(person.get("submitted", {})),
                "accepted": period.series(person.get("accepted", {})),
                "total": {
                    "submitted": sum(person.get("submitted", {}).values()),
                    "accepted": sum(person.get("accepted", {}).values()),
                },
            }
            for annotator, person in sorted(people.items(), key=lambda i: i[1]["username"])
        ],
    }


def window_verdicts(project: Project, period: MetricsPeriod) -> dict[int, dict]:
    """Per annotator: the first-stage verdicts given in the window on their annotations
    ("verdicts": accepted, corrected, rejected) and the accepted or corrected ones per bucket
    ("accepted_by_bucket"): an annotator's accepted items."""
    people: dict[int, dict] = {}
    names = usernames(project=project, period=period)
    for row in review_verdict_rows(project=project, period=period):
        if row["stage"] != 1 or row["bucket"] is None:
            continue
        annotator = row["author_id"]
        person = people.setdefault(
            annotator,
            {"username": names.get(annotator, ""), "verdicts": [0, 0, 0], "accepted_by_bucket": {}},
        )
        for index, name in enumerate(VERDICTS):
            person["verdicts"][index] += row[name]
        kept = row["accepted"] + row["corrected"]
        by_bucket = person["accepted_by_bucket"]
        by_bucket[row["bucket"]] = by_bucket.get(row["bucket"], 0) + kept
    return people


def project_annotators(*, project: Project) -> list[dict]:
    """One row per annotator who submitted, or whose work was reviewed, in the window."""
    period = metrics_period(project=project)
    people: dict[int, dict] = {}

    def person(annotator: int, username: str) -> dict:
        return people.setdefault(annotator, _empty_person(annotator, username))

    for row in window_annotation_rows(project=project, period=period):
        entry = person(row["annotator_id"], row["annotator__username"])
        for key in ("submitted", "timed", "gold_answered", "gold_correct"):
            entry[key] += row[key]
        entry["lead_s"] += row["lead_s"] or 0.0
    for annotator, verdicts in window_verdicts(project, period).items():
        entry = person(annotator, verdicts["username"])
        entry["verdicts"] = tuple(verdicts["verdicts"])
        entry["accepted"] = sum(verdicts["accepted_by_bucket"].values())
    agreement_by_annotator = _agreement_by_annotator(project)
    return [
        _annotator_row(entry, agreement_by_annotator.get(entry["annotator"]))
        for entry in sorted(people.values(), key=lambda entry: entry["username"])
    ]


def _empty_person(annotator: int, username: str) -> dict:
    return {
        "annotator": annotator, "username": username, "submitted": 0, "timed": 0, "lead_s": 0.0,
        "accepted": 0, "gold_answered": 0, "gold_correct": 0, "verdicts": (0, 0, 0),
    }


def _annotator_row(entry: dict, agreement_figure: dict | None) -> dict:
    hours = entry["lead_s"] / 3600
    answered, correct = entry["gold_answered"], entry["gold_correct"]
    review = review_acceptance(*entry["verdicts"])
    return {
        "annotator": entry["annotator"],
        "username": entry["username"],
        "submitted": entry["submitted"],
        "timed": entry["timed"],
        "active_hours": round(hours, 6),
        "accepted": entry["accepted"],
        "items_per_active_hour": {
            "value": round(entry["timed"] / hours, 6) if hours else None,
            **sample_size(entry["timed"], "timed items"),
        },
        "review": {**review, **sample_size(review["reviewed"], "reviews")},
        "gold": {
            "answered": answered,
            "correct": correct,
            "accuracy": correct / answered if answered else None,
            **sample_size(answered, "gold answers"),
        },
        "agreement": agreement_figure,
    }


def _agreement_by_annotator(project: Project) -> dict[int, dict]:
    """Per annotator: agreement (quality.agreement's figure) on the overlapped tasks of the
    quality sample that they labeled. All time, like the sample."""
    rows, _ = overlap_sample(project=project)
    tasks_of: dict[int, list[list[dict]]] = {}
    for row in rows.values():
        results = [result for _, result in row]
        for annotator in {annotator for annotator, _ in row}:
            tasks_of.setdefault(annotator, []).append(results)
    figures = {}
    for annotator, task_rows in tasks_of.items():
        figure = agreement(project.task_type, task_rows)
        figures[annotator] = {
            "metric": figure["metric"],
            "value": figure["value"],
            "tasks": figure["tasks"],
            **sample_size(figure["tasks"], "overlapped tasks"),
        }
    return figures


def project_queue(*, project: Project) -> dict:
    """Tasks by status now, and the review items waiting for a verdict."""
    by_status = task_counts(project=project)["by_status"]
    total = sum(by_status.values())
    pending = (
        ReviewItem.objects.filter(project=project)
        .order_by()
        .values_list("kind", "stage")
        .annotate(n=Count("id"))
    )
    review = {"total": 0, "annotation": 0, "spot_check": 0, "second_stage": 0}
    for kind, stage, n in pending:
        review["total"] += n
        if stage > 1:
            review["second_stage"] += n
        elif kind == ReviewKind.SPOT_CHECK:
            review["spot_check"] += n
        else:
            review["annotation"] += n
    return {
        "by_status": by_status,
        "total": total,
        "remaining": total - sum(by_status[status] for status in DONE_STATUSES),
        "review_pending": review,
    }


def project_cost(*, project: Project) -> dict:
    """Cost per accepted item = hourly_rate x active hours / accepted items over the window;
    cost to finish = remaining items x that; ETA = remaining / accepted per day in the window.

    Active hours are the known lead times: annotations whose time is unknown add nothing
    (`timed` of `submitted` says how many were timed). Accepted items include the machine's,
    so a higher machine share lowers the cost per item. Reviewing time is not measured.
    """
    period = metrics_period(project=project)
    rows = window_annotation_rows(project=project, period=period)
    hours = sum(row["lead_s"] or 0.0 for row in rows) / 3600
    accepted = sum(row["n"] for row in accepted_tasks(project=project, period=period))
    by_status = task_counts(project=project)["by_status"]
    remaining = sum(by_status.values()) - sum(by_status[status] for status in DONE_STATUSES)
    rate = float(project.hourly_rate or 0)
    labor_cost = rate * hours if rate > 0 else None

    per_item = to_finish = None
    reason = None
    if labor_cost is None:
        reason = "hourly_rate is not set"
    elif not accepted:
        reason = "nothing was accepted in the window"
    else:
        per_item = labor_cost / accepted
        to_finish = remaining * per_item
    if remaining == 0:
        to_finish = 0.0  # nothing left costs nothing, whatever the rate
    return {
        "hourly_rate": rate if rate > 0 else None,
        "submitted": sum(row["submitted"] for row in rows),
        "timed": sum(row["timed"] for row in rows),
        "active_hours": round(hours, 6),
        "labor_cost": None if labor_cost is None else round(labor_cost, 2),
        "accepted": accepted,
        "remaining": remaining,
        "per_item": {
            "value": None if per_item is None else round(per_item, 4),
            **sample_size(accepted, "accepted items"),
            **({"reason": reason} if reason else {}),
        },
        "to_finish": {
            "value": None if to_finish is None else round(to_finish, 2),
            "reason": None if to_finish is not None else reason,
        },
        "eta": _eta(period, accepted, remaining),
    }


def _eta(period: MetricsPeriod, accepted: int, remaining: int) -> dict:
    per_day = accepted / period.days if period.days > 0 else 0.0
    days, reason = None, None
    if remaining == 0:
        days = 0.0
    elif per_day == 0:
        reason = "nothing was accepted in the window"
    elif remaining / per_day > MAX_ETA_DAYS:
        reason = f"more than {MAX_ETA_DAYS} days at the recent rate"
    else:
        days = remaining / per_day
    flags = sample_size(accepted, "accepted items")
    return {
        "days": None if days is None else round(days, 2),
        "date": None if days is None else (period.until + timedelta(days=days)).date().isoformat(),
        "accepted_per_day": round(per_day, 6),
        **flags,
        "reason": reason or flags["reason"],
    }


def _by_bucket(rows: list[dict], key: str) -> dict:
    totals: dict = {}
    for row in rows:
        totals[row["bucket"]] = totals.get(row["bucket"], 0) + row[key]
    return totals
