"""role_in_organization, read by every API call on a project (written as SQL, not a queryset)."""
import pytest
from django.contrib.auth.models import AnonymousUser

from platform_core.models import Role
from platform_core.selectors import role_in_organization
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR])
def test_a_member_has_their_role_there_and_none_elsewhere(org, other_org, member, role):
    user = member(role, org)

    assert role_in_organization(user=user, organization_id=org.pk) == role
    assert role_in_organization(user=user, organization_id=other_org.pk) is None


def test_superusers_act_as_admins_and_nobody_has_a_role_in_what_is_not_an_organization(org):
    assert role_in_organization(user=UserFactory(is_superuser=True), organization_id=org.pk) == Role.ADMIN
    assert role_in_organization(user=AnonymousUser(), organization_id=org.pk) is None
    for organization_id in (None, "x", 0, 2**70):
        assert role_in_organization(user=UserFactory(), organization_id=organization_id) is None
