"""The task page: one item, its final and gold answers, and its history as a timeline.

Read-only like the other pages; the gold buttons go through the JSON API (task_page.js).
Scoped as GET /api/v1/tasks/{id}/ is: another organization's task is a 404, and so is, for an
annotator, a task they neither hold nor labeled.
"""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from annotator.result_display import as_text, edit_text, result_view
from annotator.review_selectors import task_history
from platform_core.apis.scoping import task_get_for_user
from platform_core.extensions import worker_task_scope
from platform_core.models import Task
from platform_core.models.organizations import MANAGING_ROLES, REVIEWING_ROLES
from platform_core.selectors import project_get_for_user, role_in_organization

# The API's paths are part of its published contract (DESIGN.md); see annotator/views.py.
API_TASK_GOLD = "/api/v1/tasks/{task_id}/gold/"
MAX_ID_DIGITS = 19

# What each task type shows of `task.data`, in order; media types show the task's file.
ITEM_FIELDS = {
    "preference": (("prompt", "Prompt"), ("response_a", "Response A"), ("response_b", "Response B")),
    "sft": (("prompt", "Prompt"), ("draft", "Draft")),
}
TEXT_FIELDS = (("text", "Text"),)

# Events at the same instant read in the order they can happen.
_RANK = {"suggestion": 0, "annotation": 1, "review": 2, "spot_check": 2}


def _task_for_page(*, user, task_id) -> tuple[Task, str | None]:
    """The task and the caller's role in its organization; Http404 outside their reach."""
    task = task_get_for_user(user=user, task_id=task_id)
    role = role_in_organization(user=user, organization_id=task.project.organization_id)
    if role not in REVIEWING_ROLES:
        visible = worker_task_scope(tasks=Task.objects.filter(pk=task.pk), user=user)
        if not visible.exists():
            raise Http404("No such task.")
    return task, role


def _item_fields(task: Task) -> list[dict]:
    data = task.data if isinstance(task.data, dict) else {"value": task.data}
    fields = ITEM_FIELDS.get(task.project.task_type, TEXT_FIELDS)
    return [
        {"key": key, "label": label, "text": as_text(data[key])}
        for key, label in fields
        if data.get(key) not in (None, "")
    ]


def _timeline(history: dict, *, task_type: str, text) -> list[dict]:
    """Suggestions, annotations (with their earlier versions) and reviews, oldest first."""

    def view(result):
        return result_view(task_type, result, text=text)

    def review_entry(review, kind, subject):
        return {
            "kind": kind,
            "at": review.created_at,
            "id": review.pk,
            "review": review,
            "subject": subject,
            "reviewed": view(review.reviewed_result),
            "result": view(review.result),
            "edit": edit_text(review.edit),
        }

    entries = [
        {
            "kind": "suggestion",
            "at": suggestion.created_at,
            "id": suggestion.pk,
            "suggestion": suggestion,
            "result": view(suggestion.result),
        }
        for suggestion in history["suggestions"]
    ]
    for annotation in history["annotations"]:
        versions = sorted(annotation.versions.all(), key=lambda v: (v.created_at, v.pk))
        entries.append(
            {
                "kind": "annotation",
                "at": annotation.created_at,
                "id": annotation.pk,
                "annotation": annotation,
                "result": view(annotation.result),
                "versions": [
                    {"at": version.created_at, "result": view(version.result)}
                    for version in versions
                ],
            }
        )
        entries.extend(
            review_entry(review, "review", annotation) for review in annotation.reviews.all()
        )
    entries.extend(review_entry(check, "spot_check", None) for check in history["spot_checks"])
    return sorted(entries, key=lambda entry: (entry["at"], _RANK[entry["kind"]], entry["id"]))


@login_required
def task_detail(request, task_id: int):
    task, role = _task_for_page(user=request.user, task_id=task_id)
    project = task.project
    text = task.data.get("text") if isinstance(task.data, dict) else None
    history = task_history(task=task, user=request.user, full=role in REVIEWING_ROLES)
    can_manage = role in MANAGING_ROLES
    media_kind = project.task_type.split("_", 1)[0]
    context = {
        "task": task,
        "project": project,
        "item_fields": _item_fields(task),
        "media_kind": media_kind if media_kind in ("image", "audio") else None,
        "media_url": reverse("task-media", args=[task.pk]) if task.media else None,
        "accepted": result_view(project.task_type, task.accepted_result, text=text),
        "timeline": _timeline(history, task_type=project.task_type, text=text),
        "sees_everyone": role in REVIEWING_ROLES,
        "can_manage": can_manage,
    }
    if can_manage:
        context["gold"] = result_view(project.task_type, task.gold_result, text=text)
        # Reaches task_page.js through json_script, never pasted into a <script> block.
        context["task_page_config"] = {"goldUrl": API_TASK_GOLD.format(task_id=task.pk)}
    return render(request, "annotator/task_detail.html", context)


@login_required
def task_go(request, project_id: int):
    """The project page's "Open task #" form: ?id=N redirects to that task's page when it is a
    task of this project the caller may see; anything else is a 404."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    task_id = request.GET.get("id", "").strip().lstrip("#")
    # Longer than any bigint is no task (and int() of thousands of digits is refused anyway).
    if not task_id.isdecimal() or len(task_id) > MAX_ID_DIGITS:
        raise Http404("No such task.")
    task, _ = _task_for_page(user=request.user, task_id=int(task_id))
    if task.project_id != project.pk:
        raise Http404("No such task.")
    return redirect("task-page", task_id=task.pk)
