"""Every background job answers in one shape (platform_core.apis.jobs.JOB_FIELDS), so a page or
a script polls an import and a pre-labeling job alike."""
import pytest

from ml_assist.models import MlJob, MlJobKind
from ml_assist.services import ml_job_create
from platform_core.apis.jobs import JOB_FIELDS
from platform_core.imports.services import import_job_create
from platform_core.models import ImportJob, Role

pytestmark = pytest.mark.django_db


def test_imports_and_ml_jobs_share_the_job_fields(project, member, api_client):
    client = api_client(member(Role.MANAGER, project.organization))
    imported = import_job_create(project=project, user=None, tasks=[{"text": "a"}], enqueue=False)
    trained = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    ImportJob.objects.filter(pk=imported.pk).update(attempts=2)
    MlJob.objects.filter(pk=trained.pk).update(attempts=1)

    answers = [
        client.get(f"/api/v1/imports/{imported.pk}/").json(),
        client.get(f"/api/v1/jobs/{trained.pk}/").json(),
    ]

    for answer, attempts in zip(answers, (2, 1), strict=True):
        assert set(JOB_FIELDS) <= set(answer)
        assert answer["status"] == "queued" and answer["project"] == project.pk
        assert answer["attempts"] == attempts and answer["progress"] == 0.0
        assert answer["url"].endswith(f"/{answer['id']}/")
