"""Archive (hidden from annotators and reviewers, kept whole for managers and exports) is not
delete (hidden from everyone, purged by the worker)."""
import pytest

from platform_core.models import Project, Role
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db


def archive_url(project):
    return f"/api/v1/projects/{project.id}/archive/"


def test_an_archived_project_is_hidden_from_annotators_and_reviewers_but_not_managers(
    project, member, api_client
):
    TaskFactory(project=project)
    manager = member(Role.MANAGER, project.organization)
    annotator = member(Role.ANNOTATOR, project.organization)
    reviewer = member(Role.REVIEWER, project.organization)

    response = api_client(manager).post(archive_url(project))

    assert response.status_code == 200 and response.json()["archived_at"]
    for person in (annotator, reviewer):
        client = api_client(person)
        assert client.get(f"/api/v1/projects/{project.id}/").status_code == 404
        assert client.get("/api/v1/projects/").json()["count"] == 0
        assert client.post(f"/api/v1/projects/{project.id}/next-task/").status_code == 404
    assert api_client(manager).get("/api/v1/projects/").json()["count"] == 1
    assert api_client(manager).get(f"/api/v1/projects/{project.id}/export/?format=jsonl").status_code == 200
    assert Project.objects.filter(pk=project.pk, deleting=False).exists()  # nothing purged


def test_unarchiving_gives_the_project_back_to_its_annotators(project, member, api_client):
    manager = member(Role.ADMIN, project.organization)
    annotator = member(Role.ANNOTATOR, project.organization)
    api_client(manager).post(archive_url(project))

    response = api_client(manager).delete(archive_url(project))

    assert response.status_code == 200 and response.json()["archived_at"] is None
    assert api_client(annotator).get(f"/api/v1/projects/{project.id}/").status_code == 200


def test_delete_is_not_archive_it_hides_the_project_from_managers_too(
    project, member, api_client, monkeypatch
):
    monkeypatch.setattr("platform_core.services.projects.send_quietly", lambda *args: True)
    manager = member(Role.MANAGER, project.organization)

    assert api_client(manager).delete(f"/api/v1/projects/{project.id}/").status_code == 204

    assert api_client(manager).get(f"/api/v1/projects/{project.id}/").status_code == 404
    assert Project.objects.get(pk=project.pk).deleting


def test_only_managers_archive_and_other_organizations_get_404(
    project, member, api_client, other_org
):
    annotator = member(Role.ANNOTATOR, project.organization)
    outsider = member(Role.ADMIN, other_org)

    assert api_client(annotator).post(archive_url(project)).status_code == 403
    assert api_client(outsider).post(archive_url(project)).status_code == 404
    assert Project.objects.get(pk=project.pk).archived_at is None
