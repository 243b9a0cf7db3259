"""A member of one organization cannot read, change or infer another organization's data.

Every endpoint is called with another organization's ids by an admin of their own
organization (the strongest role short of superuser): the answer is 404, the same answer an
id that does not exist gets, and nothing changes.
"""
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from platform_core.models import Dataset, ImportJob, Membership, Project, Role, Task
from tests.factories import ProjectFactory
from tests.platform_core.factories import ImportJobFactory, PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

NEW_MEMBER = {"username": "intruder", "role": Role.ADMIN, "password": "Tangerine-Lantern-42"}

# (method, url template, body, format); templates take the ids of the other organization.
ENDPOINTS = {
    "list members": ("get", "/api/v1/organizations/{organization}/members/", None, None),
    "add member": ("post", "/api/v1/organizations/{organization}/members/", NEW_MEMBER, "json"),
    "read project": ("get", "/api/v1/projects/{project}/", None, None),
    "patch project": ("patch", "/api/v1/projects/{project}/", {"name": "Hijacked"}, "json"),
    "empty patch": ("patch", "/api/v1/projects/{project}/", {}, "json"),
    "delete project": ("delete", "/api/v1/projects/{project}/", None, None),
    "list imports": ("get", "/api/v1/projects/{project}/imports/", None, None),
    "import tasks": ("post", "/api/v1/projects/{project}/imports/", {"tasks": [{"t": 1}]}, "json"),
    "import file": ("post", "/api/v1/projects/{project}/imports/", "file", "multipart"),
    "read import": ("get", "/api/v1/imports/{job}/", None, None),
    "list tasks": ("get", "/api/v1/projects/{project}/tasks/?ordering=-priority", None, None),
    "read task": ("get", "/api/v1/tasks/{task}/", None, None),
    "read media": ("get", "/media/tasks/{task}/", None, None),
    "create project": (
        "post",
        "/api/v1/projects/",
        {"organization": "{organization}", "name": "Planted", "task_type": "sft"},
        "json",
    ),
}


@pytest.fixture
def foreign(other_org):
    """Ids of the other organization's objects, one of each kind."""
    project = ProjectFactory(organization=other_org, name="Secret")
    task = TaskFactory(project=project, media_type="image/png", gold_result={"labels": ["x"]})
    task.media.save("secret.png", ContentFile(b"\x89PNG secret"), save=True)
    PredictionFactory(task=task)
    job = ImportJobFactory(project=project)
    return {"organization": other_org.id, "project": project.id, "task": task.id, "job": job.id}


@pytest.fixture
def missing(foreign):
    """Ids that exist nowhere."""
    return {key: value + 10_000 for key, value in foreign.items()}


@pytest.fixture
def intruder(org, member):
    return member(Role.ADMIN, org)


def call(client, endpoint, ids):
    method, template, body, format = ENDPOINTS[endpoint]
    if body == "file":
        body = {"file": SimpleUploadedFile("rows.jsonl", b'{"text": "a"}\n')}
    elif isinstance(body, dict):
        body = {
            key: int(value.format(**ids)) if isinstance(value, str) and "{" in value else value
            for key, value in body.items()
        }
    kwargs = {"format": format} if format else {}
    return getattr(client, method)(template.format(**ids), body, **kwargs)


def snapshot(other_org):
    return {
        "projects": list(Project.objects.filter(organization=other_org).values_list("id", "name")),
        "members": Membership.objects.filter(organization=other_org).count(),
        "tasks": Task.objects.filter(project__organization=other_org).count(),
        "jobs": ImportJob.objects.filter(project__organization=other_org).count(),
        "datasets": Dataset.objects.filter(project__organization=other_org).count(),
        "users": get_user_model().objects.count(),
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_organizations_ids_are_not_found_and_nothing_changes(
    endpoint, foreign, other_org, intruder, api_client
):
    before = snapshot(other_org)

    response = call(api_client(intruder), endpoint, foreign)

    assert response.status_code == 404
    assert "detail" in response.json()
    assert snapshot(other_org) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_organizations_ids_answer_exactly_like_ids_that_do_not_exist(
    endpoint, foreign, missing, intruder, api_client
):
    client = api_client(intruder)

    existing = call(client, endpoint, foreign)
    absent = call(client, endpoint, missing)

    assert (existing.status_code, existing.json()) == (absent.status_code, absent.json())


def test_lists_never_include_another_organizations_objects(foreign, intruder, api_client):
    client = api_client(intruder)

    organizations = client.get("/api/v1/organizations/").json()["results"]
    projects = client.get("/api/v1/projects/").json()["results"]
    filtered = client.get(f"/api/v1/projects/?organization={foreign['organization']}").json()

    assert foreign["organization"] not in [row["id"] for row in organizations]
    assert foreign["project"] not in [row["id"] for row in projects]
    assert filtered["count"] == 0


def test_a_role_in_one_organization_grants_nothing_in_another(
    foreign, other_org, intruder, api_client
):
    Membership.objects.create(user=intruder, organization=other_org, role=Role.ANNOTATOR)
    client = api_client(intruder)
    project_url = f"/api/v1/projects/{foreign['project']}/"

    assert client.get(project_url).status_code == 200
    assert client.patch(project_url, {"name": "Hijacked"}, format="json").status_code == 403
    assert client.delete(project_url).status_code == 403
    assert client.get(f"/api/v1/imports/{foreign['job']}/").status_code == 403
    assert "gold_result" not in client.get(f"/api/v1/tasks/{foreign['task']}/").json()
    assert Project.objects.get(pk=foreign["project"]).name == "Secret"
