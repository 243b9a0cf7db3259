"""The home page's project list: one page of the caller's projects, searched, filtered and
sorted in the database, in a fixed number of queries whatever the number of projects.

"Recent activity" is the latest of: a settings change (Project.updated_at), an import, a task
accepted (by review or by the machine). Each is one index probe per project (import jobs by
project; the partial (project, accepted_at) task index), so sorting a thousand projects costs a
few thousand probes, not a scan of their tasks. Labeling not yet reviewed does not count: a
task's own time has no index per project, and one would slow every claim and submit.
"""
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from platform_core.models import ImportJob, Project, ProjectKind, Task, TaskType
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.models.tasks import OPEN_STATUSES

PROJECTS_PER_PAGE = 20
SEARCH_MAX_LENGTH = 200


class ProjectListForm(forms.Form):
    """The list's query string. A value that does not fit is reported on the page and that
    filter left out; the rest still applies."""

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH, label="Name")
    organization = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    task_type = forms.ChoiceField(required=False, choices=[("", "Any type"), *TaskType.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ProjectKind.choices])
    work = forms.BooleanField(required=False, label="Has work for me")
    archived = forms.ChoiceField(
        required=False,
        choices=[("", "Active"), ("include", "Active and archived"), ("only", "Archived")],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("activity", "Recent activity"), ("name", "Name"), ("created", "Newest")],
    )

    def __init__(self, data, *, organizations: list[tuple[int, str]], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["organization"].choices = [("", "Every organization"), *organizations]

    def valid_values(self) -> dict:
        """The fields that were valid, each on its own."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def project_list(*, projects: QuerySet[Project], user, values: dict, annotator_only: bool) -> QuerySet:
    """`projects` (already scoped to the caller) filtered and ordered by `values` (a
    ProjectListForm's valid values), annotated with `last_activity` and `has_work`.

    `has_work`: tasks still open for labeling that nobody else holds. Annotators (people whose
    only role is annotator) see the projects with work first unless they sort otherwise.
    """
    open_tasks = Task.objects.filter(project=OuterRef("pk"), status__in=OPEN_STATUSES).filter(
        Q(locked_by__isnull=True) | Q(locked_by=user)
    )
    accepted = Task.objects.filter(project=OuterRef("pk"), accepted_at__isnull=False)
    imports = ImportJob.objects.filter(project=OuterRef("pk"))
    rows = projects.select_related("organization").annotate(
        has_work=Exists(open_tasks),
        last_activity=Greatest(
            "updated_at",
            Coalesce(_latest(imports, "created_at"), "updated_at"),
            Coalesce(_latest(accepted, "accepted_at"), "updated_at"),
        ),
    )
    if values.get("q"):
        rows = rows.filter(name__icontains=values["q"])
    if values.get("organization"):
        rows = rows.filter(organization_id=values["organization"])
    if values.get("task_type"):
        rows = rows.filter(task_type=values["task_type"])
    if values.get("kind"):
        rows = rows.filter(kind=values["kind"])
    if values.get("work"):
        rows = rows.filter(has_work=True)
    archived = values.get("archived")
    if archived == "only":
        rows = rows.filter(archived_at__isnull=False)
    elif archived != "include":
        rows = rows.filter(archived_at__isnull=True)
    sort = values.get("sort") or "activity"
    order = {
        "activity": ["-last_activity", "-id"],
        "name": ["name", "id"],
        "created": ["-created_at", "-id"],
    }[sort]
    if annotator_only and not values.get("sort"):
        order = ["-has_work", *order]
    return rows.order_by(*order)


def project_page(rows: QuerySet, page_number) -> Page:
    """The page asked for; the last one when it is past the end, the first when it is not a
    number (a stale link still shows projects)."""
    return Paginator(rows, PROJECTS_PER_PAGE).get_page(page_number)


def is_annotator_only(roles: dict[int, str]) -> bool:
    return bool(roles) and not any(role != "annotator" for role in roles.values())


def can_manage_somewhere(roles: dict[int, str]) -> bool:
    return any(role in MANAGING_ROLES for role in roles.values())
