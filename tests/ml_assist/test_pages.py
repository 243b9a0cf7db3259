import json
import re

from django.urls import reverse

from ml_assist.models import MlJobKind, ModelVersion
from ml_assist.services import ml_job_create, model_train
from platform_core.models import Role


def _page(client, user, project):
    client.force_login(user)
    return client.get(reverse("project-models", args=[project.id]))


def _config(response) -> dict:
    match = re.search(r'<script id="models-config" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    return json.loads(match.group(1))


def test_the_model_page_shows_versions_with_metrics_and_the_active_one(client, member, labeled_text_project):
    project, _ = labeled_text_project
    job = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    model_train(job_id=job.pk)
    version = ModelVersion.objects.get(project=project)

    response = _page(client, member(Role.MANAGER, project.organization), project)

    assert response.status_code == 200
    body = response.content.decode()
    assert "builtin-v1" in body and "active" in body
    assert f"macro_f1 {version.metrics['macro_f1']:.3f}" in body
    assert 'id="prelabel-button"' in body and 'id="train-button"' in body
    assert "not measured yet" in body  # routing precision before any spot-check
    config = _config(response)
    assert config["prelabelUrl"] == f"/api/v1/projects/{project.id}/prelabel/"
    assert config["trainUrl"] == f"/api/v1/projects/{project.id}/train/"
    assert config["jobUrl"] == "/api/v1/jobs/{id}/"
    assert config["runningJobId"] is None


def test_annotators_see_the_page_without_the_buttons(client, member, text_project):
    response = _page(client, member(Role.ANNOTATOR, text_project.organization), text_project)

    assert response.status_code == 200
    body = response.content.decode()
    assert "prelabel-button" not in body and "train-button" not in body
    assert "No version yet" in body


def test_a_running_job_is_followed_when_the_page_opens(client, member, text_project):
    job = ml_job_create(project=text_project, kind=MlJobKind.PRELABEL, enqueue=False)

    response = _page(client, member(Role.ADMIN, text_project.organization), text_project)

    assert _config(response)["runningJobId"] == job.id


def test_other_organizations_get_404_and_anonymous_users_the_login(client, member, text_project, other_org):
    assert _page(client, member(Role.ADMIN, other_org), text_project).status_code == 404
    client.logout()
    response = client.get(reverse("project-models", args=[text_project.id]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_names_and_messages_are_escaped(client, member, text_project):
    text_project.name = "<script>alert(1)</script>"
    text_project.save()
    job = ml_job_create(project=text_project, kind=MlJobKind.TRAIN, enqueue=False)
    job.message = "<img src=x onerror=alert(2)>"
    job.save()

    body = _page(client, member(Role.ADMIN, text_project.organization), text_project).content.decode()

    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<img src=x" not in body
