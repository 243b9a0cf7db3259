"""The dashboard sections of GET /api/v1/projects/{id}/metrics/ on a small fixed project whose
every figure is worked out by hand below.

The project (text classification, hourly_rate 30, holdout rate 0.5), asked at NOW =
2026-12-10 12:00 UTC with window=3d&bucket=day: the window starts 12-07 12:00 and the buckets
are 12-07, 12-08, 12-09 and 12-10.

task  who    annotated    lead s  suggestion            then
T1    alice  12-08 10:00     600  shown, kept           accepted 12-08 11:00
T2    alice  12-08 14:00    1200  shown, changed        corrected 12-09 09:00 (gold, wrong)
T3    bob    12-09 10:00    1800  held out (existed)    accepted 12-09 12:00 (gold, right)
T4    bob    12-10 08:00       ?  shown, kept           rejected 12-10 09:00
T5    machine auto-accepted 12-08 06:00                 spot-check accepted 12-09 15:00
T6    machine auto-accepted 12-10 07:00                 spot-check pending
T7    -                                                 new
T8    alice  12-05 10:00     300  none                  accepted 12-05 11:00 (before window)
T9    alice  12-10 10:00     900  shown, kept           review pending
T10   alice  12-10 11:00    4500  held out (existed)    review pending
T11   bob    12-09 20:00    1200  none, not held out    submitted
T12   bob    12-09 21:00     600  held out, none made   submitted
T13   machine auto-accepted 12-08 08:00                 spot-check corrected 12-09 16:00
"""
from datetime import UTC, datetime, timedelta
from itertools import count
from unittest import mock

import pytest

from annotator.models import AnnotationStatus, Review, ReviewItem
from ml_assist.routing_models import RoutingDecision
from platform_core.holdout import suggestion_holdout
from platform_core.models import AcceptedSource, Role, Task, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.factories import MembershipFactory, ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
POS, NEG = {"labels": ["positive"]}, {"labels": ["negative"]}
HOLDOUT = 0.5


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


def frozen(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def metrics(client, project, query="window=3d&bucket=day", now=NOW):
    with frozen(now):
        response = client.get(f"/api/v1/projects/{project.id}/metrics/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


class Builder:
    """Rows as the services leave them, at chosen times (each row's clock frozen)."""

    def __init__(self, project, reviewer):
        self.project, self.reviewer = project, reviewer
        self.ids = {True: self._ids(True), False: self._ids(False)}

    def _ids(self, held: bool):
        # Explicit ids, chosen by the holdout hash, far above the sequence's.
        return (i for i in count(900_000) if suggestion_holdout(i, HOLDOUT) is held)

    def task(self, *, held=False, status=TaskStatus.NEW, accepted_at=None, source=None,
             **fields):
        with frozen(at(1)):
            task = TaskFactory(project=self.project, pk=next(self.ids[held]), **fields)
        Task.objects.filter(pk=task.pk).update(
            status=status, accepted_at=accepted_at, accepted_source=source
        )
        return task

    def suggestion(self, task, when=None):
        with frozen(when or at(1)):
            return PredictionFactory(task=task, result=POS)

    def annotation(self, task, who, when, lead, *, prediction=None, changed=None,
                   status=AnnotationStatus.SUBMITTED, gold=None):
        with frozen(when):
            return AnnotationFactory(
                task=task, annotator=who, lead_time_s=lead, prediction=prediction,
                changed_from_suggestion=changed, status=status, gold_correct=gold,
            )

    def review(self, task, when, verdict, *, annotation=None, kind="annotation", edit=None):
        with frozen(when):
            return Review.objects.create(
                task=task, annotation=annotation, kind=kind, reviewer=self.reviewer,
                verdict=verdict, reviewed_result=POS, result=None if verdict == "reject" else NEG,
                comment="wrong" if verdict == "reject" else "", edit=edit,
            )

    def routed(self, task, when, *, sampled=False, verdict=None):
        prediction = self.suggestion(task, when - timedelta(hours=1))
        with frozen(when):
            RoutingDecision.objects.create(
                task=task, prediction=prediction, confidence=0.97, threshold=0.9,
                sampled_for_review=sampled, verdict=verdict,
                reviewed_at=None if verdict is None else when + timedelta(hours=1),
            )
        return prediction


@pytest.fixture
def fixed(org, member):
    project = ProjectFactory(
        organization=org, hourly_rate=30, suggestion_holdout_rate=HOLDOUT,
        auto_accept_threshold=0.9, target_precision=0.95,
    )
    alice = MembershipFactory(organization=org, user__username="alice").user
    bob = MembershipFactory(organization=org, user__username="bob").user
    make = Builder(project, member(Role.REVIEWER, org))
    accepted, submitted = TaskStatus.ACCEPTED, AnnotationStatus.ACCEPTED

    t1 = make.task(status=accepted, accepted_at=at(8, 11), source=AcceptedSource.SUGGESTION)
    a1 = make.annotation(t1, alice, at(8, 10), 600, prediction=make.suggestion(t1),
                         changed=False, status=submitted)
    make.review(t1, at(8, 11), "accept", annotation=a1)

    t2 = make.task(status=accepted, accepted_at=at(9, 9), gold_result=POS)
    a2 = make.annotation(t2, alice, at(8, 14), 1200, prediction=make.suggestion(t2),
                         changed=True, status=submitted, gold=False)
    make.review(t2, at(9, 9), "correct", annotation=a2)

    t3 = make.task(held=True, status=accepted, accepted_at=at(9, 12), gold_result=POS)
    make.suggestion(t3)  # made, but not shown: the task is held out
    a3 = make.annotation(t3, bob, at(9, 10), 1800, status=submitted, gold=True)
    make.review(t3, at(9, 12), "accept", annotation=a3)

    t4 = make.task(status=TaskStatus.REJECTED)
    a4 = make.annotation(t4, bob, at(10, 8), None, prediction=make.suggestion(t4),
                         changed=False, status=AnnotationStatus.REJECTED)
    make.review(t4, at(10, 9), "reject", annotation=a4)

    t5 = make.task(status=accepted, accepted_at=at(8, 6), source=AcceptedSource.MACHINE)
    p5 = make.routed(t5, at(8, 6), sampled=True, verdict="correct")
    make.review(t5, at(9, 15), "accept", kind="spot_check",
                edit={"metric": "labels_changed", "value": 0.0})
    Review.objects.filter(task=t5).update(prediction=p5)

    t6 = make.task(status=TaskStatus.AUTO_ACCEPTED, accepted_at=at(10, 7))
    p6 = make.routed(t6, at(10, 7), sampled=True)
    ReviewItem.objects.create(project=project, task=t6, prediction=p6, kind="spot_check")

    make.task()  # T7: new

    t8 = make.task(status=accepted, accepted_at=at(5, 11))
    a8 = make.annotation(t8, alice, at(5, 10), 300, status=submitted)
    make.review(t8, at(5, 11), "accept", annotation=a8)

    t9 = make.task(status=TaskStatus.SUBMITTED)
    a9 = make.annotation(t9, alice, at(10, 10), 900, prediction=make.suggestion(t9),
                         changed=False)
    t10 = make.task(held=True, status=TaskStatus.SUBMITTED)
    make.suggestion(t10)
    a10 = make.annotation(t10, alice, at(10, 11), 4500)
    for task, annotation in ((t9, a9), (t10, a10)):
        ReviewItem.objects.create(project=project, task=task, annotation=annotation,
                                  kind="annotation", author=annotation.annotator)

    t11 = make.task(status=TaskStatus.SUBMITTED)
    make.suggestion(t11)  # shown, but the client did not say it started from it
    make.annotation(t11, bob, at(9, 20), 1200)
    t12 = make.task(held=True, status=TaskStatus.SUBMITTED)  # no suggestion existed
    make.annotation(t12, bob, at(9, 21), 600)

    t13 = make.task(status=accepted, accepted_at=at(8, 8))
    make.routed(t13, at(8, 8), sampled=True, verdict="incorrect")
    make.review(t13, at(9, 16), "correct", kind="spot_check",
                edit={"metric": "labels_changed", "value": 2.0})
    return project


@pytest.fixture
def figures(fixed, member, api_client):
    return metrics(api_client(member(Role.MANAGER, fixed.organization)), fixed)


def test_period_and_throughput_per_day_and_per_annotator(figures):
    assert figures["period"]["since"] == "2026-12-07T12:00:00Z"
    assert figures["period"]["buckets"] == [
        "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z",
        "2026-12-09T00:00:00Z", "2026-12-10T00:00:00Z",
    ]
    throughput = figures["throughput"]
    # Submitted: T1 T2 on the 8th; T3 T11 T12 on the 9th; T4 T9 T10 on the 10th (T8: before).
    assert throughput["submitted"] == [0, 2, 3, 3]
    # Accepted by accepted_at: T1 T5 T13 on the 8th, T2 T3 on the 9th, T6 on the 10th.
    assert throughput["accepted"] == [0, 3, 2, 1]
    # Over 72 hours: 8 / 72 and 6 / 72.
    assert throughput["total"] == {
        "submitted": 8, "accepted": 6,
        "submitted_per_hour": round(8 / 72, 6), "accepted_per_hour": round(6 / 72, 6),
    }
    alice, bob = throughput["annotators"]
    assert (alice["username"], alice["submitted"], alice["accepted"]) == (
        "alice", [0, 2, 0, 2], [0, 1, 1, 0]  # verdicts: T1 accepted (8th), T2 corrected (9th)
    )
    assert (bob["username"], bob["submitted"], bob["accepted"]) == ("bob", [0, 0, 3, 1],
                                                                     [0, 0, 1, 0])
    assert alice["total"] == {"submitted": 4, "accepted": 2}


def test_hour_buckets_are_a_continuous_series(fixed, member, api_client):
    client = api_client(member(Role.MANAGER, fixed.organization))
    throughput = metrics(client, fixed, "window=24h&bucket=hour")["throughput"]

    # 12-09 12:00 … 12-10 12:00: 25 buckets. T11 at 20:00, T12 at 21:00 (bucket 8, 9);
    # T4 08:00, T9 10:00, T10 11:00 on the 10th (buckets 20, 22, 23); T3 (10:00) is before.
    expected = [0] * 25
    for index in (8, 9, 20, 22, 23):
        expected[index] = 1
    assert throughput["submitted"] == expected
    # Accepted: T3 at 12:00, where the window starts (bucket 0), T6 at 07:00 (bucket 19);
    # T5 and T13 were confirmed in the window, but the machine accepted them before it.
    assert throughput["accepted"] == [1 if index in (0, 19) else 0 for index in range(25)]


def test_annotator_rows_have_active_hours_rates_reviews_and_gold(figures):
    alice, bob = figures["annotators"]
    # alice: T1 600 + T2 1200 + T9 900 + T10 4500 = 7200 s = 2 h, 4 timed items: 2 per hour.
    assert (alice["submitted"], alice["timed"], alice["active_hours"]) == (4, 4, 2.0)
    assert alice["items_per_active_hour"] == {
        "value": 2.0, "n": 4, "insufficient": True, "reason": "4 timed items; 30 needed"
    }
    # bob: T3 1800 + T11 1200 + T12 600 = 1 h over 3 timed items (T4's time is unknown).
    assert (bob["submitted"], bob["timed"], bob["active_hours"]) == (4, 3, 1.0)
    assert bob["items_per_active_hour"]["value"] == 3.0
    assert (alice["accepted"], bob["accepted"]) == (2, 1)
    # Verdicts given in the window: alice T1 accept, T2 correct; bob T3 accept, T4 reject.
    assert alice["review"] | {"reason": None} == {
        "accepted": 1, "corrected": 1, "rejected": 0, "reviewed": 2,
        "acceptance_rate": 0.5, "kept_rate": 1.0, "n": 2, "insufficient": True, "reason": None,
    }
    assert (bob["review"]["acceptance_rate"], bob["review"]["kept_rate"]) == (0.5, 0.5)
    assert alice["gold"]["accuracy"] == 0.0 and bob["gold"]["accuracy"] == 1.0
    assert (alice["gold"]["answered"], bob["gold"]["n"]) == (1, 1)
    assert alice["agreement"] is None  # overlap 1: no task has two annotations


def test_suggestion_acceptance_edit_size_and_uplift(figures):
    suggestions = figures["suggestions"]
    # From a suggestion: T1 kept, T2 changed, T4 kept, T9 kept: 3 of 4.
    assert suggestions["acceptance"]["value"] == 0.75
    assert (suggestions["acceptance"]["unchanged"], suggestions["acceptance"]["n"]) == (3, 4)
    # Spot-checks with an edit figure: T5 0 labels changed, T13 2: mean 1.
    assert suggestions["edit_size"] | {"reason": None} == {
        "metric": "labels_changed", "value": 1.0, "n": 2, "insufficient": True, "reason": None,
    }
    uplift = suggestions["uplift"]
    # With: T1 600, T2 1200, T9 900 (T4 untimed): median 900. Without: T3 1800, T10 4500
    # (held out, a suggestion existed); T11 (not held out) and T12 (none existed) are left
    # out: median 3150. Difference 900 - 3150 = -2250; saved 2250 / 3150 of the time.
    assert (uplift["median_with_s"], uplift["median_without_s"]) == (900, 3150)
    assert (uplift["n_with"], uplift["n_without"]) == (3, 2)
    assert uplift["difference_s"] == -2250
    assert uplift["saving_share"] == round(2250 / 3150, 6)
    # McKean-Schrader: n=3 and n=2 put both ranks at 1, so each standard error is the range
    # over 2z: 600 / 2z and 2700 / 2z; the half-width is z * hypot of the two.
    half = (600**2 + 2700**2) ** 0.5 / 2
    assert uplift["low_s"] == pytest.approx(-2250 - half, abs=1e-5)
    assert uplift["high_s"] == pytest.approx(-2250 + half, abs=1e-5)
    assert uplift["insufficient"] is True
    assert "3 timed annotations with a suggestion; 30 needed" in uplift["reason"]


def test_machine_share_counts_auto_accepted_and_unchanged_labels(figures):
    machine = figures["machine"]
    # Accepted in the window: T1 T5 T13 | T2 T3 | T6. The machine's: T5 (spot-check kept it),
    # T6 (auto-accepted), T1 (the suggestion accepted unchanged); T13 was corrected, T2
    # changed, T3 held out.
    assert (machine["accepted"], machine["auto_accepted"], machine["accepted_unchanged"]) == (
        6, 2, 1
    )
    assert machine["machine"] == 3
    assert machine["share"] == {
        "value": 0.5, "n": 6, "insufficient": True, "reason": "6 accepted items; 30 needed"
    }
    assert machine["series"] == {
        "accepted": [0, 3, 2, 1], "machine": [0, 2, 0, 1], "share": [None, 2 / 3, 0.0, 1.0]
    }
    # Spot-checks: T5 accepted, T13 corrected: 1 of 2, quality's figure with its interval.
    precision = machine["auto_accept_precision"]
    assert precision["precision"] == 0.5 and precision["n"] == 2
    assert {key: precision[key] for key in ("precision", "low", "high", "n")} == (
        figures["quality"]["auto_accept_precision"]
    )
    assert (precision["target_precision"], precision["meets_target"]) == (0.95, None)
    assert machine["threshold"] == 0.9


def test_queue_counts_tasks_by_status_and_pending_reviews(figures):
    queue = figures["queue"]
    assert queue["by_status"] == {
        "new": 1, "suggested": 0, "in_progress": 0, "submitted": 4,
        "accepted": 6, "rejected": 1, "auto_accepted": 1,
    }
    # 13 tasks, 7 of them done (6 accepted, 1 auto-accepted).
    assert (queue["total"], queue["remaining"]) == (13, 6)
    assert queue["review_pending"] == {
        "total": 3, "annotation": 2, "spot_check": 1, "second_stage": 0
    }


def test_cost_per_item_cost_to_finish_and_eta(figures):
    cost = figures["cost"]
    # 3 active hours (alice 2, bob 1) x 30 = 90; 6 accepted in the window: 15 an item.
    assert (cost["hourly_rate"], cost["active_hours"], cost["labor_cost"]) == (30.0, 3.0, 90.0)
    assert (cost["submitted"], cost["timed"], cost["accepted"], cost["remaining"]) == (8, 7, 6, 6)
    assert cost["per_item"]["value"] == 15.0 and cost["per_item"]["n"] == 6
    # 6 remaining x 15 = 90.
    assert cost["to_finish"] == {"value": 90.0, "reason": None}
    # 6 accepted over 3 days = 2 a day; 6 remaining take 3 days: 12-13.
    assert cost["eta"] | {"reason": None} == {
        "days": 3.0, "date": "2026-12-13", "accepted_per_day": 2.0,
        "n": 6, "insufficient": True, "reason": None,
    }


def test_cost_without_an_hourly_rate_or_anything_accepted_says_why(fixed, member, api_client):
    client = api_client(member(Role.MANAGER, fixed.organization))
    fixed.hourly_rate = 0
    fixed.save(update_fields=["hourly_rate"])
    cost = metrics(client, fixed)["cost"]
    assert cost["per_item"]["value"] is None and cost["labor_cost"] is None
    assert cost["to_finish"] == {"value": None, "reason": "hourly_rate is not set"}

    later = metrics(client, fixed, "window=1d", now=NOW + timedelta(days=5))["cost"]
    assert later["eta"]["days"] is None
    assert later["eta"]["reason"] == "nothing was accepted in the window"
