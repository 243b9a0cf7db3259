"""Browser pages of the platform: server-rendered, read-only; writes go through the JSON API.

Every project is fetched through platform_core.selectors, so another organization's project
is a 404 here exactly as it is in the API.
"""
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.templatetags.static import static

from platform_core.imports.services import SUPPORTED_SUFFIXES
from platform_core.label_config import COLOR_RE
from annotator.project_list import (
    ProjectListForm,
    can_manage_somewhere,
    is_annotator_only,
    project_list,
    project_page,
)
from platform_core.models import ImportJob, Membership, Organization, Project, Role, Task, TaskStatus
from platform_core.models.organizations import MANAGING_ROLES, REVIEWING_ROLES
from platform_core.models.tasks import FINAL_STATUSES, OPEN_STATUSES
from platform_core.selectors import (
    project_get_for_user,
    projects_for_user,
    role_in_organization,
)

RECENT_IMPORTS_ON_PROJECT = 10
EARLIER_IMPORTS_ON_IMPORT_PAGE = 25
DATASETS_SHOWN = 50

# The API's paths are part of its published contract (DESIGN.md), so the page builds them
# instead of depending on the API module's URL names.
API_PROJECT_IMPORTS = "/api/v1/projects/{project_id}/imports/"
API_IMPORT_JOB = "/api/v1/imports/{job_id}/"
API_NEXT_TASK = "/api/v1/projects/{project_id}/next-task/"
API_PROGRESS = "/api/v1/projects/{project_id}/progress/"
# Filled in by the workspace script with a task's or an annotation's id.
API_TASK_ANNOTATIONS = "/api/v1/tasks/{id}/annotations/"
API_TASK_SKIP = "/api/v1/tasks/{id}/skip/"
API_ANNOTATION = "/api/v1/annotations/{id}/"
# Without a key or mouse event for this long the person counts as away: their active time stops.
IDLE_AFTER_MS = 30_000


def _status_counts(project_ids) -> dict[int, dict[str, int]]:
    """Tasks per (project, status) in one grouped query, whatever the number of projects."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Task.objects.filter(project_id__in=list(project_ids))
        .order_by()
        .values_list("project_id", "status")
        .annotate(n=Count("id"))
    )
    for project_id, status, n in rows:
        counts[project_id][status] = n
    return counts


def _count_rows(counts: dict[str, int]) -> dict:
    """Every status in workflow order, so zero counts show as zero instead of vanishing."""
    return {
        "total": sum(counts.values()),
        "by_status": [
            {"value": status.value, "label": status.label, "count": counts.get(status.value, 0)}
            for status in TaskStatus
        ],
    }


def _can_manage(*, user, project: Project) -> bool:
    return role_in_organization(user=user, organization_id=project.organization_id) in MANAGING_ROLES


def _label_summary(config) -> tuple[list[dict], list[tuple[str, str]]]:
    """Labels and per-type options of a label config, tolerant of a malformed stored value.

    A colour reaches a style attribute only when it is a plain #rrggbb: autoescaping keeps
    markup out, but not CSS.
    """
    if not isinstance(config, dict):
        return [], []
    labels = []
    for label in config.get("labels") or []:
        if not isinstance(label, dict):
            continue
        color = label.get("color")
        labels.append(
            {
                "value": str(label.get("value", "")),
                "color": color if isinstance(color, str) and COLOR_RE.match(color) else None,
                "hotkey": label.get("hotkey"),
                "description": label.get("description"),
            }
        )
    options = [
        (key, ("yes" if value else "no") if isinstance(value, bool) else str(value))
        for key, value in config.items()
        if key != "labels"
    ]
    return labels, options


def _organizations_and_roles(user) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """The caller's organizations (id, name) by name and their role in each, in one query.
    Superusers act as admins of every organization."""
    if user.is_superuser:
        organizations = list(Organization.objects.order_by("name").values_list("id", "name"))
        return organizations, {org_id: Role.ADMIN for org_id, _ in organizations}
    rows = (
        Membership.objects.filter(user=user)
        .order_by("organization__name")
        .values_list("organization_id", "organization__name", "role")
    )
    organizations, roles = [], {}
    for org_id, name, role in rows:
        organizations.append((org_id, name))
        roles[org_id] = role
    return organizations, roles


# The list's narrowing parameters (sorting and paging are not): "Clear" shows when one is set.
FILTERS = ("q", "organization", "task_type", "kind", "work", "archived")


@login_required
def home(request):
    """The caller's projects, a page at a time: searched, filtered and sorted in a fixed number
    of queries (annotator.project_list)."""
    organizations, roles = _organizations_and_roles(request.user)
    form = ProjectListForm(request.GET, organizations=organizations)
    values = form.valid_values()
    rows = project_list(
        projects=projects_for_user(user=request.user),
        user=request.user,
        values=values,
        annotator_only=is_annotator_only(roles),
    )
    page = project_page(rows, request.GET.get("page"))
    projects = list(page.object_list)
    counts = _status_counts(project.id for project in projects)
    listed = [
        {
            "project": project,
            "counts": _count_rows(counts.get(project.id, {})),
            "to_label": sum(counts.get(project.id, {}).get(s, 0) for s in OPEN_STATUSES),
            "done": sum(counts.get(project.id, {}).get(s, 0) for s in FINAL_STATUSES),
            "can_import": roles.get(project.organization_id) in MANAGING_ROLES,
        }
        for project in projects
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "rows": listed,
        "page": page,
        "form": form,
        "query": query.urlencode(),
        "filtered": any(values.get(name) for name in FILTERS),
        "can_create": can_manage_somewhere(roles),
        "admin_organizations": [
            (org_id, name) for org_id, name in organizations if roles.get(org_id) == Role.ADMIN
        ],
    }
    return render(request, "annotator/home.html", context)


@login_required
def project_detail(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    labels, options = _label_summary(project.label_config)
    datasets = project.datasets.annotate(tasks_now=Count("tasks")).order_by("-created_at", "-id")
    recent_imports = project.import_jobs.select_related("created_by", "dataset")[
        :RECENT_IMPORTS_ON_PROJECT
    ]
    context = {
        "project": project,
        "counts": _count_rows(_status_counts([project.id]).get(project.id, {})),
        "labels": labels,
        "options": options,
        "datasets": datasets[:DATASETS_SHOWN],
        "dataset_total": project.datasets.count(),
        "recent_imports": recent_imports,
        "can_import": _can_manage(user=request.user, project=project),
        "can_review": role_in_organization(
            user=request.user, organization_id=project.organization_id
        ) in REVIEWING_ROLES,
    }
    return render(request, "annotator/project_detail.html", context)


@login_required
def project_import(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    if not _can_manage(user=request.user, project=project):
        raise PermissionDenied("Only the organization's admins and project managers import data.")
    earlier: list[ImportJob] = list(
        project.import_jobs.select_related("created_by", "dataset")[:EARLIER_IMPORTS_ON_IMPORT_PAGE]
    )
    context = {
        "project": project,
        "earlier_imports": earlier,
        "accept": ",".join(SUPPORTED_SUFFIXES),
        # Reaches import.js through json_script, never pasted into a <script> block.
        "import_config": {
            "uploadUrl": API_PROJECT_IMPORTS.format(project_id=project.id),
            "jobUrl": API_IMPORT_JOB.format(job_id="{id}"),
            "pollIntervalMs": 1000,
        },
    }
    return render(request, "annotator/project_import.html", context)


@login_required
def project_label(request, project_id: int):
    """The labeling workspace: a shell that loops next task → label → submit, and loads the
    task type's widget module (annotator/static/annotator/types/<task_type>.js)."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    context = {
        "project": project,
        "idle_seconds": IDLE_AFTER_MS // 1000,
        # Reaches workspace.js through json_script, never pasted into a <script> block.
        "workspace_config": {
            "projectId": project.id,
            "taskType": project.task_type,
            "taskTypeLabel": project.get_task_type_display(),
            "widgetUrl": static(f"annotator/types/{project.task_type}.js"),
            "labelConfig": project.label_config if isinstance(project.label_config, dict) else {},
            "idleAfterMs": IDLE_AFTER_MS,
            "urls": {
                "nextTask": API_NEXT_TASK.format(project_id=project.id),
                "progress": API_PROGRESS.format(project_id=project.id),
                "submit": API_TASK_ANNOTATIONS,
                "skip": API_TASK_SKIP,
                "release": "/api/v1/tasks/{id}/release/",
                "annotation": API_ANNOTATION,
            },
        },
    }
    return render(request, "annotator/workspace.html", context)
