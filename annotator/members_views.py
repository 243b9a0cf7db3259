"""An organization's members and roles (/organizations/{id}/members/): its admins add people
(an existing user, or a new one with a password shown once), change roles and remove members;
managers see the list. Changes go through the JSON API (platform_core.apis.members), which
records each one; the page shows that record."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from platform_core.apis.scoping import memberships_of, organization_get_for_member
from platform_core.models import Role
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.selectors import role_in_organization

# The record's most recent changes on the page; the API pages through all of them.
EVENTS_SHOWN = 50


@login_required
def organization_members(request, organization_id: int):
    organization = organization_get_for_member(user=request.user, organization_id=organization_id)
    role = role_in_organization(user=request.user, organization_id=organization.pk)
    if role not in MANAGING_ROLES:
        raise PermissionDenied("Only the organization's admins and project managers see its members.")
    is_admin = role == Role.ADMIN
    context = {
        "organization": organization,
        "memberships": memberships_of(organization=organization),
        "roles": Role.choices,
        "is_admin": is_admin,
        "events": organization.membership_events.all()[:EVENTS_SHOWN] if is_admin else [],
        "members_config": {
            "organizationId": organization.pk,
            "currentUserId": request.user.pk,
            "isAdmin": is_admin,
            "urls": {
                "members": f"/api/v1/organizations/{organization.pk}/members/",
                "member": f"/api/v1/organizations/{organization.pk}/members/{{id}}/",
            },
        },
    }
    return render(request, "annotator/organization_members.html", context)
