"""The threshold over a model's life: proposed on activation, applied, raised by spot-checks,
lowered only on a certified exploration band, and every move on the timeline with its evidence."""
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from annotator.models import ReviewItem, ReviewKind
from annotator.quality import wilson_interval
from ml_assist.models import MlJobKind, ModelVersion
from ml_assist.routing import route_confident, threshold_adjust
from ml_assist.routing_models import (
    RoutingDecision,
    RoutingPolicy,
    RoutingVerdict,
    ThresholdEvent,
    ThresholdEventKind,
)
from ml_assist.services import ml_job_create, model_train
from ml_assist.services.thresholds import (
    MIN_BAND_REVIEWED,
    suggestions_route,
    threshold_apply_proposal,
    threshold_lower,
    threshold_proposal,
    threshold_review,
)
from ml_assist.thresholds import lowest_certified_threshold, reliability_bins
from platform_core.models import Prediction, Role, Task, TaskStatus
from tests.factories import ProjectFactory

POSITIVE = {"labels": ["positive"]}


def _tasks(project, confidences, status=TaskStatus.SUGGESTED, version="builtin-v1"):
    start = Task.objects.filter(project=project).count()
    tasks = Task.objects.bulk_create(
        Task(project=project, data={"text": f"t{n}"}, checksum=f"{project.pk}-{start + n}",
             status=status)
        for n in range(len(confidences))
    )
    Prediction.objects.bulk_create(
        Prediction(task=t, model_version=version, result=POSITIVE, confidence=c)
        for t, c in zip(tasks, confidences)
    )
    return tasks


def _judged(project, rows, *, threshold, exploration=False):
    """Routed tasks with verdicts: rows of (confidence, correct?)."""
    status = TaskStatus.ACCEPTED
    tasks = _tasks(project, [c for c, _ in rows], status=status)
    now = timezone.now()
    RoutingDecision.objects.bulk_create(
        RoutingDecision(
            task=task, confidence=confidence, threshold=threshold, sampled_for_review=True,
            exploration=exploration, reviewed_at=now,
            verdict=RoutingVerdict.CORRECT if ok else RoutingVerdict.INCORRECT,
        )
        for task, (confidence, ok) in zip(tasks, rows)
    )
    return tasks


# -- the arithmetic ------------------------------------------------------------------------------


def test_the_proposal_is_the_lowest_confidence_whose_lower_bound_meets_the_target():
    # 60 right at 0.99, then 20 at 0.9 with one wrong, then 20 at 0.6 of which half are wrong.
    outcomes = [(0.99, True)] * 60 + [(0.9, True)] * 19 + [(0.9, False)] + [(0.6, True), (0.6, False)] * 10
    certified = lowest_certified_threshold(outcomes, target=0.9)
    assert certified.threshold == 0.9
    assert (certified.n, certified.correct) == (80, 79)
    assert (certified.low, certified.high) == pytest.approx(wilson_interval(79, 80))
    assert wilson_interval(89, 100)[0] < 0.9  # one step lower would fail


def test_no_threshold_is_proposed_when_the_evidence_cannot_certify_the_target():
    certified = lowest_certified_threshold([(0.99, True)] * 30, target=0.95)
    assert certified.threshold is None  # 30 of 30 has a lower bound of 0.886
    assert (certified.n, certified.correct) == (30, 30)
    assert lowest_certified_threshold([], target=0.5).threshold is None


def test_reliability_bins_hold_count_mean_confidence_and_accuracy():
    bins = reliability_bins([0.91, 0.95, 0.55, 0.99], [True, False, True, True])
    assert [(b["low"], b["high"], b["n"]) for b in bins] == [(0.5, 0.6, 1), (0.9, 1.0, 3)]
    assert bins[1]["confidence"] == pytest.approx((0.91 + 0.95 + 0.99) / 3)
    assert bins[1]["accuracy"] == pytest.approx(2 / 3)


# -- proposal on activation ----------------------------------------------------------------------


def _train(project):
    job = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    model_train(job_id=job.pk)


def test_activating_a_version_proposes_a_threshold_from_its_held_out_labels(labeled_text_project):
    project, _ = labeled_text_project
    # Low enough for ~40 held-out labels to certify; the arithmetic is tested above.
    project.target_precision = 0.6
    project.save()

    _train(project)

    version = ModelVersion.objects.get(project=project, is_active=True)
    proposal = threshold_proposal(project=project)
    assert proposal.model_version == version and proposal.kind == ThresholdEventKind.PROPOSED
    assert proposal.n <= version.metrics["held_out"] and proposal.low >= 0.6
    assert proposal.new_threshold is not None
    assert sum(b["n"] for b in version.reliability) == version.metrics["held_out"]
    project.refresh_from_db()
    assert project.auto_accept_threshold is None  # a manager turns it on


def test_the_routing_policy_applies_the_proposal_by_itself(labeled_text_project):
    project, unlabeled = labeled_text_project
    project.target_precision = 0.6
    project.save()
    RoutingPolicy.objects.create(project=project, apply_proposals=True)

    _train(project)

    project.refresh_from_db()
    proposal = threshold_proposal(project=project)
    assert project.auto_accept_threshold == proposal.new_threshold
    applied = ThresholdEvent.objects.get(project=project, kind=ThresholdEventKind.APPLIED)
    assert (applied.old_threshold, applied.actor, applied.n) == (None, None, proposal.n)


def test_a_stale_or_empty_proposal_cannot_be_applied(db):
    project = ProjectFactory(target_precision=0.99)
    version = ModelVersion.objects.create(project=project, name="builtin-v1", is_active=True,
                                          artifact="x", artifact_signature="x")
    empty = ThresholdEvent.objects.create(project=project, kind=ThresholdEventKind.PROPOSED,
                                          evidence="held_out", model_version=version,
                                          target_precision=0.99)
    with pytest.raises(ValidationError, match="certifies no threshold"):
        threshold_apply_proposal(project=project, proposal=empty, actor=None)
    newer = ThresholdEvent.objects.create(project=project, kind=ThresholdEventKind.PROPOSED,
                                          evidence="held_out", model_version=version,
                                          new_threshold=0.9, target_precision=0.99)
    with pytest.raises(ValidationError, match="not the active version's latest"):
        threshold_apply_proposal(project=project, proposal=empty, actor=None)
    threshold_apply_proposal(project=project, proposal=newer, actor=None)
    project.refresh_from_db()
    assert project.auto_accept_threshold == 0.9


# -- exploring under the threshold ---------------------------------------------------------------


def test_the_band_under_the_threshold_goes_to_review_and_is_never_auto_accepted(db):
    project = ProjectFactory(auto_accept_threshold=0.9, review_sample_rate=0.0)
    RoutingPolicy.objects.create(project=project, exploration_width=0.05, exploration_rate=1.0)
    above, band, below = _tasks(project, [0.95, 0.87, 0.8])

    result = route_confident(
        project=project, task_confidences={above.pk: 0.95, band.pk: 0.87, below.pk: 0.8},
        rng=random.Random(1), model_version="builtin-v1",
    )

    assert (result.auto_accepted, result.explored) == ([above.pk], [band.pk])
    statuses = dict(Task.objects.filter(project=project).values_list("id", "status"))
    assert statuses == {above.pk: TaskStatus.AUTO_ACCEPTED, band.pk: TaskStatus.SUBMITTED,
                        below.pk: TaskStatus.SUGGESTED}
    band.refresh_from_db()
    assert band.accepted_result is None
    decision = RoutingDecision.objects.get(task=band)
    assert decision.exploration and decision.sampled_for_review
    assert ReviewItem.objects.filter(task=band, kind=ReviewKind.SPOT_CHECK).exists()


def test_accepting_a_band_label_accepts_the_task_and_counts_as_band_evidence(
    db, member, api_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(auto_accept_threshold=0.9, review_sample_rate=0.0)
    RoutingPolicy.objects.create(project=project, exploration_rate=1.0)
    [band] = _tasks(project, [0.88])
    route_confident(project=project, task_confidences={band.pk: 0.88}, model_version="builtin-v1")
    client = api_client(member(Role.REVIEWER, project.organization))

    item = client.post(f"/api/v1/projects/{project.id}/next-review/").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(item["verdict_url"], {"verdict": "accept"}, format="json")

    assert response.status_code == 201, response.json()
    band.refresh_from_db()
    assert (band.status, band.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)
    assert RoutingDecision.objects.get(task=band).verdict == RoutingVerdict.CORRECT


def test_the_threshold_moves_down_only_when_the_band_certifies_the_target(db):
    project = ProjectFactory(auto_accept_threshold=0.9, target_precision=0.9)
    RoutingPolicy.objects.create(project=project, exploration_width=0.05)
    # 19 of 19 right: its lower bound is 0.83, and fewer than MIN_BAND_REVIEWED anyway.
    _judged(project, [(0.87, True)] * (MIN_BAND_REVIEWED - 1), threshold=0.9, exploration=True)
    assert threshold_lower(project=project) is None
    # 39 of 40 right: bound 0.87, still under 0.9.
    _judged(project, [(0.86, True)] * 20 + [(0.86, False)], threshold=0.9, exploration=True)
    assert threshold_lower(project=project) is None
    project.refresh_from_db()
    assert project.auto_accept_threshold == 0.9
    # 60 more right: 99 of 100 in the band, bound 0.945.
    _judged(project, [(0.88, True)] * 60, threshold=0.9, exploration=True)
    event = threshold_lower(project=project)

    project.refresh_from_db()
    assert project.auto_accept_threshold == pytest.approx(0.85)
    assert (event.kind, event.old_threshold, event.new_threshold) == ("lowered", 0.9, pytest.approx(0.85))
    assert (event.n, event.correct) == (100, 99)
    assert (event.low, event.high) == pytest.approx(wilson_interval(99, 100))
    # Labels judged under the old band are above the new threshold: the new band starts empty.
    assert threshold_lower(project=project) is None


def test_no_move_down_while_the_spot_checks_at_the_threshold_fail(db):
    project = ProjectFactory(auto_accept_threshold=0.9, target_precision=0.9)
    _judged(project, [(0.95, True)] * 20 + [(0.95, False)] * 15, threshold=0.9)
    _judged(project, [(0.88, True)] * 100, threshold=0.9, exploration=True)
    assert threshold_lower(project=project) is None
    summary = threshold_review(project=project)
    assert summary["changed"] and summary["lowered"] is None  # raised instead


def test_raising_is_logged_with_the_spot_check_evidence(db):
    project = ProjectFactory(auto_accept_threshold=0.5, target_precision=0.9)
    _judged(project, [(0.6, False)] * 10 + [(0.95, True)] * 40, threshold=0.5)

    summary = threshold_adjust(project=project)

    event = ThresholdEvent.objects.get(project=project)
    assert (event.kind, event.evidence) == ("raised", "spot_checks")
    assert (event.old_threshold, event.new_threshold) == (0.5, summary["new_threshold"])
    assert (event.n, event.correct) == (50, 40)
    assert (event.low, event.high) == pytest.approx(wilson_interval(40, 50))


def test_after_a_move_down_the_waiting_suggestions_above_it_are_routed(db):
    project = ProjectFactory(auto_accept_threshold=0.9, review_sample_rate=0.0,
                             suggestion_holdout_rate=0.0)
    ModelVersion.objects.create(project=project, name="builtin-v1", is_active=True,
                                artifact="x", artifact_signature="x")
    RoutingPolicy.objects.create(project=project, exploration_width=0.05, exploration_rate=0.0)
    waiting, low = _tasks(project, [0.86, 0.5])
    project.auto_accept_threshold = 0.85
    project.save()

    assert suggestions_route(project=project) == {"auto_accepted": 1, "explored": 0}
    assert Task.objects.get(pk=waiting.pk).status == TaskStatus.AUTO_ACCEPTED
    assert Task.objects.get(pk=low.pk).status == TaskStatus.SUGGESTED


# -- the API and the timeline --------------------------------------------------------------------


def test_a_manager_applies_the_proposal_and_reads_the_timeline(
    db, member, api_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(target_precision=0.9)
    version = ModelVersion.objects.create(project=project, name="builtin-v1", is_active=True,
                                          artifact="x", artifact_signature="x")
    proposal = ThresholdEvent.objects.create(
        project=project, kind=ThresholdEventKind.PROPOSED, evidence="held_out",
        model_version=version, new_threshold=0.93, target_precision=0.9, n=80, correct=79,
        low=0.93, high=0.99,
    )
    manager = member(Role.MANAGER, project.organization)
    client = api_client(manager)
    url = f"/api/v1/projects/{project.id}/routing/"

    refused = client.post(url + "apply-proposal/", {"proposal": proposal.pk + 99}, format="json")
    assert refused.status_code == 400 and "proposal" in refused.json()
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(url + "apply-proposal/", {"proposal": proposal.pk}, format="json")
    assert applied.status_code == 200, applied.json()
    assert applied.json()["auto_accept_threshold"] == 0.93

    body = client.get(url).json()
    assert [e["kind"] for e in body["timeline"]] == ["applied", "proposed"]
    assert body["timeline"][0]["actor"] == manager.username
    assert body["proposal"]["id"] == proposal.pk
    assert body["policy"] == {"apply_proposals": False, "exploration_width": 0.05,
                              "exploration_rate": 0.1}

    changed = client.patch(url, {"exploration_rate": 0.3}, format="json")
    assert changed.status_code == 200 and changed.json()["policy"]["exploration_rate"] == 0.3
    bad = client.patch(url, {"exploration_rate": 2}, format="json")
    assert bad.status_code == 400 and "exploration_rate" in bad.json()
    unknown = client.patch(url, {"threshold": 0.1}, format="json")
    assert unknown.status_code == 400


def test_annotators_read_the_routing_but_cannot_change_it(db, member, api_client):
    project = ProjectFactory()
    client = api_client(member(Role.ANNOTATOR, project.organization))
    url = f"/api/v1/projects/{project.id}/routing/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"exploration_rate": 0.3}, format="json").status_code == 403
    assert client.post(url + "apply-proposal/", {"proposal": 1}, format="json").status_code == 403


def test_the_models_api_shows_each_versions_reliability_curve(labeled_text_project, member, api_client):
    project, _ = labeled_text_project
    _train(project)
    client = api_client(member(Role.ANNOTATOR, project.organization))

    [version] = client.get(f"/api/v1/projects/{project.id}/models/").json()["versions"]

    bins = version["reliability"]
    assert sum(b["n"] for b in bins) == version["metrics"]["held_out"]
    assert all(b["low"] <= b["confidence"] <= b["high"] and 0 <= b["accuracy"] <= 1 for b in bins)


def test_members_of_another_organization_get_404_on_the_routing(db, member, api_client):
    project = ProjectFactory()
    stranger = api_client(member(Role.MANAGER))
    url = f"/api/v1/projects/{project.id}/routing/"
    assert stranger.get(url).status_code == 404
    assert stranger.patch(url, {"exploration_rate": 0.3}, format="json").status_code == 404
    assert stranger.post(url + "apply-proposal/", {"proposal": 1}, format="json").status_code == 404


def test_a_threshold_set_by_hand_is_on_the_timeline_without_evidence(db):
    from platform_core.services.projects import project_update

    project = ProjectFactory(auto_accept_threshold=None, target_precision=0.9)
    assert not ThresholdEvent.objects.filter(project=project).exists()  # creating is not a move

    project_update(project=project, data={"auto_accept_threshold": 0.8})
    project_update(project=project, data={"review_sample_rate": 0.2})  # not a threshold change
    project_update(project=project, data={"auto_accept_threshold": None})

    events = list(ThresholdEvent.objects.filter(project=project).order_by("id"))
    assert [(e.kind, e.evidence, e.old_threshold, e.new_threshold) for e in events] == [
        ("set", "none", None, 0.8), ("set", "none", 0.8, None),
    ]
