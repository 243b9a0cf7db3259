"""Every way a result can be wrong gets a ValidationError on "result" naming the path inside it.

No database: projects and tasks are unsaved model instances.
"""
import pytest
from django.core.exceptions import ValidationError

from platform_core.models import Project, Task
from platform_core.results import (
    RESULT_MAX_BYTES,
    gold_matches,
    results_equal,
    validate_result,
)
from tests.factories import LABEL_CONFIGS

TEXT = "Ada Lovelace met Charles Babbage in London."  # 43 characters


def make(task_type, config=None, data=None, duration_s=None):
    project = Project(task_type=task_type, label_config=config or LABEL_CONFIGS[task_type])
    task = Task(project=project, data=data or {"text": TEXT}, duration_s=duration_s)
    return project, task


def valid(task_type, result, **kwargs):
    project, task = make(task_type, **kwargs)
    return validate_result(project=project, task=task, result=result)


def errors(task_type, result, **kwargs) -> list[str]:
    project, task = make(task_type, **kwargs)
    with pytest.raises(ValidationError) as caught:
        validate_result(project=project, task=task, result=result)
    assert set(caught.value.message_dict) == {"result"}
    return caught.value.message_dict["result"]


def the_error(task_type, result, **kwargs) -> str:
    messages = errors(task_type, result, **kwargs)
    assert len(messages) == 1, messages
    return messages[0]


# --- every type ---------------------------------------------------------------------------------


@pytest.mark.parametrize("result", [[], "positive", None, 3])
def test_a_result_must_be_an_object(result):
    assert the_error("text_classification", result) == "Must be a JSON object."


def test_a_result_over_the_size_cap_is_refused_before_anything_else():
    huge = {"response": "x" * (RESULT_MAX_BYTES + 1)}

    assert "the limit is" in the_error("sft", huge)


def test_unknown_top_level_keys_are_named():
    message = the_error("text_classification", {"labels": ["positive"], "confidence": 1})

    assert message.startswith("confidence: not a field of a text_classification result")


def test_a_missing_key_is_named():
    assert the_error("text_spans", {}) == "spans: required."


# --- classification -----------------------------------------------------------------------------

CLASSIFICATION = ["text_classification", "image_classification", "audio_classification"]


@pytest.mark.parametrize("task_type", CLASSIFICATION)
def test_an_unknown_label_is_named_with_its_index(task_type):
    assert the_error(task_type, {"labels": ["x"]}) == "labels[0]: unknown label 'x'."


@pytest.mark.parametrize("labels", [[], "positive", None])
def test_labels_must_be_a_non_empty_list(labels):
    assert the_error("text_classification", {"labels": labels}).startswith("labels: must be")


def test_two_labels_are_refused_unless_the_project_is_multi_label():
    two = {"labels": ["positive", "negative"]}

    assert "multi_label is off" in the_error("text_classification", two)
    config = {**LABEL_CONFIGS["text_classification"], "multi_label": True}
    assert valid("text_classification", two, config=config) == two


def test_a_repeated_label_and_a_non_text_label_are_each_named():
    config = {**LABEL_CONFIGS["text_classification"], "multi_label": True}

    messages = errors("text_classification", {"labels": ["positive", 7, "positive"]}, config=config)

    assert messages == ["labels[1]: must be a label name.", "labels[2]: 'positive' is repeated."]


# --- spans --------------------------------------------------------------------------------------


def test_valid_spans_come_back_sorted():
    spans = [{"start": 17, "end": 32, "label": "PER"}, {"start": 0, "end": 12, "label": "PER"}]

    expected = sorted(spans, key=lambda s: s["start"])

    assert valid("text_spans", {"spans": spans}) == {"spans": expected}


def test_no_spans_is_a_valid_answer():
    assert valid("text_spans", {"spans": []}) == {"spans": []}


@pytest.mark.parametrize("start, end", [(1.0, 3), (0, "3"), (True, 3)])
def test_span_offsets_must_be_integers(start, end):
    message = the_error("text_spans", {"spans": [{"start": start, "end": end, "label": "PER"}]})

    assert message == "spans[0]: start and end must be whole character offsets."


@pytest.mark.parametrize("start, end", [(-1, 3), (5, 5), (6, 2), (40, 44)])
def test_a_span_must_lie_inside_the_text(start, end):
    ok = {"start": 0, "end": 3, "label": "PER"}
    bad = {"start": start, "end": end, "label": "PER"}

    assert the_error("text_spans", {"spans": [ok, bad]}) == (
        "spans[1]: needs 0 <= start < end <= 43 (the text's length)."
    )


def test_span_offsets_count_code_points_not_utf16_units():
    text = "🙂 Ada"  # the emoji is one code point, two UTF-16 units

    ada = {"spans": [{"start": 2, "end": 5, "label": "PER"}]}
    assert valid("text_spans", ada, data={"text": text})
    assert "<= 5" in the_error(
        "text_spans", {"spans": [{"start": 3, "end": 6, "label": "PER"}]}, data={"text": text}
    )


def test_overlapping_spans_are_refused_unless_the_project_allows_overlap():
    spans = [{"start": 0, "end": 12, "label": "PER"}, {"start": 4, "end": 12, "label": "ORG"}]

    assert "overlap (allow_overlap is off)" in the_error("text_spans", {"spans": spans})
    config = {**LABEL_CONFIGS["text_spans"], "allow_overlap": True}
    assert len(valid("text_spans", {"spans": spans}, config=config)["spans"]) == 2


def test_an_identical_span_twice_is_refused_even_where_overlap_is_allowed():
    span = {"start": 0, "end": 3, "label": "PER"}
    config = {**LABEL_CONFIGS["text_spans"], "allow_overlap": True}

    assert "is repeated" in the_error("text_spans", {"spans": [span, dict(span)]}, config=config)


def test_span_items_name_their_bad_fields():
    spans = [
        "PER",
        {"start": 0, "end": 3},
        {"start": 0, "end": 3, "label": "PER", "text": "Ada"},
        {"start": 0, "end": 3, "label": "LOC"},
    ]

    assert errors("text_spans", {"spans": spans}) == [
        "spans[0]: must be an object.",
        "spans[1].label: required.",
        "spans[2].text: unknown field.",
        "spans[3].label: unknown label 'LOC'.",
    ]


def test_spans_must_be_a_list():
    assert the_error("text_spans", {"spans": {"start": 0}}) == "spans: must be a list."


# --- boxes --------------------------------------------------------------------------------------


def test_a_valid_box_comes_back_as_floats():
    box = {"x": 0, "y": 0.5, "w": 1, "h": 0.5, "label": "car"}

    assert valid("image_boxes", {"boxes": [box]}) == {
        "boxes": [{"x": 0.0, "y": 0.5, "w": 1.0, "h": 0.5, "label": "car"}]
    }


@pytest.mark.parametrize("field, value", [("x", "0.1"), ("w", None), ("h", True), ("y", [0])])
def test_box_coordinates_must_be_numbers(field, value):
    box = {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "label": "car", field: value}

    assert the_error("image_boxes", {"boxes": [box]}) == (
        f"boxes[0].{field}: must be a number (a fraction of the image)."
    )


@pytest.mark.parametrize(
    "x, y, w, h, why",
    [
        (-0.1, 0.1, 0.2, 0.2, "needs x >= 0"),
        (0.1, -0.01, 0.2, 0.2, "needs x >= 0"),
        (0.1, 0.1, 0.0, 0.2, "needs x >= 0"),
        (0.1, 0.1, 0.2, -0.2, "needs x >= 0"),
        (0.9, 0.1, 0.2, 0.2, "reaches outside the image"),
        (0.1, 0.5, 0.2, 0.6, "reaches outside the image"),
    ],
)
def test_a_box_must_lie_inside_the_image(x, y, w, h, why):
    ok = {"x": 0.0, "y": 0.0, "w": 0.5, "h": 0.5, "label": "car"}
    box = {"x": x, "y": y, "w": w, "h": h, "label": "car"}

    message = the_error("image_boxes", {"boxes": [ok, box]})

    assert message.startswith("boxes[1]: ") and why in message


def test_a_float_rounding_overshoot_is_accepted_and_pulled_onto_the_edge():
    box = {"x": 0.1, "y": 0.3, "w": 0.9 + 1e-9, "h": 0.7, "label": "car"}

    normalized = valid("image_boxes", {"boxes": [box]})["boxes"][0]

    assert normalized["x"] + normalized["w"] <= 1.0


def test_a_box_needs_a_known_label():
    box = {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "label": "truck"}

    assert the_error("image_boxes", {"boxes": [box]}) == "boxes[0].label: unknown label 'truck'."


# --- audio segments -----------------------------------------------------------------------------


def seg(start, end, text="hello", **extra):
    return {"start": start, "end": end, "text": text, **extra}


def test_segments_come_back_sorted_by_start():
    result = {"segments": [seg(2, 3, label="speaker B"), seg(0, 1.5, label="speaker A")]}

    normalized = valid("audio_transcription", result, duration_s=5.0)

    assert [s["start"] for s in normalized["segments"]] == [0.0, 2.0]


@pytest.mark.parametrize("start, end", [(-0.5, 1), (2, 2), (3, 1), (4.0, 5.5)])
def test_a_segment_must_lie_inside_the_audio(start, end):
    message = the_error("audio_transcription", {"segments": [seg(start, end)]}, duration_s=5.0)

    assert message == "segments[0]: needs 0 <= start < end <= 5 (the audio's duration)."


def test_without_a_known_duration_only_the_order_of_start_and_end_is_checked():
    assert valid("audio_transcription", {"segments": [seg(100, 200)]}, duration_s=None)


def test_a_segment_ending_a_few_milliseconds_past_the_audio_is_pulled_back():
    normalized = valid("audio_transcription", {"segments": [seg(4, 5.005)]}, duration_s=5.0)

    assert normalized["segments"][0]["end"] == 5.0


@pytest.mark.parametrize("start", ["0", None, float("inf")])
def test_segment_times_must_be_numbers(start):
    message = the_error("audio_transcription", {"segments": [seg(start, 1)]}, duration_s=5.0)

    assert message == "segments[0]: start and end must be numbers of seconds."


def test_segment_text_must_be_text_and_its_label_known():
    result = {"segments": [seg(0, 1, text=None), seg(1, 2, label="speaker C")]}

    assert errors("audio_transcription", result, duration_s=5.0) == [
        "segments[0].text: must be text.",
        "segments[1].label: unknown label 'speaker C'.",
    ]


def test_one_speaker_cannot_overlap_themself_but_two_speakers_may_talk_at_once():
    same = {"segments": [seg(0, 2, label="speaker A"), seg(1, 3, label="speaker A")]}
    cross_talk = {"segments": [seg(0, 2, label="speaker A"), seg(1, 3, label="speaker B")]}
    unlabelled = {"segments": [seg(0, 2), seg(1, 3)]}

    assert "speaker 'speaker A' overlap at 1 s" in the_error("audio_transcription", same)
    assert valid("audio_transcription", cross_talk)
    assert "unlabelled segments overlap" in the_error("audio_transcription", unlabelled)


# --- preference ---------------------------------------------------------------------------------


@pytest.mark.parametrize("choice", ["A", "B", "tie"])
def test_a_preference_is_a_or_b_or_tie(choice):
    assert valid("preference", {"choice": choice}) == {"choice": choice}


@pytest.mark.parametrize("choice", ["C", "a", "", None, 1])
def test_any_other_choice_is_refused(choice):
    assert the_error("preference", {"choice": choice}) == "choice: must be one of A, B, tie."


def test_tie_is_refused_where_the_project_turns_it_off():
    assert the_error("preference", {"choice": "tie"}, config={"allow_tie": False}) == (
        "choice: must be one of A, B."
    )


def test_a_reason_is_optional_text_unless_the_project_requires_one():
    with_reason = {"choice": "A", "reason": "more precise"}
    assert valid("preference", with_reason)["reason"] == "more precise"
    assert the_error("preference", {"choice": "A", "reason": 5}) == "reason: must be text."
    required = {"require_reason": True}
    assert the_error("preference", {"choice": "A"}, config=required) == (
        "reason: required in this project."
    )
    assert the_error("preference", {"choice": "A", "reason": "  "}, config=required)


# --- SFT ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("response", ["", "   \n", None, ["hi"]])
def test_an_sft_response_must_be_non_empty_text(response):
    assert the_error("sft", {"response": response}) == "response: must be non-empty text."


def test_an_sft_response_shorter_than_the_projects_minimum_is_refused():
    config = {"min_response_length": 10}

    assert the_error("sft", {"response": "  too short "}, config=config) == (
        "response: at least 10 characters (has 9)."
    )
    assert valid("sft", {"response": "long enough now"}, config=config)


# --- comparing results --------------------------------------------------------------------------


def test_results_compare_by_meaning_not_by_order_or_float_noise():
    assert results_equal("text_classification", {"labels": ["a", "b"]}, {"labels": ["b", "a"]})
    box = {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4, "label": "car"}
    assert results_equal("image_boxes", {"boxes": [box]}, {"boxes": [{**box, "x": 0.1 + 1e-9}]})
    assert results_equal("preference", {"choice": "A", "reason": "x"}, {"choice": "A"})
    assert not results_equal("text_classification", {"labels": ["a"]}, {"labels": ["b"]})
    assert not results_equal("sft", {"response": "hi"}, {"unexpected": "shape"})


def test_gold_matching_per_type():
    box = {"x": 0.1, "y": 0.1, "w": 0.4, "h": 0.4, "label": "car"}
    nudged = {**box, "x": 0.15}  # IoU about 0.78
    far = {**box, "x": 0.5}
    assert gold_matches("image_boxes", {"boxes": [nudged]}, {"boxes": [box]}) is True
    assert gold_matches("image_boxes", {"boxes": [far]}, {"boxes": [box]}) is False
    assert gold_matches("image_boxes", {"boxes": [box, box]}, {"boxes": [box]}) is False
    spans = {"spans": [{"start": 0, "end": 3, "label": "PER"}]}
    assert gold_matches("text_spans", spans, spans) is True
    said = {"segments": [seg(0, 1.0, text="Hello, world!", label="A")]}
    heard = {"segments": [seg(0.1, 1.0, text="hello world", label="A")]}
    assert gold_matches("audio_transcription", said, heard) is True
    assert gold_matches("preference", {"choice": "B"}, {"choice": "A"}) is False
    assert gold_matches("sft", {"response": "anything"}, {"response": "else"}) is None
