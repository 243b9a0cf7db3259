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
from platform_core.models import ImportJob, Project, Task, TaskStatus
from platform_core.models.organizations import MANAGING_ROLES, REVIEWING_ROLES
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


@login_required
def home(request):
    projects = list(
        projects_for_user(user=request.user)
        .select_related("organization")
        .order_by("organization__name", "name")
    )
    counts = _status_counts(project.id for project in projects)
    # One role lookup per organization, not per project.
    roles = {
        org_id: role_in_organization(user=request.user, organization_id=org_id)
        for org_id in {project.organization_id for project in projects}
    }
    rows = [
        {
            "project": project,
            "counts": _count_rows(counts.get(project.id, {})),
            "can_import": roles[project.organization_id] in MANAGING_ROLES,
        }
        for project in projects
    ]
    return render(request, "annotator/home.html", {"rows": rows})


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
