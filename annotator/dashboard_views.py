"""The managers' dashboards: a project's figures (throughput, people, machine, cost, a quote)
and its organization's projects side by side.

Each page is a shell: the server renders names, links and the period selectors in a few
queries, and the script (annotator/static/annotator/dashboard/) fetches the figures from the
metrics API. The aggregates over a large project take hundreds of milliseconds; computing them
here would make the page as slow as the API and compute them twice when the period changes.
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from platform_core.models import Organization, TaskStatus
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.selectors import (
    organizations_for_user,
    project_get_for_user,
    projects_for_user,
    role_in_organization,
    row_id_or_none,
)

# The API's paths are part of its published contract (DESIGN.md), so the page builds them
# instead of depending on the API module's URL names.
API_PROJECT_METRICS = "/api/v1/projects/{id}/metrics/"
API_ORGANIZATION_METRICS = "/api/v1/organizations/{id}/metrics/"
PROJECT_DASHBOARD = "/projects/{id}/dashboard/"
# The selectors' choices; the API takes any `<n>h` / `<n>d`, these are the ones people pick.
WINDOWS = [
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("all", "All time"),
]
BUCKETS = [("hour", "By hour"), ("day", "By day")]
DEFAULT_WINDOW, DEFAULT_BUCKET = "7d", "day"
NOT_A_MANAGER = "Only the organization's admins and project managers see its dashboards."


def _period_config() -> dict:
    return {
        "windows": [value for value, _ in WINDOWS],
        "buckets": [value for value, _ in BUCKETS],
        "defaultWindow": DEFAULT_WINDOW,
        "defaultBucket": DEFAULT_BUCKET,
        # Status names as the project page shows them (the API sends the values).
        "statusLabels": {status.value: status.label for status in TaskStatus},
    }


def _require_manager(*, user, organization_id: int) -> None:
    if role_in_organization(user=user, organization_id=organization_id) not in MANAGING_ROLES:
        raise PermissionDenied(NOT_A_MANAGER)


@login_required
def project_dashboard(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    _require_manager(user=request.user, organization_id=project.organization_id)
    context = {
        "project": project,
        "organization": Organization.objects.only("id", "name").get(pk=project.organization_id),
        "windows": WINDOWS,
        "buckets": BUCKETS,
        # Reaches dashboard.js through json_script, never pasted into a <script> block.
        "dashboard_config": {
            **_period_config(),
            "projectId": project.id,
            "metricsUrl": API_PROJECT_METRICS.format(id=project.id),
        },
    }
    return render(request, "annotator/dashboard.html", context)


@login_required
def organization_dashboard(request, organization_id: int):
    organization_id = row_id_or_none(organization_id)
    organization = (
        organizations_for_user(user=request.user).filter(pk=organization_id).first()
        if organization_id is not None
        else None
    )
    if organization is None:
        raise Http404("No such organization.")
    _require_manager(user=request.user, organization_id=organization.pk)
    projects = list(
        projects_for_user(user=request.user)
        .filter(organization=organization)
        .only("id", "name", "task_type", "kind")
        .order_by("name", "id")
    )
    context = {
        "organization": organization,
        "projects": projects,
        "windows": WINDOWS,
        "buckets": BUCKETS,
        "dashboard_config": {
            **_period_config(),
            "organizationId": organization.pk,
            "metricsUrl": API_ORGANIZATION_METRICS.format(id=organization.pk),
            "projectDashboard": PROJECT_DASHBOARD,
        },
    }
    return render(request, "annotator/organization_dashboard.html", context)
