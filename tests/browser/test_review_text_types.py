"""The review page for text spans, preference and SFT: corrections made in place with the
labeling widgets, and the change lists that show them (span relabelled, choice flipped, word
diffs of a reason and of a response). Screenshots go to test-output/review_<type>.png.
"""
import pytest
from playwright.sync_api import expect

from platform_core.models import TaskStatus, TaskType
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
)
from tests.browser.test_label_text_types import drag_select

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


# ── Text spans: a span relabelled in place ───────────────────────────────────────────────────


def test_reviewer_relabels_a_span_in_place(page, login, screenshot):
    project, annotator, reviewer = reviewing_project(
        TaskType.TEXT_SPANS,
        {"labels": [{"value": "PER", "hotkey": "p"}, {"value": "ORG", "hotkey": "o"}]},
    )
    text = "Ada Lovelace met Babbage at Analytical Engines Ltd."
    (task,) = make_tasks(project, {"text": text})
    ada = {"start": 0, "end": 12, "label": "PER"}
    babbage = {"start": 17, "end": 24, "label": "PER"}
    company = {"start": 28, "end": 50, "label": "PER"}  # wrong: an organization
    machine = suggest(task, {"spans": [ada]}, confidence=0.55)
    annotation = label(project, annotator, {"spans": [ada, babbage, company]}, prediction=machine)

    open_review(page, login, reviewer, project)
    shown = on_item(page, task)
    expect(shown.locator(".span-list li")).to_have_count(3)
    expect(machine_changes(page)).to_have_text(
        ["+span addedBabbagePER", "+span addedAnalytical Engines LtdPER"]
    )
    # Click the wrong span to remove it, select its text and press ORG's key.
    shown.locator(".seg--on", has_text="Analytical").click()
    expect(shown.locator(".span-list li")).to_have_count(2)
    drag_select(page, "Analytical Engines Ltd")
    page.keyboard.press("o")
    expect(edit_changes(page)).to_have_text(["~span relabelledAnalytical Engines LtdPER → ORG"])
    screenshot("review_text_spans")
    page.keyboard.press("Enter")
    queue_empty(page)

    review = review_of(annotation)
    assert review.verdict == "correct" and review.reviewer == reviewer
    assert review.result == {"spans": [ada, babbage, {**company, "label": "ORG"}]}
    assert review.reviewed_result == {"spans": [ada, babbage, company]}
    assert review.edit["metric"] == "span_f1" and review.edit["value"] == pytest.approx(2 / 3)
    task.refresh_from_db()
    assert task.status == TaskStatus.ACCEPTED and task.accepted_result == review.result


# ── Preference: the choice flipped, then one accepted ────────────────────────────────────────


def test_reviewer_flips_a_preference_and_accepts_the_next(page, login, screenshot):
    project, annotator, reviewer = reviewing_project(TaskType.PREFERENCE, {})
    pair = {"prompt": "Say hello", "response_a": "Hello there, friend!", "response_b": "hi"}
    first, second = make_tasks(project, pair, {**pair, "prompt": "Say goodbye"})
    flipped = label(project, annotator, {"choice": "B", "reason": "shorter is better"})
    kept = label(project, annotator, {"choice": "A"})

    open_review(page, login, reviewer, project)
    shown = on_item(page, first)
    expect(shown.locator(".pref__card.is-chosen")).to_have_attribute("data-choice", "B")
    expect(page.locator("#rv-diff-machine")).to_contain_text("No machine suggestion")
    expect(page.locator("#rv-keys-widget")).to_contain_text("Shift+R")  # r is reject here
    page.keyboard.press("1")  # A is better
    page.keyboard.press("Shift+R")  # the widget's reason field
    expect(shown.locator("textarea")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("warmer and complete")
    page.keyboard.press("Escape")
    page.wait_for_timeout(THINK_MS)
    expect(edit_changes(page).nth(0)).to_have_text("~choice flippedB → A")
    reason = edit_changes(page).nth(1)
    expect(reason.locator("del")).to_have_text(["shorter is better"])
    expect(reason.locator("ins")).to_have_text(["warmer and complete"])
    screenshot("review_preference")
    page.keyboard.press("c")

    on_item(page, second)
    review = review_of(flipped)
    assert review.verdict == "correct"
    assert review.result == {"choice": "A", "reason": "warmer and complete"}
    assert review.edit == {"metric": "choice_flipped", "value": 1.0}
    page.keyboard.press("a")
    queue_empty(page)
    assert review_of(kept).verdict == "accept"
    second.refresh_from_db()
    assert second.accepted_result == {"choice": "A"}


# ── SFT: a response edited in place ──────────────────────────────────────────────────────────


def test_reviewer_edits_a_response_and_sees_the_word_diff(page, login, screenshot):
    project, annotator, reviewer = reviewing_project(TaskType.SFT, {})
    (task,) = make_tasks(project, {"prompt": "What is the capital of France?"})
    draft = {"response": "The capital of France is Lyon."}
    machine = suggest(task, draft, confidence=0.4)
    answer = {"response": "The capital of France is Lyon, I think."}
    annotation = label(project, annotator, answer, prediction=machine)

    open_review(page, login, reviewer, project)
    shown = on_item(page, task)
    expect(machine_changes(page).locator("ins")).to_have_text([", I think"])
    page.keyboard.press("e")  # the widget's key: into the editor
    expect(shown.locator("textarea")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("The capital of France is Paris.")
    page.keyboard.press("Escape")
    page.wait_for_timeout(THINK_MS)
    (change,) = edit_changes(page).all()
    expect(change).to_contain_text("response")
    expect(change.locator("del")).to_have_text(["Lyon, I think"])
    expect(change.locator("ins")).to_have_text(["Paris"])
    screenshot("review_sft")
    page.keyboard.press("Enter")
    queue_empty(page)

    review = review_of(annotation)
    assert review.verdict == "correct"
    assert review.result == {"response": "The capital of France is Paris."}
    assert review.edit["metric"] == "cer" and review.edit["value"] > 0
    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, review.result)
