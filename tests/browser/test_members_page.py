"""The members page in a real browser: an admin adds a member, creates a user (the password
shown once), changes a role, and cannot demote themselves as the last admin; every change is
in the record."""
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from platform_core.models import Membership, MembershipEvent, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_an_admin_adds_members_changes_a_role_and_cannot_demote_the_last_admin(page, login, screenshot):
    org = OrganizationFactory(name="Acme <labels>")
    admin = MembershipFactory(organization=org, role=Role.ADMIN).user
    existing = UserFactory(username="dana")
    page.on("dialog", lambda dialog: dialog.accept())

    login(admin)
    page.get_by_role("link", name="Members of Acme <labels>").click()
    page.wait_for_url(f"**/organizations/{org.id}/members/")

    # An existing user, as an annotator.
    page.get_by_label("Username").fill("dana")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator('#mb-members tr[data-username="dana"]')).to_be_visible()
    assert Membership.objects.get(user=existing, organization=org).role == Role.ANNOTATOR

    # A new user with a generated password, shown once.
    page.get_by_label("Username").fill("eve")
    page.locator("#mb-role").select_option(Role.REVIEWER)
    page.get_by_label("New user (a password is generated)").check()
    page.get_by_role("button", name="Add member").click()
    password = page.locator("#mb-password")
    expect(password).not_to_be_empty()
    assert get_user_model().objects.get(username="eve").check_password(password.text_content())
    screenshot("members_new_user_password")

    # A role change.
    page.reload()
    page.get_by_label("Role of dana").select_option(Role.MANAGER)
    expect(page.locator("#mb-events")).to_contain_text("Changed the role")
    assert Membership.objects.get(user=existing, organization=org).role == Role.MANAGER

    # The last admin cannot demote themselves: refused with the reason, the select goes back.
    page.get_by_label(f"Role of {admin.username}").select_option(Role.ANNOTATOR)
    expect(page.locator("#mb-message")).to_contain_text("at least one admin")
    expect(page.get_by_label(f"Role of {admin.username}")).to_have_value(Role.ADMIN)
    assert Membership.objects.get(user=admin, organization=org).role == Role.ADMIN

    # Nor remove themselves.
    page.locator(f'#mb-members tr[data-username="{admin.username}"] .mb-remove').click()
    expect(page.locator("#mb-message")).to_contain_text("at least one admin")
    screenshot("members_page")

    actions = list(MembershipEvent.objects.filter(organization=org).order_by("id").values_list("action", "member_username"))
    assert actions == [("added", "dana"), ("created", "eve"), ("role_changed", "dana")]
    assert all(event.actor_id == admin.pk for event in MembershipEvent.objects.all())


def test_a_manager_sees_members_without_changing_them(page, login):
    org = OrganizationFactory()
    MembershipFactory(organization=org, role=Role.ADMIN)
    manager = MembershipFactory(organization=org, role=Role.MANAGER).user

    login(manager)
    page.goto(f"/organizations/{org.id}/members/")

    expect(page.locator("#mb-members tbody tr")).to_have_count(2)
    assert page.locator("#mb-add").count() == 0
    assert page.locator("select.mb-role").count() == 0
