from django.conf import settings
from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Project manager"
    REVIEWER = "reviewer", "Reviewer"
    ANNOTATOR = "annotator", "Annotator"


# Roles that may create projects, import data and change project settings.
MANAGING_ROLES = (Role.ADMIN, Role.MANAGER)
# Who may accept, correct or reject others' work and spot-check the machine's.
REVIEWING_ROLES = (Role.ADMIN, Role.MANAGER, Role.REVIEWER)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"


class MembershipAction(models.TextChoices):
    ADDED = "added", "Added an existing user"
    CREATED = "created", "Created a new user"
    ROLE_CHANGED = "role_changed", "Changed the role"
    REMOVED = "removed", "Removed"


class MembershipEvent(models.Model):
    """The audit record of a change to an organization's members: who did what to whom, when.
    Kept when either person is deleted (their username stays)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="membership_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    member_username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=MembershipAction.choices)
    old_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    new_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="membership_event_org_idx")
        ]

    def __str__(self) -> str:
        return f"{self.actor_username}: {self.action} {self.member_username}"
