"""The auto-accept threshold over a model's life: proposed when a version is activated, applied
by a manager (or by the project's routing policy), raised by spot-checks
(ml_assist.routing.threshold_adjust), lowered by the exploration band's verdicts. Every move is
a ThresholdEvent with its evidence; `threshold_timeline` reads them back.

- `threshold_propose`: from the new version's held-out labels, the lowest confidence whose
  Wilson lower bound on precision meets the project's target (ml_assist.thresholds), or none.
- `threshold_lower`: when the reviewed labels in the band [threshold - width, threshold) have a
  lower bound at or above the target, the threshold moves down to the band's floor; the open
  suggestions now above it are routed on the worker.
"""
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from annotator.quality import wilson_interval
from ml_assist.models import ModelVersion
from ml_assist.routing import (
    MIN_REVIEWED_TO_ADJUST,
    ROUTABLE_STATUSES,
    precision_estimate,
    reviewed_sample,
    route_confident,
    routing_policy_of,
    threshold_adjust,
)
from ml_assist.routing_models import (
    RoutingPolicy,
    RoutingVerdict,
    ThresholdEvent,
    ThresholdEventKind,
    ThresholdEvidence,
)
from ml_assist.thresholds import lowest_certified_threshold
from platform_core.holdout import suggestion_holdout
from platform_core.jobs import send_quietly
from platform_core.models import Prediction, Project

# Reviewed band labels needed before the band can certify a move down: Wilson's bound alone
# would allow 19 of 19 at a 0.83 target; fewer than this is too thin a slice to act on.
MIN_BAND_REVIEWED = 20
# Held-out predictions a proposal must keep: a threshold certified on a handful is luck.
MIN_PROPOSAL_KEPT = 10
# Suggestions routed per statement batch when a threshold moves down or is turned on.
ROUTE_CHUNK = 5000
POLICY_FIELDS = ("apply_proposals", "exploration_width", "exploration_rate")


def threshold_propose(
    *, project: Project, version: ModelVersion, outcomes: list[tuple[float, bool]]
) -> ThresholdEvent:
    """Log the threshold `version`'s held-out outcomes certify (confidence, right?), and apply
    it when the project's policy says so. Precondition: inside the transaction that activated
    `version`, holding the project's row lock."""
    certified = lowest_certified_threshold(
        outcomes, target=project.target_precision, min_n=MIN_PROPOSAL_KEPT
    )
    proposal = ThresholdEvent.objects.create(
        project=project,
        kind=ThresholdEventKind.PROPOSED,
        evidence=ThresholdEvidence.HELD_OUT,
        model_version=version,
        old_threshold=project.auto_accept_threshold,
        new_threshold=certified.threshold,
        target_precision=project.target_precision,
        n=certified.n,
        correct=certified.correct,
        low=certified.low,
        high=certified.high,
        note="" if certified.threshold is not None else
        f"{len(outcomes)} held-out labels certify no threshold at {project.target_precision:.2f}.",
    )
    current = project.auto_accept_threshold
    # By itself the policy only turns routing on or moves it down: raising is the live
    # spot-checks' job, on far more labels than a held-out share holds.
    lower = current is None or (certified.threshold is not None and certified.threshold < current)
    if certified.threshold is not None and lower and routing_policy_of(project).apply_proposals:
        threshold_apply_proposal(project=project, proposal=proposal, actor=None)
    return proposal


def threshold_proposal(*, project: Project) -> ThresholdEvent | None:
    """The active version's latest proposal (None before any, or when no version is active)."""
    return (
        ThresholdEvent.objects.filter(
            project=project, kind=ThresholdEventKind.PROPOSED, model_version__is_active=True
        )
        .select_related("model_version")
        .first()
    )


@transaction.atomic
def threshold_apply_proposal(*, project: Project, proposal: ThresholdEvent, actor) -> ThresholdEvent:
    """Turn auto-accept on at (or move it to) the proposal's threshold; the APPLIED event.

    ValidationError when the proposal is not the active version's latest one or certifies
    nothing. The open suggestions at or above the new threshold are routed on the worker.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    current = threshold_proposal(project=locked)
    if current is None or current.pk != proposal.pk:
        raise ValidationError({"proposal": "This is not the active version's latest proposal."})
    if proposal.new_threshold is None:
        raise ValidationError({"proposal": "This proposal certifies no threshold."})
    applied = _move(
        locked, proposal.new_threshold, kind=ThresholdEventKind.APPLIED,
        evidence=ThresholdEvidence.HELD_OUT, model_version=proposal.model_version,
        counts=(proposal.n, proposal.correct, proposal.low, proposal.high), actor=actor,
        note="by the routing policy" if actor is None else "",
    )
    project.auto_accept_threshold = locked.auto_accept_threshold
    return applied


@transaction.atomic
def threshold_lower(*, project: Project) -> ThresholdEvent | None:
    """Move the threshold down to the exploration band's floor when the band's reviewed
    labels certify the target; the LOWERED event, or None when they do not (yet).

    Not while the spot-checks at the threshold measure a precision under the target (raising
    comes first)."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    threshold = locked.auto_accept_threshold
    if threshold is None or threshold <= 0.0:
        return None
    at_threshold = precision_estimate(project=locked)
    failing = at_threshold.precision is not None and at_threshold.precision < locked.target_precision
    if at_threshold.n >= MIN_REVIEWED_TO_ADJUST and failing:
        return None
    band = band_evidence(project=locked, policy=routing_policy_of(locked))
    if band["n"] < MIN_BAND_REVIEWED or band["low"] < locked.target_precision:
        return None
    event = _move(
        locked, band["floor"], kind=ThresholdEventKind.LOWERED,
        evidence=ThresholdEvidence.EXPLORATION,
        model_version=ModelVersion.objects.filter(project=locked, is_active=True).first(),
        counts=(band["n"], band["correct"], band["low"], band["high"]), actor=None,
    )
    project.auto_accept_threshold = locked.auto_accept_threshold
    return event


def band_evidence(*, project: Project, policy: RoutingPolicy) -> dict:
    """The reviewed labels in [threshold - width, threshold): n, correct, interval, floor."""
    threshold = project.auto_accept_threshold
    floor = max(0.0, round(threshold - policy.exploration_width, 6))
    counts = (
        reviewed_sample(project=project, min_confidence=floor)
        .filter(confidence__lt=threshold)
        .aggregate(n=Count("id"), correct=Count("id", filter=Q(verdict=RoutingVerdict.CORRECT)))
    )
    low, high = wilson_interval(counts["correct"], counts["n"])
    return {**counts, "low": low, "high": high, "floor": floor}


def threshold_review(*, project: Project) -> dict:
    """After new verdicts: raise when the spot-checks fail the target, else lower when the band
    certifies it. Returns threshold_adjust's summary with `lowered` (the event or None)."""
    summary = threshold_adjust(project=project)
    summary["lowered"] = None if summary["changed"] else threshold_lower(project=project)
    return summary


def _move(project: Project, new: float, *, kind, evidence, model_version, counts, actor,
          note: str = "") -> ThresholdEvent:
    n, correct, low, high = counts
    old = project.auto_accept_threshold
    project.auto_accept_threshold = new
    project.full_clean()
    # An UPDATE, not save(): the save signal logs hand-made changes (ml_assist.signals), and
    # this one is logged here, with its evidence.
    Project.objects.filter(pk=project.pk).update(auto_accept_threshold=new, updated_at=timezone.now())
    event = ThresholdEvent.objects.create(
        project=project, kind=kind, evidence=evidence, model_version=model_version,
        old_threshold=old, new_threshold=new, target_precision=project.target_precision,
        n=n, correct=correct, low=low, high=high, actor=actor, note=note,
    )
    transaction.on_commit(partial(_schedule_routing, project.pk))
    return event


def _schedule_routing(project_id: int) -> None:
    from ml_assist.tasks import route_suggestions_task

    send_quietly(route_suggestions_task, project_id)


def suggestions_route(*, project: Project, rng=None) -> dict:
    """Route the open suggestions of the active version at or above the exploration band's
    floor, as a pre-labeling pass would have under today's threshold: after the threshold moved
    down or was turned on, the suggestions already written would otherwise wait for the next
    version. Tasks held out to measure suggestions are left to people. Counts routed."""
    threshold = project.auto_accept_threshold
    version = ModelVersion.objects.filter(project=project, is_active=True).first()
    totals = {"auto_accepted": 0, "explored": 0}
    if threshold is None or version is None:
        return totals
    floor = max(0.0, threshold - routing_policy_of(project).exploration_width)
    rows = (
        Prediction.objects.filter(
            task__project=project, task__status__in=ROUTABLE_STATUSES, model_version=version.name,
            confidence__gte=floor,
        )
        .order_by("task_id")
        .values_list("task_id", "confidence")
    )
    rate = project.suggestion_holdout_rate
    chunk: dict[int, float] = {}
    for task_id, confidence in rows.iterator(chunk_size=ROUTE_CHUNK):
        if not suggestion_holdout(task_id, rate):
            chunk[task_id] = confidence
        if len(chunk) >= ROUTE_CHUNK:
            _route_chunk(project, chunk, version.name, rng, totals)
            chunk = {}
    if chunk:
        _route_chunk(project, chunk, version.name, rng, totals)
    return totals


def _route_chunk(project, chunk, version_name, rng, totals) -> None:
    routed = route_confident(project=project, task_confidences=chunk, model_version=version_name, rng=rng)
    totals["auto_accepted"] += len(routed.auto_accepted)
    totals["explored"] += len(routed.explored)


# -- reads and settings --------------------------------------------------------------------------


def threshold_timeline(*, project: Project, limit: int = 200) -> list[ThresholdEvent]:
    """The project's proposals and moves, newest first."""
    return list(
        ThresholdEvent.objects.filter(project=project)
        .select_related("model_version", "actor")
        .order_by("-created_at", "-id")[:limit]
    )


@transaction.atomic
def routing_policy_update(*, project: Project, data: dict) -> RoutingPolicy:
    """Set the given policy fields (POLICY_FIELDS) of the project; ValidationError naming a bad
    field. Turning `apply_proposals` on applies the current proposal at once."""
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationError({name: "Not a routing policy setting." for name in unknown})
    policy, _ = RoutingPolicy.objects.select_for_update().get_or_create(project=project)
    turned_on = data.get("apply_proposals") and not policy.apply_proposals
    for name, value in data.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    # Turned on while routing is off: on at once with the current proposal, if it has one.
    proposal = threshold_proposal(project=project) if turned_on else None
    off = Project.objects.filter(pk=project.pk, auto_accept_threshold__isnull=True).exists()
    if proposal is not None and proposal.new_threshold is not None and off:
        threshold_apply_proposal(project=project, proposal=proposal, actor=None)
    return policy
