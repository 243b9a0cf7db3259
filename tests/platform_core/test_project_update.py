"""A settings PATCH writes only what it changes, over the row as it is when the PATCH saves."""
import pytest

from platform_core.apis import projects as project_apis
from platform_core.models import Project, Role
from platform_core.selectors import project_get_for_user
from platform_core.services.projects import project_update

pytestmark = pytest.mark.django_db


def project_url(project):
    return f"/api/v1/projects/{project.id}/"


def test_a_patch_keeps_the_threshold_routing_raised_after_the_project_was_loaded(project):
    project.auto_accept_threshold = 0.8
    project.save(update_fields=["auto_accept_threshold"])
    loaded = Project.objects.get(pk=project.pk)  # what the PATCH read
    # Meanwhile routing (ml_assist.routing.threshold_adjust) raises it under its own row lock.
    Project.objects.filter(pk=project.pk).update(auto_accept_threshold=0.9)

    updated = project_update(project=loaded, data={"name": "Renamed"})

    project.refresh_from_db()
    assert (project.name, project.auto_accept_threshold) == ("Renamed", 0.9)
    assert updated.auto_accept_threshold == 0.9  # what the PATCH answers is what is stored


def test_a_patch_cannot_undelete_a_project_deleted_after_it_was_loaded(
    project, member, api_client, monkeypatch
):
    name = project.name

    def load_then_delete(**kwargs):
        loaded = project_get_for_user(**kwargs)
        # A DELETE by another manager commits between this PATCH's read and its write.
        Project.objects.filter(pk=loaded.pk).update(deleting=True)
        return loaded

    monkeypatch.setattr(project_apis, "project_get_for_user", load_then_delete)
    manager = member(Role.MANAGER, project.organization)

    response = api_client(manager).patch(project_url(project), {"name": "Renamed"}, format="json")

    assert response.status_code == 404  # as if the DELETE had come first
    project.refresh_from_db()
    assert (project.deleting, project.name) == (True, name)  # the purge will still find it
