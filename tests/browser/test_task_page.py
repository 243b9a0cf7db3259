"""The task page end to end: a manager opens a task from its project and marks it gold, then
unmarks it, through the gold API; a refused call shows the API's message on the page."""
import pytest
from playwright.sync_api import expect

from annotator.models import Review, ReviewKind, ReviewVerdict
from platform_core.models import Role, Task, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.factories import MembershipFactory, ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


def reviewed_task(project):
    """An accepted task with a story: a suggestion, an annotation and a correcting review."""
    reviewer = MembershipFactory(organization=project.organization, role=Role.REVIEWER).user
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user
    task = TaskFactory(
        project=project, data={"text": "Arrived late, but <b>works</b> great."},
        status=TaskStatus.ACCEPTED, accepted_result=POSITIVE,
    )
    suggestion = PredictionFactory(task=task, model_version="tfidf-v2", result=NEGATIVE)
    annotation = AnnotationFactory(
        task=task, annotator=annotator, result=NEGATIVE, prediction=suggestion,
        changed_from_suggestion=False, status="accepted",
    )
    Review.objects.create(
        task=task, annotation=annotation, kind=ReviewKind.ANNOTATION, reviewer=reviewer,
        verdict=ReviewVerdict.CORRECT, reviewed_result=NEGATIVE, result=POSITIVE,
        edit={"metric": "labels_changed", "value": 2.0}, comment="The praise wins.",
    )
    return task


def test_a_manager_marks_an_accepted_task_gold_and_unmarks_it(page, login, screenshot):
    project = ProjectFactory(name="Product reviews")
    manager = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    task = reviewed_task(project)

    login(manager)
    page.goto(f"/projects/{project.id}/")
    page.get_by_label("Open task #").fill(str(task.id))
    page.get_by_role("button", name="Open", exact=True).click()
    page.wait_for_url(f"**/tasks/{task.id}/")

    expect(page.get_by_role("heading", name=f"Task #{task.id}")).to_be_visible()
    expect(page.locator("#timeline > li")).to_have_count(3)
    expect(page.locator("[data-field=text] .task-text")).to_have_text(
        "Arrived late, but <b>works</b> great."
    )
    page.get_by_role("button", name="Mark as gold").click()

    unmark = page.get_by_role("button", name="Unmark gold")
    unmark.wait_for()
    expect(page.locator("#gold-badge")).to_be_visible()
    screenshot("task_page_gold")
    assert Task.objects.get(pk=task.pk).gold_result == POSITIVE

    unmark.click()
    page.get_by_role("button", name="Mark as gold").wait_for()
    expect(page.locator("#gold-badge")).to_have_count(0)
    assert Task.objects.get(pk=task.pk).gold_result is None


def test_a_refused_gold_call_shows_the_apis_message(page, login):
    project = ProjectFactory()
    admin = MembershipFactory(organization=project.organization, role=Role.ADMIN).user
    task = TaskFactory(project=project, status=TaskStatus.ACCEPTED, accepted_result=POSITIVE)

    login(admin)
    page.goto(f"/tasks/{task.id}/")
    # Someone else's change lands between loading the page and pressing the button.
    Task.objects.filter(pk=task.pk).update(accepted_result=None)
    page.get_by_role("button", name="Mark as gold").click()

    message = page.locator("#gold-message")
    expect(message).to_contain_text("no accepted result yet")
    expect(page.get_by_role("button", name="Mark as gold")).to_be_enabled()
    assert Task.objects.get(pk=task.pk).gold_result is None


def test_without_an_accepted_result_mark_as_gold_is_disabled_and_says_why(page, login):
    project = ProjectFactory()
    manager = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    task = TaskFactory(project=project)

    login(manager)
    page.goto(f"/tasks/{task.id}/")

    button = page.get_by_role("button", name="Mark as gold")
    expect(button).to_be_disabled()
    expect(button).to_have_accessible_description(
        "A gold task needs a known answer: this one has no accepted result yet. "
        "Mark it once a reviewer has accepted a label."
    )
