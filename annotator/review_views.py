"""The review page: a reviewer accepts, corrects in place or rejects the items of a project's
review queue, one at a time, with the labeling widgets of the task type.

Read-only like the other pages: the script (annotator/static/annotator/review/) claims items
and records verdicts through the JSON API (annotator/apis/reviews.py).
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.templatetags.static import static

from platform_core.models.organizations import MANAGING_ROLES, REVIEWING_ROLES
from platform_core.selectors import project_get_for_user, role_in_organization

# The API's paths are part of its published contract (DESIGN.md), so the page builds them
# instead of depending on the API module's URL names. Verdict and release URLs come with each
# claimed item.
API_NEXT_REVIEW = "/api/v1/projects/{project_id}/next-review/"
API_REVIEW_PROGRESS = "/api/v1/projects/{project_id}/review-progress/"
API_TASK_GOLD = "/api/v1/tasks/{id}/gold/"
# The task's own page (its whole history), filled in by the script with the task's id.
TASK_PAGE = "/tasks/{id}/"


@login_required
def project_review(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    role = role_in_organization(user=request.user, organization_id=project.organization_id)
    if role not in REVIEWING_ROLES:
        raise PermissionDenied("Only reviewers, project managers and admins review work.")
    context = {
        "project": project,
        # Reaches review.js through json_script, never pasted into a <script> block.
        "review_config": {
            "projectId": project.id,
            "taskType": project.task_type,
            "taskTypeLabel": project.get_task_type_display(),
            "widgetUrl": static(f"annotator/types/{project.task_type}.js"),
            "diffUrl": static("vendor/diff/index.js"),
            "labelConfig": project.label_config if isinstance(project.label_config, dict) else {},
            # Managers and admins may make a reviewed task gold from here (the API checks too).
            "canMarkGold": role in MANAGING_ROLES,
            "urls": {
                "gold": API_TASK_GOLD,
                "nextReview": API_NEXT_REVIEW.format(project_id=project.id),
                "progress": API_REVIEW_PROGRESS.format(project_id=project.id),
                "taskPage": TASK_PAGE,
            },
        },
    }
    return render(request, "annotator/review.html", context)
