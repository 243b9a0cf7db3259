"""A reviewer spot-checks a machine label that confidence routing auto-accepted, and the model
page's measured precision of routing changes from "not measured yet" to a value."""
import random

import pytest
from playwright.sync_api import expect

from annotator.models import Review
from ml_assist.routing import route_confident
from ml_assist.routing_models import RoutingDecision, RoutingVerdict
from platform_core.models import TaskStatus, TaskType
from tests.browser.review_helpers import (
    make_tasks,
    on_item,
    queue_empty,
    reviewing_project,
    suggest,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

POSITIVE = {"labels": ["positive"]}


# ── Spot-check of an auto-accepted machine label; the models page measures precision ─────────


def test_a_spot_check_of_an_auto_accepted_label_feeds_the_measured_precision(
    page, login, screenshot
):
    project, _, reviewer = reviewing_project(
        TaskType.TEXT_CLASSIFICATION, auto_accept_threshold=0.9, review_sample_rate=1.0
    )
    (task,) = make_tasks(project, {"text": "Best purchase ever"})
    prediction = suggest(task, POSITIVE, confidence=0.99, model_version="builtin-v3")
    routed = route_confident(
        project=project, task_confidences={task.id: 0.99}, rng=random.Random(0)
    )
    assert routed.sampled_for_review == [task.id]

    login(reviewer)
    page.goto(f"/projects/{project.id}/models/")
    expect(page.locator("#routing-precision")).to_contain_text("not measured yet")

    page.goto(f"/projects/{project.id}/review/")
    on_item(page, task)
    expect(page.locator("#rv-author")).to_have_text("machine builtin-v3 · 99%")
    expect(page.locator("#rv-stage")).to_have_text("spot-check")
    expect(page.locator("#rv-diff-machine")).to_contain_text("the machine's own label")
    screenshot("review_spot_check")
    page.keyboard.press("a")
    queue_empty(page)

    review = Review.objects.get(task=task)
    assert (review.kind, review.verdict, review.reviewer) == ("spot_check", "accept", reviewer)
    assert review.annotation is None and review.prediction_id == prediction.id
    assert review.confidence == pytest.approx(0.99) and review.result == POSITIVE
    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)
    assert RoutingDecision.objects.get(task=task).verdict == RoutingVerdict.CORRECT

    page.goto(f"/projects/{project.id}/models/")
    precision = page.locator("#routing-precision")
    expect(precision).not_to_contain_text("not measured yet")
    expect(precision).to_contain_text("1.000")
    expect(precision).to_contain_text("1 reviewed")
