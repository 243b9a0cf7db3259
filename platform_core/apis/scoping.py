"""Scoped reads the API needs beyond `platform_core.selectors`.

Same rule as there: everything is reached through the caller's organizations, so another
organization's ids are not found (404), exactly like ids that do not exist.
"""
from collections import defaultdict
from collections.abc import Mapping

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from platform_core.apis.permissions import caller_role, organization_id_of
from platform_core.extensions import worker_task_scope
from platform_core.models import ImportJob, Membership, Organization, Prediction, Role, Task
from platform_core.models.organizations import REVIEWING_ROLES
from platform_core.selectors import organizations_for_user, projects_for_user, tasks_for_user


def _get_or_404(queryset: QuerySet, pk, message: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(message) from None


def organization_get_for_member(*, user, organization_id) -> Organization:
    return _get_or_404(organizations_for_user(user=user), organization_id, "No such organization.")


def roles_by_organization(*, user) -> Mapping[int, str]:
    """{organization id: the caller's role}; superusers act as admins everywhere."""
    if user.is_superuser:
        return defaultdict(lambda: Role.ADMIN)
    return dict(Membership.objects.filter(user=user).values_list("organization_id", "role"))


def memberships_of(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("user__username", "id")


def with_latest_suggestion(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Attach `latest_predictions` (a list of at most one) without a query per task."""
    latest = Prediction.objects.order_by("-created_at", "-id")[:1]
    return tasks.prefetch_related(
        Prefetch("predictions", queryset=latest, to_attr="latest_predictions")
    )


def task_get_for_user(*, user, task_id) -> Task:
    tasks = with_latest_suggestion(tasks_for_user(user=user).select_related("project"))
    return _get_or_404(tasks, task_id, "No such task.")


def visible_tasks(request, project_or_task, tasks: QuerySet[Task]) -> QuerySet[Task]:
    """`tasks` narrowed to what the caller may see: all of them for reviewers, managers and
    admins; the ones they hold or labeled for annotators (platform_core.extensions)."""
    if caller_role(request, organization_id_of(project_or_task)) in REVIEWING_ROLES:
        return tasks
    return worker_task_scope(tasks=tasks, user=request.user)


def task_get_visible(request, task_id) -> Task:
    """task_get_for_user, and a 404 too for a task the caller's role may not see."""
    task = task_get_for_user(user=request.user, task_id=task_id)
    if not visible_tasks(request, task, Task.objects.filter(pk=task.pk)).exists():
        raise Http404("No such task.")
    return task


def import_job_get_for_user(*, user, job_id) -> ImportJob:
    jobs = ImportJob.objects.filter(project__in=projects_for_user(user=user)).select_related(
        "project"
    )
    return _get_or_404(jobs, job_id, "No such import.")
