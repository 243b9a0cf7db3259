"""Who reaches the project editor, the settings and the members pages, and what the guidelines
preview lets through."""
import json

import pytest
from django.urls import reverse

from platform_core.label_config import validate_label_config
from platform_core.label_templates import TEMPLATES
from platform_core.models import Role, TaskType
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_every_task_type_has_a_template_the_service_accepts():
    assert set(TEMPLATES) == set(TaskType.values)
    for task_type, templates in TEMPLATES.items():
        for template in templates:
            validate_label_config(task_type, template["label_config"])


def test_the_new_project_page_is_for_admins_and_managers_and_offers_only_their_organizations(
    client, member, org, other_org
):
    ProjectFactory(organization=other_org, name="Their earlier project")
    client.force_login(member(Role.ANNOTATOR, org))
    assert client.get(reverse("project-new")).status_code == 403

    client.force_login(member(Role.MANAGER, org))
    response = client.get(reverse("project-new"))
    assert response.status_code == 200
    assert [o.pk for o in response.context["organizations"]] == [org.pk]
    assert "Their earlier project" not in response.content.decode()


def test_settings_are_for_managers_and_another_organizations_project_is_not_found(
    client, member, project, other_org
):
    client.force_login(member(Role.REVIEWER, project.organization))
    assert client.get(reverse("project-settings", args=[project.id])).status_code == 403
    client.force_login(member(Role.ADMIN, other_org))
    assert client.get(reverse("project-settings", args=[project.id])).status_code == 404
    client.force_login(member(Role.MANAGER, project.organization))
    assert client.get(reverse("project-settings", args=[project.id])).status_code == 200


def test_the_editor_config_reaches_the_script_as_json_with_names_escaped(client, member, org):
    project = ProjectFactory(organization=org, name="</script><script>alert(1)</script>")
    client.force_login(member(Role.ADMIN, org))

    body = client.get(reverse("project-new")).content.decode()

    assert "</script><script>alert(1)" not in body
    config = json.loads(body.split('id="editor-config" type="application/json">')[1].split("</script>")[0])
    assert config["earlier"][0]["name"] == project.name


def test_the_members_page_is_for_admins_and_managers_and_404_for_strangers(
    client, member, org, other_org
):
    url = reverse("organization-members", args=[org.id])
    client.force_login(member(Role.ANNOTATOR, org))
    assert client.get(url).status_code == 403
    client.force_login(member(Role.ADMIN, other_org))
    assert client.get(url).status_code == 404
    client.force_login(member(Role.MANAGER, org))
    response = client.get(url)
    assert response.status_code == 200 and response.context["events"] == []


def test_the_guidelines_preview_renders_markdown_and_never_passes_markup(client, member, org):
    client.force_login(member(Role.MANAGER, org))
    text = "# Rules\n\n**Bold** <script>alert(1)</script> [x](javascript:alert(1))"

    response = client.post(reverse("guidelines-preview"), {"text": text}, content_type="application/json")

    html = response.json()["html"]
    assert "<h1>Rules</h1>" in html and "<strong>Bold</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text
    assert 'href="javascript' not in html


def test_the_guidelines_preview_refuses_annotators_and_bad_input(client, member, org):
    client.force_login(member(Role.ANNOTATOR, org))
    assert client.post(reverse("guidelines-preview"), {"text": "x"}, content_type="application/json").status_code == 403
    client.force_login(member(Role.ADMIN, org))
    bad = client.post(reverse("guidelines-preview"), "not json", content_type="application/json")
    assert bad.status_code == 400 and "JSON" in bad.json()["detail"]
    wrong = client.post(reverse("guidelines-preview"), {"text": 5}, content_type="application/json")
    assert wrong.status_code == 400


def test_the_members_page_shows_each_members_last_label_in_this_organization_only(
    client, member, org, other_org
):
    labeler = member(Role.ANNOTATOR, org)
    idle = member(Role.ANNOTATOR, org)
    other_org.memberships.create(user=idle, role=Role.ANNOTATOR)
    AnnotationFactory(task=TaskFactory(project=ProjectFactory(organization=org)), annotator=labeler)
    # Work elsewhere is not activity here.
    AnnotationFactory(task=TaskFactory(project=ProjectFactory(organization=other_org)), annotator=idle)
    client.force_login(member(Role.ADMIN, org))

    response = client.get(reverse("organization-members", args=[org.id]))

    last = {m.user.username: m.last_label_at for m in response.context["memberships"]}
    assert last[labeler.username] is not None
    assert last[idle.username] is None
