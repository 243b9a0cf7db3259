"""Reads scoped to the caller: every object reached through here belongs to one of their
organizations, so another organization's ids are simply not found (404, never 403 with data)."""
from django.db.models import QuerySet
from django.http import Http404

from platform_core.models import Membership, Organization, Project, Role, Task


def organizations_for_user(*, user) -> QuerySet[Organization]:
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


def role_in_organization(*, user, organization_id: int) -> str | None:
    """The caller's role, or None when they are not a member. Superusers act as admins."""
    if user.is_superuser:
        return Role.ADMIN
    return (
        Membership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )


def projects_for_user(*, user) -> QuerySet[Project]:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(organization__memberships__user=user)


def project_get_for_user(*, user, project_id) -> Project:
    """The project if the caller is a member of its organization; else Http404.

    A member whose role is not allowed gets PermissionDenied from the caller's permission
    check, not here: they may know the project exists.
    """
    try:
        project = projects_for_user(user=user).select_related("organization").get(pk=project_id)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("No such project.") from None
    return project


def tasks_for_user(*, user) -> QuerySet[Task]:
    if user.is_superuser:
        return Task.objects.all()
    return Task.objects.filter(project__organization__memberships__user=user)
