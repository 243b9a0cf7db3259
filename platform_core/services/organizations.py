"""Organizations and their members.

There is no self-signup: users come into being only when an organization admin adds them.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from platform_core.models import Membership, Organization
from platform_core.services import save_unless_raced


@transaction.atomic
def organization_create(*, name: str) -> Organization:
    organization = Organization(name=name)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def membership_add(
    *, organization: Organization, username: str, role: str, password: str | None = None
) -> Membership:
    """Add `username` to `organization` with `role`, creating the user if they are new.

    Precondition: the caller is an admin of `organization` (checked by the API's permission).
    A password is required for a new user and refused for an existing one: an organization
    admin must never be able to reset the password of someone who may belong to other
    organizations too.
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError({"password": "A password is required to create a new user."})
        user = _user_create(username=username, password=password)
    elif password:
        raise ValidationError(
            {"password": "This user already exists; only they can change their password."}
        )
    elif Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"username": "This user is already a member."})

    membership = Membership(user=user, organization=organization, role=role)
    membership.full_clean()
    save_unless_raced(membership, {"username": "This user is already a member."})
    return membership


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
