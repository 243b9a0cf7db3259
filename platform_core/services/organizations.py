"""Organizations and their members.

There is no self-signup: users come into being only when an organization admin adds them.
Every change to a membership is recorded (MembershipEvent: who, when, what), and an
organization always keeps an admin: the last one can be neither demoted nor removed.
"""
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from platform_core.models import Membership, MembershipAction, MembershipEvent, Organization, Role
from platform_core.services import save_unless_raced


@transaction.atomic
def organization_create(*, name: str) -> Organization:
    organization = Organization(name=name)
    organization.full_clean()
    organization.save()
    return organization


LAST_ADMIN = (
    "The organization needs at least one admin: make someone else an admin first."
)
# 16 URL-safe characters (96 bits): shown once to the admin who creates the user.
GENERATED_PASSWORD_BYTES = 12


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    username: str,
    role: str,
    password: str | None = None,
    actor=None,
) -> Membership:
    """Add `username` to `organization` with `role`, creating the user if they are new.

    Precondition: the caller is an admin of `organization` (checked by the API's permission).
    A password is required for a new user and refused for an existing one: an organization
    admin must never be able to reset the password of someone who may belong to other
    organizations too.
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    action = MembershipAction.ADDED
    if user is None:
        if not password:
            raise ValidationError({"password": "A password is required to create a new user."})
        user = _user_create(username=username, password=password)
        action = MembershipAction.CREATED
    elif password:
        raise ValidationError(
            {"password": "This user already exists; only they can change their password."}
        )
    elif Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"username": "This user is already a member."})

    membership = Membership(user=user, organization=organization, role=role)
    membership.full_clean()
    save_unless_raced(membership, {"username": "This user is already a member."})
    _record(membership, actor=actor, action=action, new_role=role)
    return membership


def membership_add_new_user(
    *, organization: Organization, username: str, role: str, actor
) -> tuple[Membership, str]:
    """Create `username` with a generated password and add them; the password is returned
    once, to be handed over, and stored only as its hash."""
    if get_user_model().objects.filter(username=username).exists():
        raise ValidationError({"username": "A user of this name exists: add them instead."})
    password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    membership = membership_add(
        organization=organization, username=username, role=role, password=password, actor=actor
    )
    return membership, password


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, actor) -> Membership:
    """Give the member `role`. Refused for the organization's last admin (no one could manage
    its members any more). Precondition: the caller is an admin of the membership's
    organization."""
    locked = _lock_with_admins(membership)
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    if locked.role == role:
        return locked
    _keep_an_admin(locked)
    old_role, locked.role = locked.role, role
    locked.save(update_fields=["role"])
    _record(locked, actor=actor, action=MembershipAction.ROLE_CHANGED, old_role=old_role, new_role=role)
    return locked


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    """Take the member out of the organization (their user stays: they may belong to others).
    Refused for the last admin."""
    locked = _lock_with_admins(membership)
    _keep_an_admin(locked)
    _record(locked, actor=actor, action=MembershipAction.REMOVED, old_role=locked.role)
    locked.delete()


def _lock_with_admins(membership: Membership) -> Membership:
    """The membership and its organization's admins, locked: two admins demoting each other
    at once must not leave none."""
    admins = Membership.objects.select_for_update().filter(
        organization_id=membership.organization_id, role=Role.ADMIN
    )
    list(admins.order_by("pk").values_list("pk", flat=True))
    locked = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise ValidationError({"detail": "This member was just removed."})
    return locked


def _keep_an_admin(membership: Membership) -> None:
    if membership.role != Role.ADMIN:
        return
    others = Membership.objects.filter(
        organization_id=membership.organization_id, role=Role.ADMIN
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError({"role": LAST_ADMIN})


def _record(membership: Membership, *, actor, action: str, old_role: str = "", new_role: str = ""):
    MembershipEvent.objects.create(
        organization_id=membership.organization_id,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "(system)",
        member=membership.user,
        member_username=membership.user.get_username(),
        action=action,
        old_role=old_role,
        new_role=new_role,
    )


def _user_create(*, username: str, password: str):
    user = get_user_model()(username=username)
    # Validated against the user too, so "alice" cannot get the password "alice123".
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.full_clean()
    save_unless_raced(user, {"username": "A user of this name was just added; add them again."})
    return user
