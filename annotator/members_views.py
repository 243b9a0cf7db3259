"""An organization's members and roles (/organizations/{id}/members/): its admins add people
(an existing user, or a new one with a password shown once), change roles and remove members;
managers see the list. Changes go through the JSON API (platform_core.apis.members), which
records each one; the page shows that record."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import render

from annotator.models import Annotation, Review
from platform_core.apis.scoping import memberships_of, organization_get_for_member
from platform_core.models import Role
from platform_core.models.organizations import MANAGING_ROLES
from platform_core.selectors import role_in_organization

# The record's most recent changes on the page; the API pages through all of them.
EVENTS_SHOWN = 50


def _with_last_activity(memberships: QuerySet, organization_id: int) -> QuerySet:
    """Each member's latest label and latest review in this organization's projects: one
    probe each of the (annotator, created_at) and (reviewer, created_at) indexes, walked from
    the newest until a row of this organization; their sign-in is on the user."""

    def latest(model, person_field: str) -> Subquery:
        rows = model.objects.filter(
            **{person_field: OuterRef("user_id")}, project__organization_id=organization_id
        )
        return Subquery(rows.order_by("-created_at").values("created_at")[:1])

    return memberships.annotate(
        last_label_at=latest(Annotation, "annotator"), last_review_at=latest(Review, "reviewer")
    )


@login_required
def organization_members(request, organization_id: int):
    organization = organization_get_for_member(user=request.user, organization_id=organization_id)
    role = role_in_organization(user=request.user, organization_id=organization.pk)
    if role not in MANAGING_ROLES:
        raise PermissionDenied("Only the organization's admins and project managers see its members.")
    is_admin = role == Role.ADMIN
    context = {
        "organization": organization,
        "memberships": _with_last_activity(memberships_of(organization=organization), organization.pk),
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
