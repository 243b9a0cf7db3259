"""The model page end to end: Train queues a job, the page follows it and shows the version."""
import pytest

from ml_assist.models import ModelVersion
from platform_core.demo import make_text_classification
from platform_core.models import Role
from tests.factories import MembershipFactory
from tests.ml_assist.conftest import accept, demo_project, load_tasks

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_manager_trains_a_model_and_sees_its_version(page, login, screenshot, org):
    project = demo_project(org)
    items = make_text_classification(120, 3)
    ids = load_tasks(project, [item.data for item in items])
    accept(ids[:100], [item.result for item in items[:100]])
    manager = MembershipFactory(organization=org, role=Role.MANAGER).user

    login(manager)
    page.goto(f"/projects/{project.id}/models/")
    page.get_by_role("button", name="Train").click()

    # Tests run Celery tasks inline, so the job is done by the first poll; the page then reloads.
    page.locator("#versions-table").get_by_text("builtin-v1").wait_for()
    assert page.get_by_text("active: builtin-v1").is_visible()
    assert page.locator("#models-message").is_hidden()
    screenshot("models_page")
    assert ModelVersion.objects.get(project=project).is_active


def test_an_annotator_sees_the_models_but_no_buttons(page, login, org):
    project = demo_project(org)
    annotator = MembershipFactory(organization=org, role=Role.ANNOTATOR).user

    login(annotator)
    page.goto(f"/projects/{project.id}/models/")

    assert page.get_by_role("heading", name=f"Models of {project.name}").is_visible()
    assert page.get_by_role("button", name="Train").count() == 0
