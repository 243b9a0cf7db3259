import pytest

from platform_core.models import Project, Role, TaskType
from tests.factories import LABEL_CONFIGS, ProjectFactory, UserFactory

PROJECTS_URL = "/api/v1/projects/"

pytestmark = pytest.mark.django_db


def project_url(project):
    return f"/api/v1/projects/{project.id}/"


def new_project_body(org, **overrides):
    body = {
        "organization": org.id,
        "name": "Reviews",
        "task_type": TaskType.TEXT_CLASSIFICATION,
        "label_config": LABEL_CONFIGS[TaskType.TEXT_CLASSIFICATION],
    }
    return {**body, **overrides}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_admins_and_managers_create_projects(org, member, api_client, role):
    caller = member(role, org)

    response = api_client(caller).post(
        PROJECTS_URL, new_project_body(org, overlap=3, hourly_rate="12.50"), format="json"
    )

    assert response.status_code == 201
    project = Project.objects.get(pk=response.json()["id"])
    assert (project.organization, project.created_by, project.overlap) == (org, caller, 3)
    assert response.json()["hourly_rate"] == "12.50"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ANNOTATOR])
def test_reviewers_and_annotators_cannot_create_projects(org, member, api_client, role):
    client = api_client(member(role, org))

    response = client.post(PROJECTS_URL, new_project_body(org), format="json")

    assert response.status_code == 403
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    "label_config",
    [
        {"labels": []},
        {"labels": [{"value": "a"}, {"value": "a"}]},
        {"labels": [{"value": "a", "color": "red"}]},
        {"labels": [{"value": "a"}], "palette": "dark"},
        "positive,negative",
    ],
)
def test_invalid_label_config_is_a_400_naming_label_config(org, member, api_client, label_config):
    manager = member(Role.MANAGER, org)

    response = api_client(manager).post(
        PROJECTS_URL, new_project_body(org, label_config=label_config), format="json"
    )

    assert response.status_code == 400
    assert "label_config" in response.json()
    assert not Project.objects.exists()


def test_label_config_is_checked_against_the_task_type(org, member, api_client):
    manager = member(Role.MANAGER, org)
    spans_config = {"labels": [{"value": "PER"}], "allow_overlap": True}

    as_spans = api_client(manager).post(
        PROJECTS_URL,
        new_project_body(org, task_type=TaskType.TEXT_SPANS, label_config=spans_config),
        format="json",
    )
    as_classification = api_client(manager).post(
        PROJECTS_URL, new_project_body(org, name="Other", label_config=spans_config), format="json"
    )

    assert as_spans.status_code == 201
    assert as_classification.status_code == 400
    assert "label_config" in as_classification.json()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"task_type": "video_tracking"}, "task_type"),
        ({"overlap": "many"}, "overlap"),
        ({"overlap": 0}, "overlap"),
        ({"review_sample_rate": 1.5}, "review_sample_rate"),
        ({"review_sample_rate": "NaN"}, "review_sample_rate"),
        ({"hourly_rate": "-1"}, "hourly_rate"),
        ({"name": ""}, "name"),
        ({"organization": "first"}, "organization"),
        ({"label_config": None}, "label_config"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_bad_project_input_is_a_400_naming_the_field(org, member, api_client, overrides, field):
    manager = member(Role.MANAGER, org)

    response = api_client(manager).post(
        PROJECTS_URL, new_project_body(org, **overrides), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_project_name_in_one_organization_is_a_400_naming_name(org, member, api_client):
    existing = ProjectFactory(organization=org)

    response = api_client(member(Role.MANAGER, org)).post(
        PROJECTS_URL, new_project_body(org, name=existing.name), format="json"
    )

    assert response.status_code == 400
    assert "name" in response.json()


def test_list_shows_projects_of_the_callers_organizations_only(org, other_org, member, api_client):
    mine = ProjectFactory(organization=org)
    ProjectFactory(organization=other_org)

    response = api_client(member(Role.ANNOTATOR, org)).get(PROJECTS_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.id]


def test_list_filters_by_organization(org, member, api_client):
    second_org_project = ProjectFactory()
    caller = member(Role.MANAGER, org)
    member_of_second = second_org_project.organization.memberships.create(user=caller)
    ProjectFactory(organization=org)

    response = api_client(caller).get(
        PROJECTS_URL + f"?organization={member_of_second.organization_id}"
    )

    assert [row["id"] for row in response.json()["results"]] == [second_org_project.id]


@pytest.mark.parametrize("query", ["?organization=abc", "?organization__name=x", "?ordering=name"])
def test_unknown_or_malformed_list_parameters_are_a_400(org, member, api_client, query):
    response = api_client(member(Role.MANAGER, org)).get(PROJECTS_URL + query)

    assert response.status_code == 400


def test_hourly_rate_is_shown_to_managers_only(project, member, api_client):
    as_manager = api_client(member(Role.MANAGER, project.organization)).get(project_url(project))
    annotator = member(Role.ANNOTATOR, project.organization)
    as_annotator = api_client(annotator).get(project_url(project))

    assert "hourly_rate" in as_manager.json()
    assert as_annotator.status_code == 200
    assert "hourly_rate" not in as_annotator.json()
    assert as_annotator.json()["guidelines"] == project.guidelines


def test_model_server_credentials_are_shown_to_managers_only(project, member, api_client):
    secret_url = "https://bot:s3cret@ml.example.com:8443/backend/v1?token=t0ken"
    project.model_server_url = secret_url
    project.save(update_fields=["model_server_url"])
    manager = api_client(member(Role.MANAGER, project.organization))
    annotator = api_client(member(Role.ANNOTATOR, project.organization))

    as_manager = [manager.get(project_url(project)).json(), manager.get(PROJECTS_URL).json()]
    as_annotator = [annotator.get(project_url(project)), annotator.get(PROJECTS_URL)]

    assert as_manager[0]["model_server_url"] == secret_url
    assert as_manager[1]["results"][0]["model_server_url"] == secret_url
    detail, listing = (response.json() for response in as_annotator)
    assert detail["model_server_url"] == "https://ml.example.com:8443/backend/v1"
    assert listing["results"][0]["model_server_url"] == "https://ml.example.com:8443/backend/v1"
    assert not any(b"s3cret" in r.content or b"t0ken" in r.content for r in as_annotator)


def test_manager_patches_settings(project, member, api_client):
    response = api_client(member(Role.MANAGER, project.organization)).patch(
        project_url(project), {"guidelines": "Be *kind*.", "overlap": 2}, format="json"
    )

    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.guidelines, project.overlap) == ("Be *kind*.", 2)


def test_manager_names_a_model_server(project, member, api_client):
    client = api_client(member(Role.MANAGER, project.organization))
    body = {"model_server_url": "https://ml.example.com/backend", "use_builtin_model": False}

    response = client.patch(project_url(project), body, format="json")

    assert response.status_code == 200
    assert (response.json()["model_server_url"], response.json()["use_builtin_model"]) == (
        "https://ml.example.com/backend", False,
    )
    refused = client.patch(project_url(project), {"model_server_url": "ftp://ml.example.com/"}, format="json")
    assert refused.status_code == 400 and "model_server_url" in refused.json()
    project.refresh_from_db()
    assert project.model_server_url == "https://ml.example.com/backend"


def test_patch_with_invalid_label_config_changes_nothing(project, member, api_client):
    original = project.label_config

    response = api_client(member(Role.ADMIN, project.organization)).patch(
        project_url(project), {"label_config": {"labels": [{"value": ""}]}}, format="json"
    )

    assert response.status_code == 400
    assert "label_config" in response.json()
    project.refresh_from_db()
    assert project.label_config == original


@pytest.mark.parametrize(
    "body, field",
    [
        ({"colour": "blue"}, "colour"),
        ({"task_type": TaskType.TEXT_SPANS}, "task_type"),
        ({"organization": 999}, "organization"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"overlap": "twice"}, "overlap"),
    ],
)
def test_patch_refuses_unknown_read_only_and_mistyped_fields(
    project, member, api_client, body, field
):
    response = api_client(member(Role.MANAGER, project.organization)).patch(
        project_url(project), body, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    project.refresh_from_db()
    assert project.task_type == TaskType.TEXT_CLASSIFICATION


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ANNOTATOR])
def test_an_empty_patch_by_a_member_without_the_role_is_403(project, member, api_client, role):
    response = api_client(member(role, project.organization)).patch(
        project_url(project), {}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"'])
def test_patch_with_a_garbage_body_is_a_json_400(project, member, api_client, body):
    response = api_client(member(Role.MANAGER, project.organization)).patch(
        project_url(project), body, content_type="application/json"
    )

    assert response.status_code == 400
    assert isinstance(response.json(), dict)


def test_manager_deletes_a_project(project, member, api_client):
    response = api_client(member(Role.MANAGER, project.organization)).delete(project_url(project))

    assert response.status_code == 204
    assert Project.objects.get(pk=project.pk).deleting  # the worker purges it: test_project_delete


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ANNOTATOR])
def test_members_without_the_role_cannot_delete(project, member, api_client, role):
    response = api_client(member(role, project.organization)).delete(project_url(project))

    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_superuser_manages_projects_of_any_organization(project, api_client):
    response = api_client(UserFactory(is_superuser=True)).patch(
        project_url(project), {"name": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
