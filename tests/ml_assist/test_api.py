import pytest
from django.test import override_settings

from ml_assist.models import MlJob, MlJobKind, MlJobStatus
from ml_assist.services import ml_job_create
from platform_core.models import Prediction, Role
from tests.ml_assist.conftest import demo_project, load_tasks


def prelabel_url(project_id):
    return f"/api/v1/projects/{project_id}/prelabel/"


def train_url(project_id):
    return f"/api/v1/projects/{project_id}/train/"


@pytest.fixture
def manager(member, text_project):
    return member(Role.MANAGER, text_project.organization)


def test_train_answers_202_with_the_job_to_poll_and_queues_it_after_commit(
    api_client, manager, labeled_text_project, django_capture_on_commit_callbacks
):
    project, _ = labeled_text_project
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client(manager).post(train_url(project.id), {}, format="json")

    assert response.status_code == 202, response.json()
    body = response.json()
    job = MlJob.objects.get(pk=body["id"])
    assert (job.kind, job.status, job.created_by) == (MlJobKind.TRAIN, MlJobStatus.QUEUED, manager)
    assert body["status"] == "queued"
    assert body["url"].endswith(f"/api/v1/jobs/{job.id}/")
    assert len(callbacks) == 1  # the enqueue, run only once the row is committed


def test_the_queued_job_runs_and_its_url_shows_the_outcome(
    api_client, manager, labeled_text_project, django_capture_on_commit_callbacks
):
    project, _ = labeled_text_project
    client = api_client(manager)
    with django_capture_on_commit_callbacks(execute=True):  # eager in tests: runs here
        body = client.post(train_url(project.id), format="json").json()

    job = client.get(body["url"]).json()

    assert job["status"] == "succeeded"
    assert job["model_version"] == "builtin-v1"
    assert job["progress"] == 1.0
    models = client.get(f"/api/v1/projects/{project.id}/models/").json()
    assert models["active"] == "builtin-v1"
    assert models["version_count"] == 1
    version = models["versions"][0]
    assert version["is_active"] and version["primary_metric"] == "macro_f1"
    assert version["score"] == version["metrics"]["macro_f1"] > 0.6  # three classes: chance ~0.33
    assert models["routing"]["precision"] == {"value": None, "low": 0.0, "high": 1.0, "n": 0}


def test_a_second_training_while_one_is_queued_is_a_409(api_client, manager, text_project):
    running = ml_job_create(project=text_project, kind=MlJobKind.TRAIN, enqueue=False)

    response = api_client(manager).post(train_url(text_project.id), format="json")

    assert response.status_code == 409
    assert response.json()["job"] == running.id
    assert "already" in response.json()["detail"]
    assert MlJob.objects.filter(project=text_project).count() == 1


def test_prelabel_takes_task_ids_of_the_project_only(api_client, manager, text_project, org):
    ids = load_tasks(text_project, [{"text": f"review {i}"} for i in range(3)])
    foreign = load_tasks(demo_project(org), [{"text": "elsewhere"}])
    client = api_client(manager)

    bad = client.post(prelabel_url(text_project.id), {"task_ids": [ids[0], foreign[0]]}, format="json")
    good = client.post(prelabel_url(text_project.id), {"task_ids": ids[:2]}, format="json")
    typo = client.post(prelabel_url(text_project.id), {"tasks": ids}, format="json")

    assert bad.status_code == 400 and "task_ids" in bad.json()
    assert good.status_code == 202
    assert MlJob.objects.get(pk=good.json()["id"]).params["task_ids"] == ids[:2]
    assert good.json()["task_count"] == 2
    assert typo.status_code == 400


def test_an_annotator_may_read_models_and_jobs_but_not_start_jobs(api_client, member, text_project):
    annotator = member(Role.ANNOTATOR, text_project.organization)
    job = ml_job_create(project=text_project, kind=MlJobKind.PRELABEL, enqueue=False)
    client = api_client(annotator)

    assert client.post(prelabel_url(text_project.id), format="json").status_code == 403
    assert client.post(train_url(text_project.id), format="json").status_code == 403
    assert client.get(f"/api/v1/projects/{text_project.id}/models/").status_code == 200
    assert client.get(f"/api/v1/jobs/{job.id}/").status_code == 200
    assert MlJob.objects.count() == 1


def test_members_of_another_organization_get_404_everywhere(api_client, member, text_project, other_org):
    outsider = member(Role.ADMIN, other_org)
    job = ml_job_create(project=text_project, kind=MlJobKind.TRAIN, enqueue=False)
    client = api_client(outsider)

    for response in (
        client.post(prelabel_url(text_project.id), format="json"),
        client.post(train_url(text_project.id), format="json"),
        client.get(f"/api/v1/projects/{text_project.id}/models/"),
        client.get(f"/api/v1/jobs/{job.id}/"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
    assert MlJob.objects.count() == 1


def test_anonymous_callers_are_refused(api_client, text_project):
    assert api_client().post(train_url(text_project.id), format="json").status_code in (401, 403)


@override_settings(ML_RETRAIN_EVERY=0)
def test_prelabel_through_the_api_writes_suggestions(
    api_client, manager, labeled_text_project, django_capture_on_commit_callbacks
):
    project, unlabeled = labeled_text_project
    client = api_client(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(train_url(project.id), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(prelabel_url(project.id), format="json").json()

    assert client.get(body["url"]).json()["status"] == "succeeded"
    assert Prediction.objects.filter(task__project=project).count() == len(unlabeled)
