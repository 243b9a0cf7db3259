"""Leaving the labeling page gives the held task back at once, and a task a reviewer sent back
shows the reviewer's note above it."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from annotator.models import Annotation, AnnotationStatus, Review, ReviewKind, ReviewVerdict
from platform_core.models import Role, Task, TaskStatus, TaskType
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# The release is a keepalive request sent as the page goes: it lands a moment later.
RELEASE_WAIT_S = 5
LABELS = {"labels": [{"value": "positive", "hotkey": "1"}, {"value": "negative", "hotkey": "2"}]}


def member_of(project, role=Role.ANNOTATOR):
    return MembershipFactory(organization=project.organization, role=role).user


def text_project(*texts):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION, label_config=LABELS)
    tasks = [
        Task.objects.create(project=project, data={"text": text}, checksum=f"{project.id}-{i}", priority=len(texts) - i)
        for i, text in enumerate(texts)
    ]
    return project, tasks


def locked_by(task):
    return Task.objects.values_list("locked_by", flat=True).get(pk=task.pk)


def wait_for_lock_holder(task, holder, seconds=RELEASE_WAIT_S):
    deadline = time.monotonic() + seconds
    while (now := locked_by(task)) != holder and time.monotonic() < deadline:
        time.sleep(0.1)
    return now


def open_task(open_workspace, annotator, project, task):
    page = open_workspace(annotator, project)
    page.locator(f'.ws-widget[data-task-id="{task.id}"]').wait_for()
    assert locked_by(task) == annotator.pk
    return page


def test_navigating_away_releases_the_task_and_coming_back_takes_it_again(open_workspace):
    project, (task,) = text_project("Great battery life.")
    annotator = member_of(project)
    page = open_task(open_workspace, annotator, project, task)

    page.goto("/")

    assert wait_for_lock_holder(task, None) is None
    task.refresh_from_db()
    assert task.locked_until is None and task.status != TaskStatus.IN_PROGRESS

    page.go_back()  # from the back/forward cache or a fresh load: either way it is theirs again
    page.locator(f'.ws-widget[data-task-id="{task.id}"]').wait_for()
    assert wait_for_lock_holder(task, annotator.pk) == annotator.pk


# Headless Chromium under automation never restores pages from the back/forward cache, so the
# tests below send the events such a restore would: pagehide as the page goes, then pageshow
# with persisted = true as it comes back as it was.
LEAVE = "() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))"
RETURN = "() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))"


def test_a_page_restored_from_the_cache_takes_its_task_back_with_the_work_on_screen(open_workspace):
    project, (task, _) = text_project("Great battery life.", "Broke after a week.")
    annotator = member_of(project)
    page = open_task(open_workspace, annotator, project, task)
    page.keyboard.press("2")

    page.evaluate(LEAVE)
    assert wait_for_lock_holder(task, None) is None
    page.evaluate(RETURN)

    assert wait_for_lock_holder(task, annotator.pk) == annotator.pk
    expect(page.locator(f'.ws-widget[data-task-id="{task.id}"] .choice[data-value="negative"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    page.locator("#ws-progress[data-done-today='1']").wait_for()
    assert Annotation.objects.get(task=task).result == {"labels": ["negative"]}


def test_a_page_restored_after_its_task_was_taken_moves_on_to_the_next(open_workspace):
    project, (task, second) = text_project("Great battery life.", "Broke after a week.")
    annotator, colleague = member_of(project), member_of(project)
    page = open_task(open_workspace, annotator, project, task)

    page.evaluate(LEAVE)
    assert wait_for_lock_holder(task, None) is None
    Task.objects.filter(pk=task.pk).update(locked_by=colleague, locked_until=timezone.now() + timedelta(minutes=5))
    page.evaluate(RETURN)

    page.locator(f'.ws-widget[data-task-id="{second.id}"]').wait_for()
    expect(page.locator(f'.ws-widget[data-task-id="{task.id}"]')).to_have_count(0)
    expect(page.locator("#ws-info")).to_contain_text(f"Task #{task.id} went back to the queue")
    assert (locked_by(task), locked_by(second)) == (colleague.pk, annotator.pk)


def test_closing_the_tab_releases_the_task(open_workspace):
    project, (task,) = text_project("Broke after a week.")
    annotator = member_of(project)
    page = open_task(open_workspace, annotator, project, task)

    page.close(run_before_unload=True)

    assert wait_for_lock_holder(task, None) is None


def test_a_hidden_tab_keeps_its_task(open_workspace):
    project, (task,) = text_project("Nice screen.")
    annotator = member_of(project)
    page = open_task(open_workspace, annotator, project, task)

    page.evaluate(
        """() => {
          Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
          Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(500)

    assert locked_by(task) == annotator.pk


def test_a_submitted_task_is_not_released_again_when_the_page_goes(open_workspace):
    project, (task, second) = text_project("Great battery life.", "Broke after a week.")
    annotator = member_of(project)
    page = open_task(open_workspace, annotator, project, task)

    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.locator(f'.ws-widget[data-task-id="{second.id}"]').wait_for()
    page.goto("/")

    assert wait_for_lock_holder(second, None) is None
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED and Annotation.objects.filter(task=task, annotator=annotator).exists()


def reject(task, *, author, reviewer, comment):
    """The state a reviewer's reject leaves (annotator/services/reviews.py): the annotation
    rejected, the task back in the labeling queue, the verdict with its comment on record."""
    annotation = Annotation.objects.create(
        task=task, annotator=author, result={"labels": ["positive"]}, lead_time_s=4.0, status=AnnotationStatus.REJECTED
    )
    Review.objects.create(
        task=task,
        annotation=annotation,
        kind=ReviewKind.ANNOTATION,
        reviewer=reviewer,
        verdict=ReviewVerdict.REJECT,
        reviewed_result=annotation.result,
        comment=comment,
    )
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.REJECTED, annotation_count=0)


def test_a_task_sent_back_by_a_reviewer_shows_their_note_as_text(open_workspace, screenshot):
    project, (returned, fresh) = text_project("Sarcastic: what a GREAT phone, dead in a day.", "Fine phone.")
    reviewer = member_of(project, Role.REVIEWER)
    comment = "Sarcasm counts as <b>negative</b>.\nSee the guidelines."
    reject(returned, author=member_of(project), reviewer=reviewer, comment=comment)
    page = open_task(open_workspace, member_of(project), project, returned)

    note = page.locator("#ws-review-note")
    expect(note).to_be_visible()
    expect(note.locator(".ws-review-note__who")).to_have_text(f"Returned by reviewer {reviewer.username}")
    expect(note.locator(".ws-review-note__comment")).to_have_text(comment)
    assert note.locator("b").count() == 0
    screenshot("workspace_review_note")

    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.locator(f'.ws-widget[data-task-id="{fresh.id}"]').wait_for()

    expect(note).to_be_hidden()
