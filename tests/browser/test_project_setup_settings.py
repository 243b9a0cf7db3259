"""The settings page in a real browser: a queue order changed there reorders the queue, labels
in use are refused with their counts and renamed as a job, and a project is archived."""
import pytest
from playwright.sync_api import expect

from annotator.models import Annotation
from platform_core.models import Project, Role, Task
from platform_core.models.projects import QueueOrder
from tests.annotator.factories import AnnotationFactory
from tests.factories import MembershipFactory, ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_manager_changes_the_queue_order_and_the_next_task_follows_it(page, login, screenshot):
    project = ProjectFactory(name="Reviews", queue_order=QueueOrder.SEQUENTIAL)
    manager = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user
    confident, unsure, middling = (TaskFactory(project=project) for _ in range(3))
    for task, confidence in ((confident, 0.95), (unsure, 0.35), (middling, 0.6)):
        PredictionFactory(task=task, result={"labels": ["positive"]}, confidence=confidence)

    login(manager)
    page.goto(f"/projects/{project.id}/settings/")
    # Meanwhile routing raises the auto-accept threshold: the save must not write it back.
    Project.objects.filter(pk=project.pk).update(auto_accept_threshold=0.97)
    page.get_by_label("Queue order").select_option(QueueOrder.UNCERTAINTY)
    screenshot("project_settings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#pe-status")).to_have_text("Settings saved.")
    saved = Project.objects.get(pk=project.pk)
    assert (saved.queue_order, saved.auto_accept_threshold) == (QueueOrder.UNCERTAINTY, 0.97)

    page.context.clear_cookies()
    login(annotator)
    page.goto(f"/projects/{project.id}/label/")
    page.locator("#workspace[data-state=task]").wait_for()
    # The least certain suggestion comes first now, not the oldest task.
    assert Task.objects.get(locked_by=annotator).pk == unsure.pk


def test_a_label_in_use_is_refused_with_counts_then_renamed_in_stored_results(page, login, screenshot):
    project = ProjectFactory(name="Sentiment")
    manager = MembershipFactory(organization=project.organization, role=Role.ADMIN).user
    annotation = AnnotationFactory(task=TaskFactory(project=project), result={"labels": ["negative"]})

    login(manager)
    page.goto(f"/projects/{project.id}/settings/")
    second = page.locator("#pe-labels .pe-label").nth(1)
    # Removing it: refused, with what uses it.
    second.get_by_label("Remove label 2").click()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#pe-in-use-list")).to_contain_text("“negative” (removed): 1 annotations")
    expect(page.get_by_role("button", name="Rename in stored results")).to_be_hidden()
    assert len(Project.objects.get(pk=project.pk).label_config["labels"]) == 2

    # Renaming it instead: offered as a rename, done as a job.
    page.reload()
    page.locator("#pe-labels .pe-label").nth(1).get_by_label("Label 2 value").fill("unhappy")
    expect(page.locator("#pe-labels")).to_contain_text("was “negative”")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#pe-in-use-list")).to_contain_text("“negative” → “unhappy”: 1 annotations")
    screenshot("project_settings_labels_in_use")
    page.get_by_role("button", name="Rename in stored results").click()
    expect(page.locator("#pe-status")).to_contain_text("1 stored results renamed")

    annotation.refresh_from_db()
    assert annotation.result == {"labels": ["unhappy"]}
    assert [label["value"] for label in Project.objects.get(pk=project.pk).label_config["labels"]] == [
        "positive", "unhappy",
    ]


def test_an_archived_project_leaves_the_annotators_list_and_comes_back(page, login, screenshot):
    project = ProjectFactory(name="Finished batch")
    admin = MembershipFactory(organization=project.organization, role=Role.ADMIN).user
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user

    login(admin)
    page.goto(f"/projects/{project.id}/settings/")
    page.get_by_role("button", name="Archive project").click()
    expect(page.get_by_role("button", name="Bring back from the archive")).to_be_visible()
    assert Project.objects.get(pk=project.pk).archived_at is not None

    page.context.clear_cookies()
    login(annotator)
    expect(page.locator(f'[data-project-id="{project.id}"]')).to_have_count(0)

    page.context.clear_cookies()
    login(admin)
    page.goto("/?archived=only")
    expect(page.locator(f'[data-project-id="{project.id}"]')).to_contain_text("Archived")
    screenshot("project_list_archived")
    page.goto(f"/projects/{project.id}/settings/")
    page.get_by_role("button", name="Bring back from the archive").click()
    expect(page.get_by_role("button", name="Archive project")).to_be_visible()
    assert Project.objects.get(pk=project.pk).archived_at is None
    assert Annotation.objects.count() == 0  # nothing else touched


def test_delete_asks_for_the_name_and_hides_the_project_from_everyone(page, login, screenshot):
    project = ProjectFactory(name="Mistake")
    ProjectFactory(organization=project.organization, name="Keeper")
    admin = MembershipFactory(organization=project.organization, role=Role.ADMIN).user
    answers = iter(["mistake", "Mistake"])  # a wrong name first: nothing happens
    page.on("dialog", lambda dialog: dialog.accept(next(answers)))

    login(admin)
    page.goto(f"/projects/{project.id}/settings/")
    page.get_by_role("button", name="Delete project…").click()
    expect(page.locator("#pe-message")).to_contain_text("the name typed did not match")
    assert not Project.objects.get(pk=project.pk).deleting

    page.get_by_role("button", name="Delete project…").click()
    page.wait_for_url("**/")
    expect(page.locator(".pl-row")).to_have_count(1)
    screenshot("project_list")
    assert not Project.objects.filter(pk=project.pk, deleting=False).exists()
