"""Reads scoped to the caller: every object reached through here belongs to one of their
organizations, so another organization's ids are simply not found (404, never 403 with data)."""
from django.db.models import Q, QuerySet
from django.http import Http404

from platform_core.models import Membership, Organization, Project, Role, Task
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.sql import ModelRows, fetch_one, hot_cursor


def organizations_for_user(*, user) -> QuerySet[Organization]:
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


# SQL, not a queryset: every API call on a project asks it once (compiling the queryset took
# 0.9 ms of CPU, a tenth of a task-list page; see platform_core.sql).
_ROLE_SQL = (
    f"SELECT role FROM {Membership._meta.db_table} WHERE organization_id = %s AND user_id = %s "
    f"ORDER BY id LIMIT 1"
)


def role_in_organization(*, user, organization_id: int) -> str | None:
    """The caller's role, or None when they are not a member. Superusers act as admins."""
    if user.is_superuser:
        return Role.ADMIN
    organization_id = row_id_or_none(organization_id)
    if user.pk is None or organization_id is None:
        return None
    with hot_cursor() as cursor:
        cursor.execute(_ROLE_SQL, [organization_id, user.pk])
        found = cursor.fetchone()
    return None if found is None else found[0]


def projects_for_user(*, user) -> QuerySet[Project]:
    """The caller's organizations' projects, never one being deleted (Project.deleting), and
    archived ones (Project.archived_at) only for the organization's admins and managers."""
    projects = Project.objects.filter(deleting=False)
    if user.is_superuser:
        return projects
    # One filter() call: the role is the same membership row's.
    return projects.filter(
        Q(organization__memberships__user=user)
        & (Q(archived_at__isnull=True) | Q(organization__memberships__role__in=MANAGING_ROLES))
    )


def row_id_or_none(value) -> int | None:
    """`value` as a primary key a raw query can take, or None: the ORM answers "not found" for
    ids beyond bigint, where the database would raise."""
    try:
        value = int(value)
    except (ValueError, TypeError):
        return None
    return value if 0 < value < 2**63 else None


PROJECT_ROWS = ModelRows(Project)
# Constants of the code, not input: safe to write into the statement.
_MANAGING_ROLES_SQL = ", ".join(f"'{role}'" for role in MANAGING_ROLES)
# SQL, not a queryset: every labeling call runs it (see platform_core.sql).
_PROJECT_FOR_USER_SQL = (
    f"SELECT {PROJECT_ROWS.columns('p')} FROM {Project._meta.db_table} p "
    f"WHERE p.id = %(project)s AND NOT p.deleting AND (%(superuser)s "
    f"OR EXISTS (SELECT 1 FROM {Membership._meta.db_table} m "
    f"WHERE m.organization_id = p.organization_id AND m.user_id = %(user)s "
    f"AND (p.archived_at IS NULL OR m.role IN ({_MANAGING_ROLES_SQL}))))"
)


def project_get_for_user(*, user, project_id) -> Project:
    """The project if the caller is a member of its organization (an admin or manager when it
    is archived); else Http404.

    A member whose role is not allowed gets PermissionDenied from the caller's permission
    check, not here: they may know the project exists.
    """
    project_id = row_id_or_none(project_id)
    params = {"project": project_id, "user": user.pk, "superuser": user.is_superuser}
    found = None if project_id is None else fetch_one(_PROJECT_FOR_USER_SQL, params, PROJECT_ROWS)
    if found is None:
        raise Http404("No such project.")
    return found[0]


def tasks_for_user(*, user) -> QuerySet[Task]:
    tasks = Task.objects.filter(project__deleting=False)
    if user.is_superuser:
        return tasks
    return tasks.filter(project__organization__memberships__user=user)
