"""The review page in a real browser, driven by the keyboard: a text classification project.

Annotations are submitted through the labeling services, so the review queue fills as in
production; a reviewer then accepts (a), corrects in place (the labeling widget, then Enter) or
rejects with a comment (r), and each test checks the stored history: Review rows, the task's
status and final label, the annotation's status. The rejected task goes back to its annotator
with the comment. Also: the empty queue, errors from the API, leaving the page, the second
stage. Screenshots go to test-output/review_*.png (tests/browser/conftest.py).
"""
import random

import pytest
from django.db import transaction
from playwright.sync_api import expect

from annotator.models import Annotation, AnnotationStatus, Review, ReviewItem
from annotator.services import review_item_claim_next, review_item_for_verdict, review_record
from platform_core.models import Role, TaskStatus, TaskType
from tests.browser.review_helpers import (
    THINK_MS,
    edit_changes,
    label,
    machine_changes,
    make_tasks,
    on_item,
    open_review,
    queue_empty,
    review_of,
    reviewing_project,
    suggest,
    switch_user,
    widget,
)
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}

# ── Text classification: accept, correct, reject; the annotator reads the comment ─────────────


def test_reviewer_accepts_corrects_and_rejects_and_the_annotator_reads_the_comment(
    page, login, screenshot
):
    project, annotator, reviewer = reviewing_project(TaskType.TEXT_CLASSIFICATION)
    first, second, third = make_tasks(
        project, {"text": "What a lovely day"}, {"text": "Fine, I guess"}, {"text": "Awful service"}
    )
    machine = suggest(first, NEGATIVE, confidence=0.64)
    accepted = label(project, annotator, POSITIVE, prediction=machine)
    corrected = label(project, annotator, NEGATIVE)
    rejected = label(project, annotator, POSITIVE)

    open_review(page, login, reviewer, project)
    on_item(page, first)
    expect(page.locator("#rv-progress")).to_have_text("0 reviewed today · 3 left")
    expect(page.locator("#rv-author")).to_have_text(f"by {annotator.username}")
    expect(page.locator("#rv-stage")).to_have_text("first review")
    expect(page.locator("#rv-task-link")).to_have_attribute("href", f"/tasks/{first.id}/")
    expect(widget(page, first).locator(".choice.is-on")).to_have_text("positive1")
    # The annotator changed the machine's label: negative out, positive in.
    expect(machine_changes(page)).to_have_text(["−label removednegative", "+label addedpositive"])
    expect(page.locator("#rv-diff-machine-title")).to_contain_text("demo-v1 · 64%")
    expect(page.locator("#rv-diff-edit")).to_contain_text("Unchanged")
    screenshot("review_text_classification")
    page.keyboard.press("a")

    on_item(page, second)
    review = review_of(accepted)
    assert (review.verdict, review.reviewer, review.stage) == ("accept", reviewer, 1)
    assert review.kind == "annotation"
    assert review.reviewed_result == POSITIVE and review.result == POSITIVE
    assert review.prediction_id == machine.id and review.comment == ""
    first.refresh_from_db()
    assert (first.status, first.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)
    accepted.refresh_from_db()
    assert accepted.status == AnnotationStatus.ACCEPTED
    expect(page.locator("#rv-progress")).to_have_text("1 reviewed today · 2 left")
    expect(page.locator("#rv-info")).to_contain_text(f"Accepted task #{first.id}")

    # Corrected in place with the widget's key, then Enter.
    page.keyboard.press("1")
    expect(widget(page, second).locator(".choice.is-on")).to_have_text("positive1")
    expect(edit_changes(page)).to_have_text(["−label removednegative", "+label addedpositive"])
    expect(page.locator("#rv-edited")).to_be_visible()
    page.keyboard.press("Control+z")  # undo brings the annotator's label back ...
    expect(widget(page, second).locator(".choice.is-on")).to_have_text("negative2")
    expect(page.locator("#rv-edited")).to_be_hidden()
    page.keyboard.press("1")  # ... and the correction again
    page.keyboard.press("Enter")

    on_item(page, third)
    review = review_of(corrected)
    assert (review.verdict, review.reviewer) == ("correct", reviewer)
    assert review.reviewed_result == NEGATIVE and review.result == POSITIVE
    assert review.edit == {"metric": "labels_changed", "value": 2.0}  # one out, one in
    second.refresh_from_db()
    assert (second.status, second.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)
    corrected.refresh_from_db()
    assert corrected.status == AnnotationStatus.ACCEPTED  # the annotation's own result stays
    assert corrected.result == NEGATIVE

    # Reject: r opens the comment box, Enter sends it.
    page.keyboard.press("r")
    expect(page.locator("#rv-comment")).to_be_focused()
    page.keyboard.press("Enter")  # an empty comment is refused on the page
    expect(page.locator("#rv-message")).to_contain_text("Say what is wrong")
    page.keyboard.type("Sarcasm: <b>awful</b> is negative here")
    page.keyboard.press("Enter")
    queue_empty(page)
    expect(page.locator("#rv-progress")).to_have_text("3 reviewed today · 0 left")
    expect(page.locator("#rv-info")).to_contain_text("goes back to labeling")

    review = review_of(rejected)
    assert (review.verdict, review.reviewer) == ("reject", reviewer)
    assert review.comment == "Sarcasm: <b>awful</b> is negative here"
    assert review.reviewed_result == POSITIVE and review.result is None and review.edit is None
    third.refresh_from_db()
    assert (third.status, third.accepted_result) == (TaskStatus.REJECTED, None)
    rejected.refresh_from_db()
    assert rejected.status == AnnotationStatus.REJECTED
    assert not ReviewItem.objects.filter(project=project).exists()

    # The annotator gets the rejected task back, with the reviewer's comment above it.
    switch_user(page, login, annotator)
    next_task = f"/api/v1/projects/{project.id}/next-task/"
    with page.expect_response(lambda response: response.url.endswith(next_task)) as answer:
        page.goto(f"/projects/{project.id}/label/")
    page.locator("#workspace[data-state=task]").wait_for()
    task_json = answer.value.json()
    assert task_json["id"] == third.id
    assert task_json["review_note"]["comment"] == "Sarcasm: <b>awful</b> is negative here"
    assert task_json["review_note"]["reviewer"] == reviewer.username
    note = page.locator("#ws-review-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Sarcasm: <b>awful</b> is negative here")  # as text, not markup
    expect(note).to_contain_text(reviewer.username)
    assert note.locator("b").count() == 0
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.locator("#workspace[data-state=done]").wait_for()
    relabeled = Annotation.objects.get(task=third, status=AnnotationStatus.SUBMITTED)
    assert relabeled.result == NEGATIVE
    assert ReviewItem.objects.filter(annotation=relabeled).exists()  # rework is reviewed again


def test_the_empty_queue_says_so_and_checks_again(page, login):
    project, annotator, reviewer = reviewing_project(TaskType.TEXT_CLASSIFICATION)
    (task,) = make_tasks(project, {"text": "late arrival"})

    open_review(page, login, reviewer, project)
    queue_empty(page)
    expect(page.locator("#rv-progress")).to_have_text("0 reviewed today · 0 left")
    expect(page.locator("#rv-accept")).to_be_hidden()

    label(project, annotator, POSITIVE)
    page.get_by_role("button", name="Check again").click()
    on_item(page, task)
    expect(page.locator("#rv-empty")).to_be_hidden()
    expect(page.locator("#rv-progress")).to_have_text("0 reviewed today · 1 left")
    page.keyboard.press("a")
    queue_empty(page)


def test_errors_are_shown_and_a_refused_correction_stays_on_the_page(page, login):
    project, annotator, reviewer = reviewing_project(TaskType.TEXT_CLASSIFICATION)
    first, second = make_tasks(project, {"text": "one"}, {"text": "two"})
    label(project, annotator, NEGATIVE)
    label(project, annotator, NEGATIVE)

    open_review(page, login, reviewer, project)
    on_item(page, first)
    # The manager drops the label "positive" while the page is open: the correction no longer
    # fits the label config, and the server says which field is wrong.
    project.label_config = {"labels": [{"value": "negative"}, {"value": "neutral"}]}
    project.save(update_fields=["label_config"])
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.locator("#rv-message")).to_contain_text("Not saved.")
    expect(page.locator("#rv-message")).to_contain_text("labels")
    expect(widget(page, first).locator(".choice.is-on")).to_have_text("positive1")  # still there
    expect(page.locator("#rv-edited")).to_be_visible()
    assert not Review.objects.exists()

    # Another reviewer took the item over (its lease was handed on): a 409, then the next one.
    other = MembershipFactory(organization=project.organization, role=Role.REVIEWER).user
    ReviewItem.objects.filter(task=first).update(locked_by=other)
    page.keyboard.press("Control+z")
    page.keyboard.press("a")
    on_item(page, second)
    expect(page.locator("#rv-message")).to_contain_text("Another reviewer holds this item.")
    expect(page.locator("#rv-message")).to_contain_text("no longer yours")
    assert not Review.objects.exists()
    page.keyboard.press("a")  # the queue ends empty: no release is in flight at teardown
    queue_empty(page)
    assert Review.objects.get(task=second).verdict == "accept"
    assert ReviewItem.objects.get(task=first).locked_by == other  # still the other reviewer's


def test_pressing_a_after_an_edit_asks_before_throwing_the_edit_away(page, login):
    project, annotator, reviewer = reviewing_project(TaskType.TEXT_CLASSIFICATION)
    (task,) = make_tasks(project, {"text": "meh"})
    annotation = label(project, annotator, NEGATIVE)

    open_review(page, login, reviewer, project)
    on_item(page, task)
    page.keyboard.press("1")
    page.keyboard.press("a")
    expect(page.locator("#rv-info")).to_contain_text("press a again")
    assert not Review.objects.exists()
    page.keyboard.press("a")
    queue_empty(page)
    review = review_of(annotation)
    assert (review.verdict, review.result) == ("accept", NEGATIVE)


def test_leaving_the_page_gives_the_held_item_back(page, login):
    project, annotator, reviewer = reviewing_project(TaskType.TEXT_CLASSIFICATION)
    (task,) = make_tasks(project, {"text": "held"})
    label(project, annotator, POSITIVE)

    open_review(page, login, reviewer, project)
    on_item(page, task)
    item = ReviewItem.objects.get(task=task)
    assert item.locked_by == reviewer

    page.goto(f"/projects/{project.id}/")
    page.get_by_role("link", name="Review").wait_for()  # the project page links here
    page.wait_for_timeout(THINK_MS)
    item.refresh_from_db()
    assert item.locked_by is None and item.locked_until is None


# ── Second stage ─────────────────────────────────────────────────────────────────────────────


def test_a_second_reviewer_sees_the_stage_and_the_first_review(page, login):
    project, annotator, first_reviewer = reviewing_project(
        TaskType.TEXT_CLASSIFICATION, second_review_rate=1.0
    )
    second_reviewer = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    (task,) = make_tasks(project, {"text": "double-checked"})
    annotation = label(project, annotator, NEGATIVE)
    item = review_item_claim_next(project=project, user=first_reviewer)
    with transaction.atomic():  # as the verdict API does
        review_record(
            item=review_item_for_verdict(user=first_reviewer, annotation=annotation),
            reviewer=first_reviewer, verdict="correct", result=POSITIVE,
            comment="positive, read it again", rng=random.Random(0),
        )
    assert item.stage == 1 and ReviewItem.objects.get(task=task).stage == 2

    open_review(page, login, second_reviewer, project)
    on_item(page, task)
    expect(page.locator("#rv-stage")).to_have_text("second review")
    earlier = page.locator("#rv-reviews li")
    expect(earlier).to_have_count(1)
    expect(earlier).to_contain_text(f"correct · stage 1 · {first_reviewer.username}")
    expect(earlier).to_contain_text("positive, read it again")
    # Under review is what the first reviewer passed.
    expect(widget(page, task).locator(".choice.is-on")).to_have_text("positive1")
    page.keyboard.press("a")
    queue_empty(page)

    second = Review.objects.get(task=task, stage=2)
    assert (second.verdict, second.reviewer, second.result) == ("accept", second_reviewer, POSITIVE)
    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)


# ── A manager makes a reviewed task gold from the review page ────────────────────────────────


def test_a_manager_accepts_and_makes_the_task_gold_and_reviewers_get_no_such_option(
    page, login
):
    project, annotator, reviewer = reviewing_project(TaskType.TEXT_CLASSIFICATION)
    manager = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    first, second = make_tasks(project, {"text": "Superb"}, {"text": "Meh"})
    label(project, annotator, POSITIVE)
    label(project, annotator, NEGATIVE)

    open_review(page, login, manager, project)
    on_item(page, first)
    expect(page.locator("#rv-gold-option")).to_be_visible()
    page.keyboard.press("g")
    expect(page.locator("#rv-gold")).to_be_checked()
    page.keyboard.press("a")
    on_item(page, second)
    expect(page.locator("#rv-info")).to_contain_text("it is now a gold task")
    expect(page.locator("#rv-gold")).not_to_be_checked()  # never carried to the next item

    first.refresh_from_db()
    assert (first.status, first.accepted_result, first.gold_result) == (
        TaskStatus.ACCEPTED, POSITIVE, POSITIVE
    )
    switch_user(page, login, reviewer)
    page.goto(f"/projects/{project.id}/review/")
    on_item(page, second)
    expect(page.locator("#rv-gold-option")).to_be_hidden()
    page.keyboard.press("g")
    page.keyboard.press("a")
    queue_empty(page)
    second.refresh_from_db()
    assert (second.status, second.gold_result) == (TaskStatus.ACCEPTED, None)
