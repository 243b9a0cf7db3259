"""Text from data, labels and guidelines reaches the workspace as text, never as markup."""
import pytest
from playwright.sync_api import expect

from annotator.models import Annotation
from platform_core.models import Prediction, Role, Task, TaskType
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

IMG_LABEL = "<img src=x onerror=alert(1)>"
SCRIPT_TEXT = "<script>window.__pwned=1</script> and <b>not bold</b>"


def hostile_project(task_type, **config):
    return ProjectFactory(
        task_type=task_type,
        name="<i>Sneaky</i> project",
        label_config={
            "labels": [
                {"value": IMG_LABEL, "hotkey": "1", "description": "<img src=y onerror=alert(2)>"},
                {"value": "plain", "hotkey": "2"},
            ],
            **config,
        },
        guidelines="<script>window.__pwned=2</script>\n<img src=z onerror=alert(3)>",
    )


@pytest.fixture
def dialogs(page):
    fired: list[str] = []
    page.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
    return fired


def assert_nothing_ran(page, dialogs):
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#workspace img, #workspace script, #workspace b").count() == 0
    assert dialogs == []


def test_classification_labels_and_text_render_as_text(open_workspace, dialogs, screenshot):
    project = hostile_project(TaskType.TEXT_CLASSIFICATION)
    task = Task.objects.create(project=project, data={"text": SCRIPT_TEXT}, checksum="x1")
    Prediction.objects.create(task=task, model_version="<b>v1</b>", result={"labels": [IMG_LABEL]}, confidence=0.5)
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user

    page = open_workspace(annotator, project)
    page.locator(f'.ws-widget[data-task-id="{task.id}"]').wait_for()
    page.keyboard.press("?")

    expect(page.locator('[data-field="text"]')).to_have_text(SCRIPT_TEXT)
    label_area = page.locator(".ws-labels")
    expect(label_area).to_contain_text(IMG_LABEL)
    assert label_area.locator("img").count() == 0
    expect(page.locator("#ws-guidelines")).to_contain_text("<script>window.__pwned=2</script>")
    expect(page.locator(".crumbs")).to_contain_text("<i>Sneaky</i> project")
    expect(page.locator(f'.choice[data-value="{IMG_LABEL}"]')).to_have_attribute("aria-pressed", "true")
    screenshot("label_escaping")
    assert_nothing_ran(page, dialogs)

    page.keyboard.press("a")
    expect(page.locator("#ws-done")).to_be_visible()
    assert Annotation.objects.get(task=task).result == {"labels": [IMG_LABEL]}
    assert_nothing_ran(page, dialogs)


def test_span_labels_and_text_render_as_text(open_workspace, dialogs):
    project = hostile_project(TaskType.TEXT_SPANS)
    task = Task.objects.create(project=project, data={"text": SCRIPT_TEXT}, checksum="x2")
    start = SCRIPT_TEXT.index("<b>")
    Prediction.objects.create(
        task=task, model_version="v1", result={"spans": [{"start": start, "end": start + 3, "label": IMG_LABEL}]}, confidence=0.5
    )
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user

    page = open_workspace(annotator, project)
    page.locator(f'.ws-widget[data-task-id="{task.id}"]').wait_for()

    expect(page.locator(".ws-text--spans")).to_have_text(SCRIPT_TEXT)
    expect(page.locator(".seg--on")).to_have_text("<b>")
    expect(page.locator(".seg--on")).to_have_attribute("data-tag", IMG_LABEL)
    expect(page.locator(".span-list")).to_contain_text(IMG_LABEL)
    assert page.locator(".ws-labels img, .span-list img").count() == 0
    assert_nothing_ran(page, dialogs)
