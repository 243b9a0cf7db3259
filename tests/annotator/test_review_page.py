"""The review page: who may open it, what it hands its script, and the project page's link."""
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from platform_core.models import Role, TaskType
from platform_core.models.organizations import REVIEWING_ROLES
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def review_config(response) -> dict:
    match = re.search(
        r'<script id="review-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page hands its config through json_script"
    return json.loads(match.group(1))


@pytest.mark.parametrize("role", REVIEWING_ROLES)
def test_reviewers_managers_and_admins_may_open_the_review_page(client, member, project, role):
    client.force_login(member(role, project.organization))

    response = client.get(reverse("project-review", args=[project.id]))

    assert response.status_code == 200
    assert response.templates[0].name == "annotator/review.html"


def test_an_annotator_gets_the_403_page(client, member, project):
    client.force_login(member(Role.ANNOTATOR, project.organization))

    response = client.get(reverse("project-review", args=[project.id]))

    assert response.status_code == 403
    assert "Only reviewers, project managers and admins review work." in response.content.decode()


def test_a_member_of_another_organization_gets_404(client, member, project, other_org):
    client.force_login(member(Role.ADMIN, other_org))

    assert client.get(reverse("project-review", args=[project.id])).status_code == 404
    assert client.get("/projects/999999/review/").status_code == 404


def test_anonymous_users_are_sent_to_login(client, project):
    response = client.get(reverse("project-review", args=[project.id]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_script_gets_the_api_urls_the_widget_and_jsdiff(client, member, org):
    project = ProjectFactory(organization=org, task_type=TaskType.IMAGE_BOXES)
    client.force_login(member(Role.REVIEWER, org))

    response = client.get(reverse("project-review", args=[project.id]))
    config = review_config(response)

    assert config["taskType"] == "image_boxes"
    assert config["widgetUrl"].endswith("/annotator/types/image_boxes.js")
    assert config["diffUrl"].endswith("/vendor/diff/index.js")
    assert config["labelConfig"] == project.label_config
    assert config["urls"] == {
        "nextReview": f"/api/v1/projects/{project.id}/next-review/",
        "progress": f"/api/v1/projects/{project.id}/review-progress/",
        "taskPage": "/tasks/{id}/",
        "gold": "/api/v1/tasks/{id}/gold/",
    }
    assert config["canMarkGold"] is False  # a reviewer; managers and admins may
    body = response.content.decode()
    assert 'id="vendor-urls"' in body  # the media libraries for the boxes widget
    assert 'name="csrfmiddlewaretoken"' in body
    assert finders.find("vendor/diff/index.js"), "jsdiff is not served (npm install?)"
    assert finders.find("annotator/review/review.js")
    assert reverse("task-page", args=[7]) == config["urls"]["taskPage"].format(id=7)


def test_guidelines_render_as_markdown_and_markup_stays_text(client, member, org):
    project = ProjectFactory(
        organization=org,
        label_config={"labels": [{"value": "</script><img src=x onerror=alert(1)>"}]},
        guidelines="**Sarcasm** is negative.\n\n<script>alert(1)</script>",
    )
    client.force_login(member(Role.REVIEWER, org))

    response = client.get(reverse("project-review", args=[project.id]))

    body = response.content.decode()
    assert "<strong>Sarcasm</strong> is negative." in body
    assert "<img src=x" not in body and "<script>alert(1)" not in body
    label = review_config(response)["labelConfig"]["labels"][0]["value"]
    assert label == "</script><img src=x onerror=alert(1)>"


@pytest.mark.parametrize("role", list(Role))
def test_the_project_page_links_to_review_for_reviewing_roles_only(client, member, project, role):
    client.force_login(member(role, project.organization))

    body = client.get(reverse("project-detail", args=[project.id])).content.decode()

    review_url = reverse("project-review", args=[project.id])
    assert (f'href="{review_url}"' in body) == (role in REVIEWING_ROLES)
