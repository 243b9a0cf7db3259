"""Members and roles: added, changed and removed by the organization's admins, each change
recorded; the last admin stays an admin."""
import pytest
from django.contrib.auth import get_user_model

from platform_core.models import Membership, MembershipEvent, Role

pytestmark = pytest.mark.django_db


def members_url(org):
    return f"/api/v1/organizations/{org.id}/members/"


def member_url(membership):
    return f"/api/v1/organizations/{membership.organization_id}/members/{membership.id}/"


@pytest.fixture
def admin(org, member):
    return member(Role.ADMIN, org)


def test_creating_a_user_with_a_generated_password_shows_it_once_and_records_it(
    org, admin, api_client
):
    response = api_client(admin).post(
        members_url(org), {"username": "newbie", "role": "annotator", "generate_password": True},
        format="json",
    )

    assert response.status_code == 201
    password = response.json()["password"]
    assert get_user_model().objects.get(username="newbie").check_password(password)
    listed = api_client(admin).get(members_url(org)).json()["results"]
    assert all("password" not in row for row in listed)
    event = MembershipEvent.objects.get()
    assert (event.actor, event.member_username, event.action, event.new_role) == (
        admin, "newbie", "created", "annotator"
    )


def test_a_role_change_and_a_removal_are_recorded_with_who_and_what(
    org, admin, member, api_client
):
    worker = member(Role.ANNOTATOR, org)
    membership = Membership.objects.get(user=worker)
    client = api_client(admin)

    assert client.patch(member_url(membership), {"role": "reviewer"}, format="json").json()["role"] == "reviewer"
    assert client.delete(member_url(membership)).status_code == 204

    events = api_client(admin).get(f"/api/v1/organizations/{org.id}/member-events/").json()["results"]
    assert [(e["action"], e["old_role"], e["new_role"], e["actor_username"]) for e in events] == [
        ("removed", "reviewer", "", admin.username),
        ("role_changed", "annotator", "reviewer", admin.username),
    ]
    assert not Membership.objects.filter(user=worker).exists()
    assert worker.__class__.objects.filter(pk=worker.pk).exists()  # the user stays


def test_the_last_admin_can_neither_demote_nor_remove_themselves(org, admin, api_client):
    membership = Membership.objects.get(user=admin)
    client = api_client(admin)

    demoted = client.patch(member_url(membership), {"role": "manager"}, format="json")
    removed = client.delete(member_url(membership))

    assert demoted.status_code == 400 and "at least one admin" in demoted.json()["role"][0]
    assert removed.status_code == 400
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN
    assert not MembershipEvent.objects.exists()


def test_with_a_second_admin_the_first_may_step_down(org, admin, member, api_client):
    member(Role.ADMIN, org)
    membership = Membership.objects.get(user=admin)

    response = api_client(admin).patch(member_url(membership), {"role": "manager"}, format="json")

    assert response.status_code == 200 and response.json()["role"] == "manager"


def test_managers_may_read_members_but_not_change_them_or_read_the_record(
    org, admin, member, api_client
):
    manager = member(Role.MANAGER, org)
    membership = Membership.objects.get(user=admin)
    client = api_client(manager)

    assert client.get(members_url(org)).status_code == 200
    assert client.patch(member_url(membership), {"role": "annotator"}, format="json").status_code == 403
    assert client.delete(member_url(membership)).status_code == 403
    assert client.get(f"/api/v1/organizations/{org.id}/member-events/").status_code == 403


def test_a_membership_of_another_organization_is_not_found_through_this_one(
    org, admin, member, other_org, api_client
):
    stranger = Membership.objects.get(user=member(Role.ANNOTATOR, other_org))
    url = f"/api/v1/organizations/{org.id}/members/{stranger.id}/"

    assert api_client(admin).patch(url, {"role": "admin"}, format="json").status_code == 404
    assert api_client(admin).delete(url).status_code == 404
    assert Membership.objects.get(pk=stranger.pk).role == Role.ANNOTATOR


def test_a_generated_password_and_a_given_one_are_not_both_accepted(org, admin, api_client):
    response = api_client(admin).post(
        members_url(org),
        {"username": "x1", "role": "annotator", "password": "a-long-passphrase-9", "generate_password": True},
        format="json",
    )
    assert response.status_code == 400 and "password" in response.json()
