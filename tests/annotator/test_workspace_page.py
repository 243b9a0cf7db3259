"""The labeling workspace page: who may open it, and what it hands its script."""
import json
import re

import pytest
from django.urls import reverse

from platform_core.models import Role, TaskType
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def workspace_config(response) -> dict:
    match = re.search(r'<script id="workspace-config" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "the page hands its config through json_script"
    return json.loads(match.group(1))


@pytest.mark.parametrize("role", list(Role))
def test_every_member_of_the_organization_may_open_the_workspace(client, member, project, role):
    client.force_login(member(role, project.organization))

    response = client.get(reverse("project-label", args=[project.id]))

    assert response.status_code == 200
    assert response.templates[0].name == "annotator/workspace.html"


def test_a_member_of_another_organization_gets_404(client, member, project, other_org):
    client.force_login(member(Role.ADMIN, other_org))

    assert client.get(reverse("project-label", args=[project.id])).status_code == 404
    assert client.get("/projects/999999/label/").status_code == 404


def test_anonymous_users_are_sent_to_login(client, project):
    response = client.get(reverse("project-label", args=[project.id]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_script_gets_the_api_urls_and_the_widget_of_the_task_type(client, member, org):
    project = ProjectFactory(organization=org, task_type=TaskType.TEXT_SPANS)
    client.force_login(member(Role.ANNOTATOR, org))

    config = workspace_config(client.get(reverse("project-label", args=[project.id])))

    assert config["taskType"] == "text_spans"
    assert config["widgetUrl"].endswith("/annotator/types/text_spans.js")
    assert config["labelConfig"] == project.label_config
    assert config["urls"] == {
        "nextTask": f"/api/v1/projects/{project.id}/next-task/",
        "progress": f"/api/v1/projects/{project.id}/progress/",
        "submit": "/api/v1/tasks/{id}/annotations/",
        "skip": "/api/v1/tasks/{id}/skip/",
        "release": "/api/v1/tasks/{id}/release/",
        "annotation": "/api/v1/annotations/{id}/",
    }
    assert config["idleAfterMs"] > 0


def test_markup_in_labels_and_guidelines_stays_text(client, member, org):
    project = ProjectFactory(
        organization=org,
        label_config={"labels": [{"value": "</script><img src=x onerror=alert(1)>"}]},
        guidelines="<script>alert(1)</script>",
    )
    client.force_login(member(Role.ANNOTATOR, org))

    response = client.get(reverse("project-label", args=[project.id]))

    body = response.content.decode()
    assert "<img src=x" not in body and "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert workspace_config(response)["labelConfig"]["labels"][0]["value"] == "</script><img src=x onerror=alert(1)>"


def test_the_page_carries_a_csrf_token_for_the_api_calls(client, member, project):
    client.force_login(member(Role.ANNOTATOR, project.organization))

    body = client.get(reverse("project-label", args=[project.id])).content.decode()

    assert 'name="csrfmiddlewaretoken"' in body


def test_home_and_project_pages_link_to_the_workspace(client, member, project):
    client.force_login(member(Role.ANNOTATOR, project.organization))
    label_url = reverse("project-label", args=[project.id])

    assert f'href="{label_url}"' in client.get(reverse("home")).content.decode()
    assert f'href="{label_url}"' in client.get(reverse("project-detail", args=[project.id])).content.decode()


@pytest.mark.parametrize("task_type", list(TaskType))
def test_every_task_type_has_a_widget_module_and_the_page_renders(client, member, org, task_type):
    from django.contrib.staticfiles import finders

    project = ProjectFactory(organization=org, task_type=task_type)
    client.force_login(member(Role.ANNOTATOR, org))

    response = client.get(reverse("project-label", args=[project.id]))

    assert response.status_code == 200
    assert finders.find(f"annotator/types/{task_type}.js"), f"no widget module for {task_type}"
    assert ('id="vendor-urls"' in response.content.decode()) == (project.media_kind is not None)
