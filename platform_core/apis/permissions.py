"""Roles as small permission classes.

Objects reach a view through a selector scoped to the caller's organizations, so a
non-member has already had a 404. These classes only decide what a member's role allows
(403 otherwise); the view calls `check_object_permissions` on the object it fetched.
"""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from platform_core.models import Organization, Role
from platform_core.models.organizations import MANAGING_ROLES, REVIEWING_ROLES
from platform_core.selectors import role_in_organization


def organization_id_of(obj) -> int:
    if isinstance(obj, Organization):
        return obj.pk
    if hasattr(obj, "organization_id"):
        return obj.organization_id
    return obj.project.organization_id


def caller_role(request, organization_id: int) -> str | None:
    """The caller's role in the organization, asked once per request."""
    cache = request.__dict__.setdefault("_organization_roles", {})
    if organization_id not in cache:
        cache[organization_id] = role_in_organization(
            user=request.user, organization_id=organization_id
        )
    return cache[organization_id]


def is_manager(request, obj) -> bool:
    return caller_role(request, organization_id_of(obj)) in MANAGING_ROLES


class IsSuperuserOrReadOnly(BasePermission):
    message = "Only platform administrators may create organizations."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_superuser)


class HasOrganizationRole(BasePermission):
    roles: tuple[str, ...] = ()
    # Membership alone suffices to read: the scoped fetch has proven it.
    members_may_read = False

    def has_object_permission(self, request, view, obj):
        if self.members_may_read and request.method in SAFE_METHODS:
            return True
        return caller_role(request, organization_id_of(obj)) in self.roles


class IsOrganizationAdmin(HasOrganizationRole):
    roles = (Role.ADMIN,)
    message = "Only an admin of this organization may do this."


class IsProjectManager(HasOrganizationRole):
    roles = MANAGING_ROLES
    message = "Only an admin or a manager of this organization may do this."


class IsProjectReviewer(HasOrganizationRole):
    roles = REVIEWING_ROLES
    message = "Only a reviewer, manager or admin of this organization may review."


class IsOrganizationAdminOrReadOnly(IsOrganizationAdmin):
    members_may_read = True


class IsProjectManagerOrReadOnly(IsProjectManager):
    members_may_read = True
