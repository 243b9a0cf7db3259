"""The labeling workspace for the four text task types, driven by the keyboard in a real browser.

Each test labels a short queue (one task whose suggestion is accepted as is with `a`, one whose
suggestion is edited, one without a suggestion) and checks what the database stored.
"""
import pytest
from playwright.sync_api import expect

from annotator.models import Annotation, AnnotationVersion, TaskSkip
from platform_core.models import Prediction, Role, Task, TaskType
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# A person reads before acting; it also makes sure the active-time clock has ticked.
THINK_MS = 300


def make_tasks(project, *datas):
    """Tasks served in the order given (highest priority first)."""
    return [
        Task.objects.create(project=project, data=data, checksum=f"{project.id}-{i}", priority=len(datas) - i)
        for i, data in enumerate(datas)
    ]


def suggest(task, result, confidence):
    return Prediction.objects.create(task=task, model_version="demo-v1", result=result, confidence=confidence)


def annotator_of(project):
    return MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user


def on_task(page, task):
    page.locator(f'.ws-widget[data-task-id="{task.id}"]').wait_for()
    page.wait_for_timeout(THINK_MS)


def all_done(page):
    expect(page.locator("#ws-done")).to_be_visible()
    expect(page.locator("#ws-done")).to_contain_text("All done")


def stored(task):
    return Annotation.objects.get(task=task)


# Character boxes of a substring of the spans widget's text, found through its text nodes.
SUBSTRING_BOX = """
(needle) => {
  const box = [...document.querySelectorAll(".ws-text--spans")].find((node) => node.offsetParent !== null);
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = "";
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`not in the text: ${needle}`);
  const charRect = (index) => {
    const [node, start] = nodes.findLast(([, start]) => start <= index);
    const range = document.createRange();
    range.setStart(node, index - start);
    range.setEnd(node, index - start + 1);
    return range.getBoundingClientRect();
  };
  const first = charRect(at), last = charRect(at + needle.length - 1);
  return {x1: first.left + 1, y1: first.top + first.height / 2, x2: last.right - 1, y2: last.top + last.height / 2,
          cx: (first.left + last.right) / 2, cy: first.top + first.height / 2};
}
"""


def drag_select(page, needle):
    box = page.evaluate(SUBSTRING_BOX, needle)
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=6)
    page.mouse.up()


def double_click(page, needle):
    box = page.evaluate(SUBSTRING_BOX, needle)
    page.mouse.dblclick(box["cx"], box["cy"])


def span(text, needle, label):
    start = text.index(needle)  # Python counts code points, as the API does
    return {"start": start, "end": start + len(needle), "label": label}


def test_text_classification_is_labeled_with_the_keyboard(open_workspace, screenshot):
    project = ProjectFactory(
        task_type=TaskType.TEXT_CLASSIFICATION,
        label_config={
            "labels": [
                {"value": "positive", "hotkey": "1", "color": "#2e7d32"},
                {"value": "negative", "hotkey": "2", "color": "#c62828"},
                {"value": "mixed", "hotkey": "3", "color": "#a15c07", "description": "Praise and complaints"},
            ]
        },
        guidelines="Label the overall sentiment of the review.\nSarcasm counts as negative.",
    )
    accepted, edited, plain, skipped = make_tasks(
        project,
        {"text": "Great battery life, it easily lasts two days."},
        {"text": "Broke after a week. Never again."},
        {"text": "Nice screen, but the battery dies by noon."},
        {"text": "asdf qwerty zxcv"},
    )
    accepted_prediction = suggest(accepted, {"labels": ["positive"]}, 0.87)
    edited_prediction = suggest(edited, {"labels": ["positive"]}, 0.55)
    page = open_workspace(annotator_of(project), project)

    on_task(page, accepted)
    expect(page.locator("#ws-suggestion")).to_have_text("Machine suggestion · 87%")
    expect(page.locator('.choice[data-value="positive"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#ws-edited")).to_be_hidden()
    page.keyboard.press("a")

    on_task(page, edited)
    expect(page.locator("#ws-suggestion")).to_have_text("Machine suggestion · 55%")
    page.keyboard.press("2")
    expect(page.locator("#ws-edited")).to_be_visible()
    expect(page.locator('.choice[data-value="negative"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('.choice[data-value="positive"]')).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("?")
    expect(page.locator("#ws-guidelines")).to_contain_text("Sarcasm counts as negative.")
    expect(page.locator("#ws-progress")).to_have_text("1 done today · 3 left of 4")
    screenshot("label_text_classification")
    page.keyboard.press("?")
    expect(page.locator("#ws-guidelines")).to_be_hidden()
    page.keyboard.press("Enter")

    on_task(page, plain)
    expect(page.locator("#ws-suggestion")).to_be_hidden()
    page.keyboard.press("1")
    page.keyboard.press("3")  # one label only: 3 replaces 1
    expect(page.locator(".choice.is-on")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.locator('.choice[data-value="positive"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Control+z")
    expect(page.locator(".choice.is-on")).to_have_count(0)
    page.keyboard.press("Enter")  # nothing chosen: refused on the page, nothing sent
    expect(page.locator("#ws-message")).to_contain_text("Not finished yet")
    page.keyboard.press("3")
    page.keyboard.press("Enter")

    on_task(page, skipped)
    page.keyboard.press("s")
    expect(page.locator("#ws-skip-reason")).to_be_focused()
    page.keyboard.type("Not a review, keyboard mash")
    page.keyboard.press("Enter")
    all_done(page)
    expect(page.locator("#ws-done-progress")).to_have_text("3 done today · 1 left of 4")
    screenshot("label_all_done")

    first = stored(accepted)
    assert first.result == {"labels": ["positive"]}
    assert first.prediction == accepted_prediction and first.changed_from_suggestion is False
    second = stored(edited)
    assert second.result == {"labels": ["negative"]}
    assert second.prediction == edited_prediction and second.changed_from_suggestion is True
    third = stored(plain)
    assert third.result == {"labels": ["mixed"]}
    assert third.prediction is None and third.changed_from_suggestion is None
    for annotation in (first, second, third):
        assert annotation.lead_time_s > 0
    assert TaskSkip.objects.get(task=skipped).reason == "Not a review, keyboard mash"
    assert not Annotation.objects.filter(task=skipped).exists()


def test_text_spans_are_selected_with_the_mouse_and_labeled_with_keys(open_workspace, screenshot):
    project = ProjectFactory(
        task_type=TaskType.TEXT_SPANS,
        label_config={
            "labels": [
                {"value": "PER", "hotkey": "p", "color": "#2556c4"},
                {"value": "ORG", "hotkey": "o", "color": "#c2410c"},
                {"value": "LOC", "color": "#15803d"},  # no hotkey: gets the digit 1
            ]
        },
    )
    texts = [
        "Ada Lovelace worked with Charles Babbage in London.",
        # An emoji is one character for the API but two UTF-16 units in the browser.
        "🙂 Grace Hopper joined Remington Rand in 1949.",
        "Marie Curie lived in Paris for most of her life.",
    ]
    accepted, edited, plain = make_tasks(project, *({"text": text} for text in texts))
    accepted_spans = [span(texts[0], "Ada Lovelace", "PER"), span(texts[0], "Charles Babbage", "PER"), span(texts[0], "London", "LOC")]
    suggest(accepted, {"spans": accepted_spans}, 0.92)
    suggest(edited, {"spans": [span(texts[1], "Grace Hopper", "PER"), span(texts[1], "1949", "LOC")]}, 0.61)
    page = open_workspace(annotator_of(project), project)

    on_task(page, accepted)
    expect(page.locator("#ws-suggestion")).to_have_text("Machine suggestion · 92%")
    expect(page.locator(".span-list li")).to_have_count(3)
    expect(page.locator('.seg[data-tag="LOC"]')).to_have_text("London")
    page.keyboard.press("a")

    on_task(page, edited)
    expect(page.locator('.seg[data-tag="PER"]')).to_have_text("Grace Hopper")
    drag_select(page, "Remington Rand")
    page.keyboard.press("o")
    expect(page.locator('.seg[data-tag="ORG"]')).to_have_text("Remington Rand")
    expect(page.locator("#ws-edited")).to_be_visible()
    # Overlap is off in this project: a span inside "Grace Hopper" is refused with a message.
    drag_select(page, "Hopper")
    page.keyboard.press("o")
    expect(page.locator("#ws-info")).to_contain_text("may not overlap")
    expect(page.locator(".span-list li")).to_have_count(3)
    # A click removes the wrong year span; undo brings it back; select + x removes it again.
    page.locator('.seg[data-tag="LOC"]').click()
    expect(page.locator('.seg[data-tag="LOC"]')).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(page.locator('.seg[data-tag="LOC"]')).to_have_text("1949")
    double_click(page, "1949")
    page.keyboard.press("x")
    expect(page.locator('.seg[data-tag="LOC"]')).to_have_count(0)
    screenshot("label_text_spans")
    page.keyboard.press("Enter")

    on_task(page, plain)
    drag_select(page, "Marie Curie")
    page.keyboard.press("p")
    double_click(page, "Paris")
    page.keyboard.press("1")
    expect(page.locator(".span-list li")).to_have_count(2)
    page.keyboard.press("Enter")
    all_done(page)

    first = stored(accepted)
    assert first.result == {"spans": accepted_spans} and first.changed_from_suggestion is False
    second = stored(edited)
    assert second.result == {"spans": [span(texts[1], "Grace Hopper", "PER"), span(texts[1], "Remington Rand", "ORG")]}
    assert second.result["spans"][1] == {"start": 22, "end": 36, "label": "ORG"}
    assert second.changed_from_suggestion is True
    third = stored(plain)
    assert third.result == {"spans": [span(texts[2], "Marie Curie", "PER"), span(texts[2], "Paris", "LOC")]}
    assert third.changed_from_suggestion is None
    assert all(a.lead_time_s > 0 for a in (first, second, third))


def test_preference_pairs_are_chosen_with_1_2_3_and_can_be_reopened(open_workspace, screenshot):
    project = ProjectFactory(task_type=TaskType.PREFERENCE, label_config={"allow_tie": True})
    pair = lambda prompt, a, b: {"prompt": prompt, "response_a": a, "response_b": b}  # noqa: E731
    accepted, edited, plain = make_tasks(
        project,
        pair("How do I keep basil alive indoors?", "Put it on a sunny windowsill and water it when the top of the soil is dry.", "Not sure."),
        pair(
            "How can I fall asleep faster?",
            "Ugh, people ask this all the time. Stop looking at screens.",
            "Go to bed at the same time every day, keep the room cool and dark, and skip coffee after 2 pm.",
        ),
        pair("How do I back up photos?", "Keep three copies on two kinds of storage.", "Use a drive and a cloud service, scheduled weekly."),
    )
    suggest(accepted, {"choice": "A"}, 0.91)
    suggest(edited, {"choice": "A"}, 0.52)
    page = open_workspace(annotator_of(project), project)

    on_task(page, accepted)
    expect(page.locator('.pref__card[data-choice="A"]')).to_have_class("pref__card is-chosen")
    page.keyboard.press("a")

    on_task(page, edited)
    expect(page.locator('[data-field="prompt"]')).to_have_text("How can I fall asleep faster?")
    page.keyboard.press("2")
    page.keyboard.press("r")
    expect(page.locator(".pref__reason")).to_be_focused()
    page.keyboard.type("A is rude; 1 2 3 a s u typed here are text, not keys.")
    page.keyboard.press("Escape")
    expect(page.locator("#ws-edited")).to_be_visible()
    screenshot("label_preference")
    page.keyboard.press("Enter")

    on_task(page, plain)
    # Back reopens the previous submission; Enter saves the change through PATCH.
    page.keyboard.press("Backspace")
    on_task(page, edited)
    expect(page.locator("#ws-mode")).to_be_visible()
    reopened = page.locator(f'.ws-widget[data-task-id="{edited.id}"]')
    expect(reopened.locator(".pref__reason")).to_have_value("A is rude; 1 2 3 a s u typed here are text, not keys.")
    expect(reopened.locator('.pref__card[data-choice="B"]')).to_have_class("pref__card is-chosen")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    on_task(page, plain)
    expect(page.locator("#ws-mode")).to_be_hidden()
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    all_done(page)

    assert stored(accepted).result == {"choice": "A"} and stored(accepted).changed_from_suggestion is False
    second = stored(edited)
    assert second.result == {"choice": "tie", "reason": "A is rude; 1 2 3 a s u typed here are text, not keys."}
    assert second.changed_from_suggestion is True
    (version,) = AnnotationVersion.objects.filter(annotation=second)
    assert version.result["choice"] == "B"
    third = stored(plain)
    assert third.result == {"choice": "tie"} and third.changed_from_suggestion is None
    assert all(stored(t).lead_time_s > 0 for t in (accepted, edited, plain))


def test_sft_responses_are_written_without_triggering_hotkeys(open_workspace, screenshot):
    project = ProjectFactory(task_type=TaskType.SFT, label_config={"min_response_length": 5})
    accepted, edited, drafted = make_tasks(
        project,
        {"prompt": "How do I keep basil alive indoors?"},
        {"prompt": 'Rewrite this message so it is polite: "Send me the report now."'},
        {"prompt": "Turn this shopping note into a bulleted list: eggs, milk and bread.", "draft": "- eggs\n- milk"},
    )
    basil = "Put it on a sunny windowsill and water it when the top centimetre of soil is dry."
    suggest(accepted, {"response": basil}, 0.8)
    suggest(edited, {"response": "Send me the report, please."}, 0.4)
    page = open_workspace(annotator_of(project), project)

    on_task(page, accepted)
    expect(page.locator(".sft__editor")).to_have_value(basil)
    page.keyboard.press("a")

    on_task(page, edited)
    page.keyboard.press("e")
    expect(page.locator(".sft__editor")).to_be_focused()
    page.keyboard.press("Control+a")
    polite = "Could you send me the report when you have a moment? Thanks a lot, and sorry to ask again!"
    page.keyboard.type(polite)
    expect(page.locator(".sft__editor")).to_have_value(polite)
    expect(page.locator("#ws-skip")).to_be_hidden()
    expect(page.locator("#ws-guidelines")).to_be_hidden()
    expect(page.locator("#ws-edited")).to_be_visible()
    screenshot("label_sft")
    page.keyboard.press("Control+Enter")

    on_task(page, drafted)
    expect(page.locator(".sft__editor")).to_have_value("- eggs\n- milk")
    page.keyboard.press("e")
    page.keyboard.press("Enter")  # a new line in the editor, not a submit
    page.keyboard.type("- bread")
    page.keyboard.press("Control+Enter")
    all_done(page)

    assert stored(accepted).result == {"response": basil} and stored(accepted).changed_from_suggestion is False
    assert stored(edited).result == {"response": polite} and stored(edited).changed_from_suggestion is True
    third = stored(drafted)
    assert third.result == {"response": "- eggs\n- milk\n- bread"} and third.changed_from_suggestion is None
    assert all(stored(t).lead_time_s > 0 for t in (accepted, edited, drafted))


# ── The shell's error paths and its clock ────────────────────────────────────────────────────


def test_a_rejected_submit_shows_the_message_and_keeps_the_work(open_workspace):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    (task,) = make_tasks(project, {"text": "Fine."})
    page = open_workspace(annotator_of(project), project)
    on_task(page, task)
    page.keyboard.press("2")
    # The project's labels change under the annotator's feet: "negative" is no longer valid.
    project.label_config = {"labels": [{"value": "positive"}, {"value": "neutral"}]}
    project.save()

    page.keyboard.press("Enter")

    expect(page.locator("#ws-message")).to_contain_text("unknown label 'negative'")
    expect(page.locator('.choice[data-value="negative"]')).to_have_attribute("aria-pressed", "true")
    assert not Annotation.objects.exists()


def test_a_lost_lock_says_so_and_moves_on(open_workspace):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    lost, following = make_tasks(project, {"text": "One."}, {"text": "Two."})
    page = open_workspace(annotator_of(project), project)
    on_task(page, lost)
    page.keyboard.press("1")
    Task.objects.filter(pk=lost.pk).update(locked_by=UserFactory())  # expired and handed on

    page.keyboard.press("Enter")

    on_task(page, following)
    expect(page.locator("#ws-message")).to_contain_text("no longer yours")
    assert not Annotation.objects.filter(task=lost).exists()


def test_active_time_pauses_while_idle_or_hidden(open_workspace, monkeypatch):
    monkeypatch.setattr("annotator.views.IDLE_AFTER_MS", 1000)
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    (task,) = make_tasks(project, {"text": "Idle."})
    page = open_workspace(annotator_of(project), project)
    on_task(page, task)
    seconds = lambda: float(page.locator("#ws-timer").get_attribute("data-seconds"))  # noqa: E731

    page.mouse.move(300, 300)  # the last sign of life: ~0.3 s after the task appeared
    page.wait_for_timeout(2500)  # no key, no mouse: counting stops one second later
    expect(page.locator("#ws-timer")).to_have_class("ws-timer is-paused")
    idle = seconds()
    assert 1.0 <= idle <= 2.3
    page.mouse.move(10, 10)
    page.mouse.move(200, 200)
    page.evaluate(
        """() => {
        Object.defineProperty(document, "hidden", {value: true, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    )
    page.wait_for_timeout(1500)
    assert seconds() - idle < 0.5  # hidden: nothing more counted

    page.keyboard.press("1")
    page.evaluate(
        """() => {
        Object.defineProperty(document, "hidden", {value: false, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    )
    page.keyboard.press("Enter")
    all_done(page)
    assert 1.0 <= stored(task).lead_time_s <= 3.0
