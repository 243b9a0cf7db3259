"""The review page for image boxes and transcripts: corrections made in place with the labeling
widgets (Annotorious boxes, wavesurfer.js segments) in a real browser.

Media are the project's demo generators (platform_core.demo) imported as a ZIP, as an upload
would be; annotations go through the labeling services. Each test checks the stored Review, the
task's final label and the annotation's status, and saves test-output/review_<type>.png.
"""
import pytest
from playwright.sync_api import expect

from annotator.models import AnnotationStatus, Review
from platform_core.demo import make_audio_transcription, make_image_boxes
from platform_core.models import TaskStatus, TaskType
from tests.browser.review_helpers import (
    THINK_MS,
    edit_changes,
    import_media,
    label,
    machine_changes,
    on_item,
    open_review,
    queue_empty,
    reviewing_project,
    suggest,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# Boxes are moved by hand: this close to where the mouse took them is "where moved".
BOX_TOLERANCE = 0.02
SHAPES = [{"value": "circle"}, {"value": "square"}, {"value": "triangle"}]  # keys 1, 2, 3


def drag(page, start, end, steps=12):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()
    page.wait_for_timeout(THINK_MS)


def image_point(shown):
    """(fx, fy) fractions of the shown image -> page coordinates."""
    box = shown.locator(".media-stage img").bounding_box()
    return lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def centre(box):
    return box["x"] + box["w"] / 2, box["y"] + box["h"] / 2


def assert_box(box, expected):
    assert box["label"] == expected["label"]
    for key in ("x", "y", "w", "h"):
        assert box[key] == pytest.approx(expected[key], abs=BOX_TOLERANCE), (key, box)


def test_reviewer_relabels_one_box_and_moves_another_in_place(page, login, screenshot):
    project, annotator, reviewer = reviewing_project(TaskType.IMAGE_BOXES, {"labels": SHAPES})
    (scene,) = make_image_boxes(1, 8)  # a triangle on the left, a square on the right
    triangle, square = scene.result["boxes"]
    assert (triangle["label"], square["label"]) == ("triangle", "square")
    (task,) = import_media(project, annotator, [scene])
    # The annotator called the triangle a circle and drew the square 6 % too far down-right.
    off = {**square, "x": square["x"] + 0.06, "y": square["y"] + 0.06}
    under_review = {"boxes": [{**triangle, "label": "circle"}, off]}
    machine = suggest(task, {"boxes": [{**triangle, "label": "circle"}]}, confidence=0.7)
    annotation = label(project, annotator, under_review, prediction=machine)

    open_review(page, login, reviewer, project)
    shown = on_item(page, task, ".a9s-annotationlayer")
    expect(shown.locator(".media-box-tag")).to_have_text(["circle", "square"])
    expect(machine_changes(page)).to_have_count(1)
    expect(machine_changes(page)).to_contain_text(["box added"])
    at = image_point(shown)

    page.mouse.click(*at(*centre(triangle)))  # select the mislabelled box ...
    page.keyboard.press("3")  # ... and make it a triangle
    page.mouse.click(*at(0.5, 0.05))  # nothing selected
    expect(shown.locator(".media-box-tag")).to_have_text(["triangle", "square"])
    start = centre(off)
    page.mouse.click(*at(*start))  # select the square ...
    drag(page, at(*start), at(start[0] - 0.06, start[1] - 0.06))  # ... and move it back
    page.mouse.click(*at(0.5, 0.05))
    changes = edit_changes(page)
    expect(changes).to_have_count(2)
    expect(changes.nth(0)).to_contain_text("box relabelled")
    expect(changes.nth(0)).to_contain_text("circle → triangle · IoU 1.00")
    expect(changes.nth(1)).to_contain_text("box moved / resized")
    expect(changes.nth(1)).to_contain_text("square")
    screenshot("review_image_boxes")
    page.keyboard.press("Enter")
    queue_empty(page)

    review = Review.objects.get(annotation=annotation)
    assert (review.verdict, review.reviewer, review.kind) == ("correct", reviewer, "annotation")
    assert review.reviewed_result == under_review
    fixed_triangle, fixed_square = sorted(review.result["boxes"], key=lambda box: box["x"])
    assert_box(fixed_triangle, triangle)
    assert_box(fixed_square, square)
    # Same-label pairs only: the relabelled box counts 0, the moved one its IoU (about 0.42).
    assert review.edit["metric"] == "box_iou"
    assert review.edit["value"] == pytest.approx(0.42 / 2, abs=0.05)
    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, review.result)
    annotation.refresh_from_db()
    assert annotation.status == AnnotationStatus.ACCEPTED and annotation.result == under_review


def test_reviewer_fixes_a_transcript_in_place(page, login, screenshot):
    project, annotator, reviewer = reviewing_project(
        TaskType.AUDIO_TRANSCRIPTION, {"labels": [{"value": "speaker A"}, {"value": "speaker B"}]}
    )
    (clip,) = make_audio_transcription(1, 3)
    first, second = clip.result["segments"]
    assert first["text"] == "alpha bravo kilo"
    (task,) = import_media(project, annotator, [clip])
    misheard = {**first, "text": "alpha brave kilo"}
    under_review = {"segments": [misheard, second]}
    # Voice activity found the two segments; the machine wrote no text.
    machine = suggest(task, {"segments": [{**first, "text": ""}, {**second, "text": ""}]})
    annotation = label(project, annotator, under_review, prediction=machine)

    open_review(page, login, reviewer, project)
    shown = on_item(page, task, ".media-play:not([disabled])")
    rows = shown.locator(".media-segment")
    expect(rows).to_have_count(2)
    written = machine_changes(page).locator("ins")
    expect(written).to_have_text(["alpha brave kilo", "juliet kilo juliet"])

    field = rows.nth(0).get_by_role("textbox")
    field.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("alpha bravo kilo")
    page.keyboard.press("Escape")
    page.wait_for_timeout(THINK_MS)
    (change,) = edit_changes(page).all()
    expect(change).to_contain_text("segment 1 text")
    expect(change.locator("del")).to_have_text(["brave"])
    expect(change.locator("ins")).to_have_text(["bravo"])
    screenshot("review_audio_transcription")
    page.keyboard.press("Enter")
    queue_empty(page)

    review = Review.objects.get(annotation=annotation)
    assert (review.verdict, review.reviewer) == ("correct", reviewer)
    assert review.reviewed_result == under_review
    fixed_first, kept_second = review.result["segments"]
    assert fixed_first["text"] == "alpha bravo kilo" and kept_second == second
    assert fixed_first["start"] == pytest.approx(first["start"])
    assert fixed_first["end"] == pytest.approx(first["end"])
    assert fixed_first["label"] == "speaker A"
    assert review.edit["metric"] == "cer" and 0 < review.edit["value"] < 0.2
    task.refresh_from_db()
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, review.result)
