"""The project editor: a new project (/projects/new/) and an existing one's settings
(/projects/{id}/settings/), for the organization's admins and managers.

The pages render the form and hand the editor script (annotator/projects/editor.js) what it
needs through json_script; the script saves through the JSON API, so a project made or changed
here goes through platform_core.services.projects exactly like one made by an API client.
"""
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from annotator.templatetags.markdown import render_markdown
from platform_core.label_config import MAX_LABEL_LENGTH, MAX_LABELS, TYPE_RULES
from platform_core.label_templates import SAMPLE_ITEMS, templates_checked
from platform_core.models import Membership, Organization, Project, ProjectKind, Role, TaskType
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.models.projects import MEDIA_KIND_BY_TYPE, QueueOrder
from platform_core.selectors import project_get_for_user, role_in_organization

# Earlier projects offered as a starting point: the most recent ones, enough to find a sibling.
EARLIER_PROJECTS_OFFERED = 100
# Guidelines are a page of rules, not a book: previews of longer text are refused.
GUIDELINES_PREVIEW_MAX_CHARS = 100_000

# What each type's workspace looks like, on its card.
TYPE_DESCRIPTIONS = {
    TaskType.TEXT_CLASSIFICATION: "A text and a row of label chips; a key per label.",
    TaskType.TEXT_SPANS: "Select words in a text and press a label key to mark an entity.",
    TaskType.PREFERENCE: "A prompt and two responses side by side: A, B or a tie.",
    TaskType.SFT: "A prompt and a text box to write (or edit) the ideal response.",
    TaskType.IMAGE_CLASSIFICATION: "An image and a row of class chips.",
    TaskType.IMAGE_BOXES: "Draw boxes on an image, each in a label's colour.",
    TaskType.AUDIO_CLASSIFICATION: "A waveform player and label chips (language, speaker, ...).",
    TaskType.AUDIO_TRANSCRIPTION: "Mark speaker turns on the waveform and type what is said.",
}
OPTION_TEXT = {
    "multi_label": "Several labels may apply to one item",
    "allow_overlap": "Spans may overlap",
    "require_reason": "A reason is required with every choice",
    "allow_tie": "A tie is allowed",
    "min_response_length": "Shortest response accepted (characters)",
}
# Where labels mean something other than classes.
LABEL_HEADINGS = {TaskType.AUDIO_TRANSCRIPTION: "Speakers", TaskType.TEXT_SPANS: "Entity labels"}


def _managed_organizations(user) -> list[Organization]:
    if user.is_superuser:
        return list(Organization.objects.order_by("name"))
    ids = Membership.objects.filter(user=user, role__in=MANAGING_ROLES).values("organization_id")
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def _editor_config(*, organizations, project: Project | None) -> dict:
    sample_media = {
        "image": static("annotator/projects/sample.svg"),
        "audio": static("annotator/projects/sample.wav"),
    }
    samples = {
        task_type: {
            "id": 0,
            "data": data,
            "media_url": sample_media.get(MEDIA_KIND_BY_TYPE.get(task_type)),
            "width": 640,
            "height": 400,
            "duration_s": 2.0,
        }
        for task_type, data in SAMPLE_ITEMS.items()
    }
    earlier = (
        Project.objects.filter(organization__in=organizations, deleting=False)
        .exclude(pk=project.pk if project else None)
        .order_by("-created_at", "-id")
        .values("id", "name", "task_type", "label_config", "guidelines", "organization__name")
    )[:EARLIER_PROJECTS_OFFERED]
    return {
        "mode": "settings" if project else "new",
        "projectId": project.pk if project else None,
        "taskType": project.task_type if project else None,
        "labelConfig": project.label_config if project else None,
        "templates": templates_checked(),
        "samples": samples,
        "earlier": [
            {
                "id": row["id"],
                "name": row["name"],
                "organization": row["organization__name"],
                "taskType": row["task_type"],
                "labelConfig": row["label_config"],
                "guidelines": row["guidelines"],
            }
            for row in earlier
        ],
        "options": {
            task_type: [
                {"key": key, "kind": kind.__name__, "text": OPTION_TEXT.get(key, key)}
                for key, kind in rules[1].items()
            ]
            for task_type, rules in TYPE_RULES.items()
        },
        "labelsRequired": {task_type: rules[0] for task_type, rules in TYPE_RULES.items()},
        "labelHeadings": {str(key): value for key, value in LABEL_HEADINGS.items()},
        "maxLabels": MAX_LABELS,
        "maxLabelLength": MAX_LABEL_LENGTH,
        "widgetUrls": {t.value: static(f"annotator/types/{t.value}.js") for t in TaskType},
        "urls": {
            "create": "/api/v1/projects/",
            "project": "/api/v1/projects/{id}/",
            "archive": "/api/v1/projects/{id}/archive/",
            "renameJob": "/api/v1/label-renames/{id}/",
            "preview": "/projects/guidelines-preview/",
            "importPage": "/projects/{id}/import/",
            "projectPage": "/projects/{id}/",
            "home": "/",
        },
    }


def _page_context(*, organizations, project: Project | None) -> dict:
    return {
        "project": project,
        "organizations": organizations,
        "task_types": [
            {"value": t.value, "label": t.label, "description": TYPE_DESCRIPTIONS[t]}
            for t in TaskType
        ],
        "kinds": ProjectKind.choices,
        "queue_orders": QueueOrder.choices,
        "values": project or Project(),
        "editor_config": _editor_config(organizations=organizations, project=project),
    }


@login_required
def project_new(request):
    organizations = _managed_organizations(request.user)
    if not organizations:
        raise PermissionDenied(
            "Only the admins and project managers of an organization create projects."
        )
    context = _page_context(organizations=organizations, project=None)
    return render(request, "annotator/project_editor.html", context)


@login_required
def project_settings(request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    role = role_in_organization(user=request.user, organization_id=project.organization_id)
    if role not in MANAGING_ROLES:
        raise PermissionDenied("Only the organization's admins and project managers change settings.")
    context = _page_context(organizations=[project.organization], project=project)
    context["is_admin"] = role == Role.ADMIN
    return render(request, "annotator/project_editor.html", context)


@login_required
@require_POST
def guidelines_preview(request):
    """The guidelines as annotators will see them: the same Markdown renderer and sanitizer as
    the labeling page (annotator.templatetags.markdown)."""
    if not _managed_organizations(request.user):
        return JsonResponse({"detail": "Only admins and project managers write guidelines."}, status=403)
    try:
        text = json.loads(request.body or b"{}").get("text", "")
    except (ValueError, AttributeError):
        return JsonResponse({"detail": "Send JSON: {\"text\": \"...\"}."}, status=400)
    if not isinstance(text, str):
        return JsonResponse({"detail": "text must be a string."}, status=400)
    if len(text) > GUIDELINES_PREVIEW_MAX_CHARS:
        limit = f"Guidelines are limited to {GUIDELINES_PREVIEW_MAX_CHARS} characters."
        return JsonResponse({"detail": limit}, status=400)
    return JsonResponse({"html": render_markdown(text)})
