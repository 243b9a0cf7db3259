"""The export and delivery page of a project: download an export now (streamed), have the
worker write one and keep it, and for a custom project deliver it and purge its data.

The page only reads; every action goes through the JSON API (platform_core.apis.exports and
.deliveries), which checks roles again.
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from platform_core.exports import export_formats_for
from platform_core.models import ProjectKind, Role
from platform_core.models.organizations import MANAGING_ROLES, REVIEWING_ROLES
from platform_core.selectors import project_get_for_user, role_in_organization

KEPT_EXPORTS_SHOWN = 20
# The API's paths are part of its published contract (DESIGN.md).
API_EXPORT = "/api/v1/projects/{project_id}/export/"
API_EXPORT_JOBS = "/api/v1/projects/{project_id}/exports/"
API_DELIVER = "/api/v1/projects/{project_id}/deliver/"
API_DELIVERY_PURGE = "/api/v1/deliveries/{id}/purge/"


@login_required
def project_export_page(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    role = role_in_organization(user=request.user, organization_id=project.organization_id)
    if request.user.is_superuser:
        role = Role.ADMIN
    if role not in REVIEWING_ROLES:
        raise PermissionDenied("Exports are for the organization's reviewers, managers and admins.")
    is_custom = project.kind == ProjectKind.CUSTOM
    context = {
        "project": project,
        "formats": export_formats_for(project.task_type),
        "datasets": project.datasets.order_by("-created_at", "-id")[:100],
        "kept_exports": project.export_jobs.select_related("created_by")[:KEPT_EXPORTS_SHOWN],
        "deliveries": project.deliveries.select_related("export_job") if is_custom else [],
        "is_custom": is_custom,
        "can_deliver": is_custom and role in MANAGING_ROLES,
        "can_purge": is_custom and role == Role.ADMIN,
        # Reaches export.js through json_script, never pasted into a <script> block.
        "export_config": {
            "exportUrl": API_EXPORT.format(project_id=project.id),
            "exportJobsUrl": API_EXPORT_JOBS.format(project_id=project.id),
            "deliverUrl": API_DELIVER.format(project_id=project.id),
            "purgeUrl": API_DELIVERY_PURGE,
            "projectName": project.name,
        },
    }
    return render(request, "annotator/project_export.html", context)
