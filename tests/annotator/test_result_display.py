"""Results and edit figures in words, per task type, and what happens to values of no known shape."""
import pytest

from annotator.result_display import edit_text, percent, result_view


@pytest.mark.parametrize(
    "task_type", ["text_classification", "image_classification", "audio_classification"]
)
def test_classification_results_read_as_their_labels(task_type):
    assert result_view(task_type, {"labels": ["cat", "dog"]}) == {
        "kind": "labels", "labels": ["cat", "dog"],
    }


def test_spans_quote_the_text_they_cover_counting_code_points():
    text = "Zoë met 東京 today"
    spans = [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 10, "label": "LOC"}]

    view = result_view("text_spans", {"spans": spans}, text=text)

    assert [(row["label"], row["text"]) for row in view["spans"]] == [("PER", "Zoë"), ("LOC", "東京")]


def test_a_span_outside_the_text_keeps_its_offsets_without_a_quote():
    view = result_view("text_spans", {"spans": [{"start": 2, "end": 40, "label": "PER"}]}, text="short")

    assert view["spans"] == [{"label": "PER", "text": None, "start": 2, "end": 40}]


def test_boxes_read_as_percentages_of_the_image():
    box = {"x": 0.1, "y": 0.125, "w": 0.5, "h": 1, "label": "car"}

    assert result_view("image_boxes", {"boxes": [box]})["boxes"] == [
        {"label": "car", "x": "10%", "y": "12.5%", "w": "50%", "h": "100%"}
    ]


def test_transcript_segments_read_as_times_speaker_and_text():
    segments = [{"start": 0, "end": 1.3, "text": "hello", "label": "speaker A"},
                {"start": 1.5, "end": 2.25, "text": "hi"}]

    assert result_view("audio_transcription", {"segments": segments})["segments"] == [
        {"start": "0.00", "end": "1.30", "speaker": "speaker A", "text": "hello"},
        {"start": "1.50", "end": "2.25", "speaker": "", "text": "hi"},
    ]


def test_preference_and_sft_results_read_as_choice_and_response():
    assert result_view("preference", {"choice": "tie"}) == {
        "kind": "choice", "choice": "Tie", "reason": "",
    }
    assert result_view("preference", {"choice": "B", "reason": "shorter"})["choice"] == "B is better"
    assert result_view("sft", {"response": "Sure."}) == {"kind": "response", "response": "Sure."}


@pytest.mark.parametrize(
    ("task_type", "result"),
    [
        ("text_classification", {"labels": "positive"}),
        ("text_spans", {"spans": [{"start": "0", "end": 2, "label": "PER"}]}),
        ("image_boxes", {"boxes": [{"x": True, "y": 0, "w": 1, "h": 1, "label": "car"}]}),
        ("audio_transcription", {"segments": [{"start": 0, "end": 1}]}),
        ("preference", {"choice": "C"}),
        ("sft", {"response": 3}),
        ("text_classification", ["positive"]),
        ("no_such_type", {"labels": ["x"]}),
    ],
)
def test_a_value_of_no_known_shape_shows_as_its_json(task_type, result):
    view = result_view(task_type, result)

    assert view["kind"] == "raw" and view["json"]


def test_no_result_is_none():
    assert result_view("sft", None) == {"kind": "none"}


@pytest.mark.parametrize(
    ("edit", "text"),
    [
        ({"metric": "labels_changed", "value": 0.0}, "labels unchanged"),
        ({"metric": "labels_changed", "value": 1.0}, "1 label added or removed"),
        ({"metric": "labels_changed", "value": 2.0}, "2 labels added or removed"),
        ({"metric": "span_f1", "value": 0.5}, "span F1 0.50 against what was reviewed (1 = unchanged)"),
        ({"metric": "box_iou", "value": 1}, "box IoU 1.00 against what was reviewed (1 = unchanged)"),
        ({"metric": "cer", "value": 0.125}, "character error rate 12.5% against what was reviewed (0 = unchanged)"),
        ({"metric": "choice_flipped", "value": 1.0}, "choice flipped"),
        ({"metric": "choice_flipped", "value": 0.0}, "choice kept"),
        ({"metric": "new_metric", "value": 0.25}, "new_metric: 0.25"),
        (None, None),
        ({"metric": "cer"}, None),
    ],
)
def test_edit_figures_read_as_words(edit, text):
    assert edit_text(edit) == text


def test_percent_drops_trailing_zeros():
    assert [percent(v) for v in (0, 0.3333, 0.05)] == ["0%", "33.3%", "5%"]
