import pytest
from django.contrib.auth import get_user_model

from platform_core.models import Membership, Organization, Role
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

ORGANIZATIONS_URL = "/api/v1/organizations/"
NEW_PASSWORD = "Tangerine-Lantern-42"

pytestmark = pytest.mark.django_db


def members_url(organization):
    return f"/api/v1/organizations/{organization.id}/members/"


def test_list_shows_only_the_callers_organizations_with_their_role(
    org, other_org, member, api_client
):
    reviewer = member(Role.REVIEWER, org)

    response = api_client(reviewer).get(ORGANIZATIONS_URL)

    assert response.status_code == 200
    assert [(row["id"], row["role"]) for row in response.json()["results"]] == [
        (org.id, Role.REVIEWER)
    ]


def test_superuser_creates_an_organization(api_client):
    superuser = UserFactory(is_superuser=True, is_staff=True)

    response = api_client(superuser).post(ORGANIZATIONS_URL, {"name": "Acme"}, format="json")

    assert response.status_code == 201
    assert Organization.objects.get(pk=response.json()["id"]).name == "Acme"


def test_an_organization_admin_cannot_create_organizations(org, member, api_client):
    admin = member(Role.ADMIN, org)

    response = api_client(admin).post(ORGANIZATIONS_URL, {"name": "Acme"}, format="json")

    assert response.status_code == 403
    assert not Organization.objects.filter(name="Acme").exists()


def test_duplicate_organization_name_is_a_400_naming_the_field(org, api_client):
    superuser = UserFactory(is_superuser=True)

    response = api_client(superuser).post(ORGANIZATIONS_URL, {"name": org.name}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_any_member_lists_the_members(org, member, api_client):
    annotator = member(Role.ANNOTATOR, org)
    admin = member(Role.ADMIN, org)

    response = api_client(annotator).get(members_url(org))

    assert response.status_code == 200
    rows = {(row["username"], row["role"]) for row in response.json()["results"]}
    assert rows == {(annotator.username, Role.ANNOTATOR), (admin.username, Role.ADMIN)}


def test_admin_adds_a_new_user_who_can_then_sign_in(org, member, api_client):
    admin = member(Role.ADMIN, org)

    response = api_client(admin).post(
        members_url(org),
        {"username": "maria", "role": Role.ANNOTATOR, "password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["username"] == "maria"
    assert "password" not in response.json()
    maria = get_user_model().objects.get(username="maria")
    assert maria.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=maria, organization=org).role == Role.ANNOTATOR
    token = api_client().post(
        "/api/v1/auth/token/", {"username": "maria", "password": NEW_PASSWORD}, format="json"
    )
    assert token.status_code == 200


@pytest.mark.parametrize("weak_password", ["123", "password", "maria2024x"])
def test_a_weak_password_for_a_new_user_is_refused_and_creates_nobody(
    org, member, api_client, weak_password
):
    admin = member(Role.ADMIN, org)

    response = api_client(admin).post(
        members_url(org),
        {"username": "maria2024x", "role": Role.ANNOTATOR, "password": weak_password},
        format="json",
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert not get_user_model().objects.filter(username="maria2024x").exists()


def test_a_new_user_needs_a_password(org, member, api_client):
    admin = member(Role.ADMIN, org)

    response = api_client(admin).post(
        members_url(org), {"username": "maria", "role": Role.ANNOTATOR}, format="json"
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert not get_user_model().objects.filter(username="maria").exists()


def test_adding_an_existing_user_keeps_their_password(org, other_org, member, api_client):
    admin = member(Role.ADMIN, org)
    someone = member(Role.MANAGER, other_org)

    with_password = api_client(admin).post(
        members_url(org),
        {"username": someone.username, "role": Role.REVIEWER, "password": NEW_PASSWORD},
        format="json",
    )
    without_password = api_client(admin).post(
        members_url(org), {"username": someone.username, "role": Role.REVIEWER}, format="json"
    )

    assert with_password.status_code == 400
    assert "password" in with_password.json()
    assert without_password.status_code == 201
    someone.refresh_from_db()
    assert someone.check_password(DEFAULT_PASSWORD)
    assert Membership.objects.get(user=someone, organization=org).role == Role.REVIEWER


def test_adding_someone_already_in_the_organization_is_a_400(org, member, api_client):
    admin = member(Role.ADMIN, org)
    annotator = member(Role.ANNOTATOR, org)

    response = api_client(admin).post(
        members_url(org), {"username": annotator.username, "role": Role.ADMIN}, format="json"
    )

    assert response.status_code == 400
    assert "username" in response.json()
    assert Membership.objects.get(user=annotator, organization=org).role == Role.ANNOTATOR


def test_two_admins_adding_the_same_member_at_once_get_a_400_not_a_500(
    org, member, api_client, monkeypatch
):
    admin, person = member(Role.ADMIN, org), UserFactory()
    checked = Membership.full_clean

    def the_other_admin_saves_first(membership, *args, **kwargs):
        checked(membership, *args, **kwargs)
        MembershipFactory(user=person, organization=org, role=Role.REVIEWER)

    monkeypatch.setattr(Membership, "full_clean", the_other_admin_saves_first)
    body = {"username": person.username, "role": Role.ANNOTATOR}
    response = api_client(admin).post(members_url(org), body, format="json")

    # (The other admin's row shares this test's transaction, so the refusal rolls it back too;
    # across two real requests it stays.)
    assert response.status_code == 400
    assert response.json() == {"username": ["This user is already a member."]}


def test_two_admins_creating_the_same_new_user_at_once_get_a_400_not_a_500(
    org, member, api_client, monkeypatch
):
    admin, user_model = member(Role.ADMIN, org), get_user_model()
    checked = user_model.full_clean

    def the_other_admin_saves_first(user, *args, **kwargs):
        checked(user, *args, **kwargs)
        UserFactory(username=user.username)

    monkeypatch.setattr(user_model, "full_clean", the_other_admin_saves_first)
    body = {"username": "newcomer", "role": Role.ANNOTATOR, "password": NEW_PASSWORD}
    response = api_client(admin).post(members_url(org), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["username"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR])
def test_only_admins_add_members(org, member, api_client, role):
    caller = member(role, org)

    response = api_client(caller).post(
        members_url(org),
        {"username": "maria", "role": Role.ADMIN, "password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="maria").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "maria", "role": "owner", "password": NEW_PASSWORD}, "role"),
        ({"username": "no spaces!", "role": "annotator", "password": NEW_PASSWORD}, "username"),
        ({"username": ["maria"], "role": "annotator", "password": NEW_PASSWORD}, "username"),
        ({"username": "maria", "role": "annotator", "is_superuser": True}, "is_superuser"),
    ],
)
def test_bad_member_input_is_a_400_naming_the_field(org, member, api_client, body, field):
    admin = member(Role.ADMIN, org)

    response = api_client(admin).post(members_url(org), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not get_user_model().objects.filter(username="maria").exists()


def test_superuser_acts_as_admin_of_every_organization(org, api_client):
    superuser = UserFactory(is_superuser=True)

    response = api_client(superuser).post(
        members_url(org),
        {"username": "maria", "role": Role.ADMIN, "password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 201


def test_member_list_is_paginated(org, member, api_client):
    admin = member(Role.ADMIN, org)
    MembershipFactory.create_batch(3, organization=org)

    response = api_client(admin).get(members_url(org) + "?page_size=2")

    assert response.json()["count"] == 4
    assert len(response.json()["results"]) == 2
