"""The model page of a project: versions and their measured quality with the active one's
reliability curve, confidence routing (the threshold, the active version's proposal, the
exploration band, the policy, the timeline of every move), and buttons (managers and admins)
that queue pre-labeling or training, apply the proposal or change the policy through the JSON
API."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ml_assist.selectors import models_overview, recent_jobs, routing_overview
from ml_assist.services.thresholds import MIN_BAND_REVIEWED
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.selectors import project_get_for_user, role_in_organization

RECENT_JOBS_SHOWN = 10
# Figures of `metrics` that are counts or bookkeeping, not quality: shown in their own columns.
NOT_QUALITY = {"n", "held_out", "train_seconds", "ece", "mean_confidence"}
POLL_INTERVAL_MS = 1000
# The API's paths are part of its published contract (DESIGN.md); the page builds them.
API_PRELABEL = "/api/v1/projects/{project_id}/prelabel/"
API_TRAIN = "/api/v1/projects/{project_id}/train/"
API_JOB = "/api/v1/jobs/{id}/"
API_ROUTING = "/api/v1/projects/{project_id}/routing/"
API_APPLY_PROPOSAL = "/api/v1/projects/{project_id}/routing/apply-proposal/"


@login_required
def project_models(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    role = role_in_organization(user=request.user, organization_id=project.organization_id)
    overview = models_overview(project=project)
    jobs = recent_jobs(project=project, limit=RECENT_JOBS_SHOWN)
    running = next((job for job in jobs if not job.is_finished), None)
    routing_state = routing_overview(project=project)
    active = next((v for v in overview["versions"] if v.is_active), None)
    context = {
        "project": project,
        "overview": overview,
        "versions": [_version_row(version) for version in overview["versions"]],
        "routing": overview["routing"],
        "jobs": jobs,
        "can_manage": role in MANAGING_ROLES,
        "routing_state": routing_state,
        "min_band_reviewed": MIN_BAND_REVIEWED,
        "active_version": active,
        "reliability": active.reliability if active is not None else [],
        # Reaches models.js through json_script, never pasted into a <script> block.
        "models_config": {
            "prelabelUrl": API_PRELABEL.format(project_id=project.id),
            "trainUrl": API_TRAIN.format(project_id=project.id),
            "jobUrl": API_JOB,
            "runningJobId": running.pk if running else None,
            "pollIntervalMs": POLL_INTERVAL_MS,
            "routingUrl": API_ROUTING.format(project_id=project.id),
            "applyProposalUrl": API_APPLY_PROPOSAL.format(project_id=project.id),
            "proposalId": routing_state["proposal"].pk if routing_state["proposal"] else None,
        },
        # Numbers only, for the two charts: the threshold over time (oldest first) and the
        # reliability curve of the active version.
        "routing_charts": {
            "timeline": [
                {"at": event.created_at.isoformat(), "threshold": event.new_threshold,
                 "kind": event.kind}
                for event in reversed(routing_state["timeline"])
                if event.kind != "proposed"
            ],
            "target": project.target_precision,
            "reliability": active.reliability if active is not None else [],
        },
    }
    return render(request, "ml_assist/models.html", context)


def _version_row(version) -> dict:
    metrics = version.metrics if isinstance(version.metrics, dict) else {}
    others = [
        f"{name.replace('_', ' ')} {value:.3f}"
        for name, value in sorted(metrics.items())
        if name not in NOT_QUALITY and name != version.primary_metric and isinstance(value, int | float)
    ]
    return {
        "version": version,
        "score": version.score,
        "held_out": int(metrics.get("held_out") or 0),
        "others": " · ".join(others),
    }
