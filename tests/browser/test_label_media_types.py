"""The labeling workspace for the four media task types, in a real browser.

Media come in as they do in production: a ZIP built here (PNG images from Pillow, WAV audio from
numpy + soundfile) goes through the import service, which probes width, height and duration.
Classification is done with the keyboard; boxes are drawn, moved, resized and deleted with the
mouse (Annotorious); audio segments are dragged on the waveform (wavesurfer.js regions) and
their text typed. Every test checks what the database stored and saves a screenshot.
"""
import io
import zipfile

import numpy as np
import pytest
import soundfile
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from annotator.models import Annotation
from platform_core.imports.runner import import_run
from platform_core.imports.services import import_job_create
from platform_core.models import ImportStatus, Prediction, Role, Task, TaskType
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# A person looks before acting; it also lets a gesture's change reach the widget's result.
THINK_MS = 300
# Boxes and segments are drawn by hand: this close to where the mouse went is "where drawn".
BOX_TOLERANCE = 0.02
SEGMENT_TOLERANCE_S = 0.1
IMAGE_SIZE = (640, 480)
SAMPLE_RATE = 16_000


# ── Media and tasks ──────────────────────────────────────────────────────────────────────────


def png(background, shapes=()) -> bytes:
    """A PNG with rectangles drawn at fractional positions: [(x0, y0, x1, y1, colour), ...]."""
    width, height = IMAGE_SIZE
    image = Image.new("RGB", IMAGE_SIZE, background)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1, colour in shapes:
        draw.rectangle([x0 * width, y0 * height, x1 * width, y1 * height], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wav(duration_s, tones=()) -> bytes:
    """16-bit mono WAV: faint noise with tone bursts [(start_s, end_s, hz), ...]."""
    t = np.arange(int(SAMPLE_RATE * duration_s)) / SAMPLE_RATE
    signal = 0.01 * np.random.default_rng(7).standard_normal(len(t))
    for start, end, hz in tones:
        inside = (t >= start) & (t < end)
        envelope = np.sin(np.pi * (t[inside] - start) / (end - start))
        signal[inside] += 0.6 * envelope * np.sin(2 * np.pi * hz * t[inside])
    buffer = io.BytesIO()
    soundfile.write(buffer, signal.astype("float32"), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def import_media(project, user, files: dict[str, bytes]) -> list[Task]:
    """Imports a ZIP of `files` through the import service; tasks in the ZIP's order."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in files.items():
            zipped.writestr(name, content)
    job = import_job_create(
        project=project,
        user=user,
        upload=ContentFile(archive.getvalue(), name="media.zip"),
        enqueue=False,
    )
    job = import_run(job_id=job.id)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    tasks = {task.data["file"]: task for task in Task.objects.filter(project=project)}
    assert set(tasks) == set(files)
    return [tasks[name] for name in files]


def media_project(task_type, labels, **options):
    project = ProjectFactory(task_type=task_type, label_config={"labels": labels, **options})
    manager = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user
    return project, manager, annotator


def suggest(task, result, confidence=0.8):
    return Prediction.objects.create(
        task=task, model_version="demo-v1", result=result, confidence=confidence
    )


def stored(task):
    return Annotation.objects.get(task=task).result


# ── Page helpers ─────────────────────────────────────────────────────────────────────────────


def widget(page, task):
    return page.locator(f'.ws-widget[data-task-id="{task.id}"]')


def on_task(page, task, ready_selector):
    """Waits for `task`'s widget and for its media to be ready to work on."""
    widget(page, task).locator(ready_selector).first.wait_for()
    page.wait_for_timeout(THINK_MS)


def all_done(page):
    expect(page.locator("#ws-done")).to_be_visible()


def drag(page, start, end, steps=12):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()
    page.wait_for_timeout(THINK_MS)


def image_point(page, task):
    """(fx, fy) fractions of the shown image -> page coordinates."""
    box = widget(page, task).locator(".media-stage img").bounding_box()
    return lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def wave_point(page, task, duration_s):
    """seconds -> page coordinates on the middle line of the waveform."""
    box = widget(page, task).locator(".media-waveform > div").first.bounding_box()
    middle = box["y"] + box["height"] / 2
    return lambda seconds: (box["x"] + box["width"] * seconds / duration_s, middle)


def assert_box(box, x, y, w, h, label):
    assert box["label"] == label
    for key, expected in {"x": x, "y": y, "w": w, "h": h}.items():
        assert box[key] == pytest.approx(expected, abs=BOX_TOLERANCE), (key, box)


def assert_segment(segment, start, end, text, label, duration_s):
    assert 0 <= segment["start"] < segment["end"] <= duration_s
    assert segment["start"] == pytest.approx(start, abs=SEGMENT_TOLERANCE_S)
    assert segment["end"] == pytest.approx(end, abs=SEGMENT_TOLERANCE_S)
    assert segment["text"] == text
    assert segment.get("label") == label
    # Seconds with at most three decimals.
    for key in ("start", "end"):
        assert round(segment[key], 3) == segment[key]


# ── Image classification ─────────────────────────────────────────────────────────────────────


def test_image_classification_by_keyboard(page, open_workspace, screenshot):
    project, manager, annotator = media_project(
        TaskType.IMAGE_CLASSIFICATION,
        [
            {"value": "cat", "color": "#c2410c"},
            {"value": "dog", "color": "#2556c4"},
            {"value": "bird", "hotkey": "b"},
        ],
    )
    first, second = import_media(
        project,
        manager,
        {
            "orange.png": png("#e8a15a", [(0.3, 0.3, 0.6, 0.7, "#7a4b1e")]),
            "blue.png": png("#8fb3de"),
        },
    )
    assert (first.width, first.height) == IMAGE_SIZE and first.media_type == "image/png"

    open_workspace(annotator, project)
    on_task(page, first, "img.media-image")
    image = widget(page, first).locator("img.media-image")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == IMAGE_SIZE[0]
    page.keyboard.press("2")
    expect(widget(page, first).locator(".choice.is-on")).to_have_text("dog2")
    screenshot("label_image_classification")
    page.keyboard.press("Enter")

    on_task(page, second, "img.media-image")
    page.keyboard.press("1")
    page.keyboard.press("b")  # one label per image: b replaces cat
    page.keyboard.press("Enter")
    all_done(page)

    assert stored(first) == {"labels": ["dog"]}
    assert stored(second) == {"labels": ["bird"]}


# ── Image boxes ──────────────────────────────────────────────────────────────────────────────


def test_image_boxes_drawn_moved_resized_relabeled_and_deleted_with_the_mouse(
    page, open_workspace, screenshot
):
    project, manager, annotator = media_project(
        TaskType.IMAGE_BOXES,
        [{"value": "car", "color": "#d62728"}, {"value": "person", "color": "#1f77b4"}],
    )
    first, second = import_media(
        project,
        manager,
        {
            "street.png": png(
                "#6b8f6b", [(0.15, 0.25, 0.40, 0.62, "#b03030"), (0.6, 0.4, 0.82, 0.85, "#3050b0")]
            ),
            "yard.png": png("#9c9c7a", [(0.1, 0.1, 0.7, 0.6, "#b03030")]),
        },
    )
    suggest(first, {"boxes": [{"x": 0.05, "y": 0.05, "w": 0.15, "h": 0.12, "label": "person"}]})
    open_workspace(annotator, project)

    # First image: the machine's box is there; draw a car and a person, move the car, delete
    # the machine's box.
    on_task(page, first, ".a9s-annotationlayer")
    tags = widget(page, first).locator(".media-box-tag")
    expect(tags).to_have_text(["person"])
    expect(page.locator("#ws-suggestion")).to_be_visible()
    at = image_point(page, first)
    drag(page, at(0.12, 0.22), at(0.37, 0.59))  # car, the first label, is current
    page.mouse.click(*at(0.95, 0.95))  # click on empty image: nothing selected
    page.keyboard.press("2")
    drag(page, at(0.60, 0.40), at(0.82, 0.85))
    expect(tags).to_have_text(["person", "car", "person"])
    page.mouse.click(*at(0.25, 0.40))  # select the car ...
    drag(page, at(0.25, 0.40), at(0.28, 0.43))  # ... and move it by (0.03, 0.03)
    page.mouse.click(*at(0.12, 0.11))  # select the machine's box ...
    page.keyboard.press("Delete")  # ... and delete it
    expect(tags).to_have_count(2)
    page.keyboard.press("Control+z")  # the workspace's undo brings it back ...
    expect(tags).to_have_text(["person", "car", "person"])
    page.mouse.click(*at(0.12, 0.11))
    page.keyboard.press("Delete")  # ... and it goes again
    expect(tags).to_have_count(2)
    expect(page.locator("#ws-edited")).to_be_visible()
    page.mouse.click(*at(0.95, 0.95))
    screenshot("label_image_boxes")
    page.keyboard.press("Enter")

    # Second image: draw a person, relabel it car with its key, resize it by its corner, then
    # draw a stray box and remove it with the button.
    on_task(page, second, ".a9s-annotationlayer")
    at = image_point(page, second)
    page.keyboard.press("2")
    drag(page, at(0.10, 0.10), at(0.50, 0.50))
    page.keyboard.press("1")  # the new box is still selected: it becomes a car
    drag(page, at(0.50, 0.50), at(0.70, 0.60))  # its bottom-right corner handle
    page.mouse.click(*at(0.95, 0.95))
    drag(page, at(0.80, 0.70), at(0.90, 0.90))
    widget(page, second).get_by_role("button", name="Delete box").click()
    expect(widget(page, second).locator(".media-box-tag")).to_have_text(["car"])
    page.keyboard.press("Enter")
    all_done(page)

    car, person = sorted(stored(first)["boxes"], key=lambda box: box["x"])
    assert_box(car, 0.15, 0.25, 0.25, 0.37, "car")
    assert_box(person, 0.60, 0.40, 0.22, 0.45, "person")
    (box,) = stored(second)["boxes"]
    assert_box(box, 0.10, 0.10, 0.60, 0.50, "car")
    for result in (stored(first), stored(second)):
        for box in result["boxes"]:
            assert 0 <= box["x"] and box["x"] + box["w"] <= 1
            assert 0 <= box["y"] and box["y"] + box["h"] <= 1
    assert Annotation.objects.get(task=first).changed_from_suggestion is True


# ── Audio classification ─────────────────────────────────────────────────────────────────────


def test_audio_classification_plays_with_space_and_labels_by_keyboard(
    page, open_workspace, screenshot
):
    project, manager, annotator = media_project(
        TaskType.AUDIO_CLASSIFICATION,
        [{"value": "speech"}, {"value": "music"}, {"value": "noise"}],
        multi_label=True,
    )
    first, second = import_media(
        project,
        manager,
        {"voice.wav": wav(3.0, [(0.3, 2.5, 180)]), "tune.wav": wav(2.0, [(0.0, 2.0, 440)])},
    )
    assert first.duration_s == pytest.approx(3.0) and first.sample_rate == SAMPLE_RATE

    open_workspace(annotator, project)
    on_task(page, first, ".media-play:not([disabled])")
    play = widget(page, first).locator(".media-play")
    page.keyboard.press(" ")
    expect(play).to_have_text("Pause")
    page.wait_for_timeout(400)
    page.keyboard.press(" ")
    expect(play).to_have_text("Play")
    assert not widget(page, first).locator(".media-time").text_content().startswith("0:00.00")
    page.keyboard.press("1")
    page.keyboard.press("3")
    screenshot("label_audio_classification")
    page.keyboard.press("Enter")

    on_task(page, second, ".media-play:not([disabled])")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    all_done(page)

    assert stored(first) == {"labels": ["speech", "noise"]}
    assert stored(second) == {"labels": ["music"]}


# ── Audio transcription ──────────────────────────────────────────────────────────────────────


def test_audio_transcription_segments_dragged_on_the_waveform_and_typed(
    page, open_workspace, screenshot
):
    project, manager, annotator = media_project(
        TaskType.AUDIO_TRANSCRIPTION, [{"value": "speaker A"}, {"value": "speaker B"}]
    )
    duration = 4.0
    first, second = import_media(
        project,
        manager,
        {
            "dialogue.wav": wav(duration, [(0.4, 1.4, 220), (2.0, 3.4, 330)]),
            "monologue.wav": wav(duration, [(0.5, 1.5, 200), (2.0, 3.0, 260)]),
        },
    )
    # Voice activity found the first burst; the text is for the person to write.
    suggest(first, {"segments": [{"start": 0.4, "end": 1.4, "text": "", "label": "speaker A"}]})
    open_workspace(annotator, project)

    on_task(page, first, ".media-play:not([disabled])")
    rows = widget(page, first).locator(".media-segment")
    expect(rows).to_have_count(1)
    rows.nth(0).get_by_role("textbox").click()
    page.keyboard.type("good morning")
    page.keyboard.press("Escape")
    at = wave_point(page, first, duration)
    drag(page, at(2.0), at(3.4))
    expect(rows).to_have_count(2)
    page.keyboard.type("how are you")  # the new segment's text field has the focus
    page.keyboard.press("Escape")
    page.keyboard.press("2")  # speaker B for the selected (new) segment
    expect(rows.nth(1).get_by_role("combobox")).to_have_value("speaker B")
    page.keyboard.press(" ")
    expect(widget(page, first).locator(".media-play")).to_have_text("Pause")
    page.keyboard.press(" ")
    screenshot("label_audio_transcription")
    page.keyboard.press("Enter")

    on_task(page, second, ".media-play:not([disabled])")
    rows = widget(page, second).locator(".media-segment")
    at = wave_point(page, second, duration)
    drag(page, at(0.5), at(1.5))
    page.keyboard.type("first words")
    page.keyboard.press("Escape")
    page.keyboard.press("2")  # speaker B for it, and for the segments drawn next ...
    page.keyboard.press("1")  # ... no: speaker A after all
    expect(rows.nth(0).get_by_role("combobox")).to_have_value("speaker A")
    drag(page, at(3.3), at(3.8))
    page.keyboard.press("Escape")
    page.keyboard.press("Delete")  # the selected (new, empty) segment goes ...
    expect(rows).to_have_count(1)
    page.keyboard.press("Control+z")  # ... comes back with the workspace's undo ...
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_role("button", name="Delete segment 2").click()  # ... and goes for good
    expect(rows).to_have_count(1)
    drag(page, at(2.0), at(3.0))
    page.keyboard.type("and the last ones")
    page.keyboard.press("Control+Enter")  # submit straight from the text field
    all_done(page)

    one, two = stored(first)["segments"]
    assert_segment(one, 0.4, 1.4, "good morning", "speaker A", duration)
    assert_segment(two, 2.0, 3.4, "how are you", "speaker B", duration)
    one, two = stored(second)["segments"]
    assert_segment(one, 0.5, 1.5, "first words", "speaker A", duration)
    assert_segment(two, 2.0, 3.0, "and the last ones", "speaker A", duration)
