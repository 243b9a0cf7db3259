"""The demo generators: deterministic, answers that match the data, and learnable."""
import io
import json
import re
import zipfile

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from platform_core.demo import (
    GENERATORS,
    MEDIA_TYPES,
    make_audio_classification,
    make_audio_transcription,
    make_image_boxes,
    make_image_classification,
    make_preference,
    make_sft,
    make_text_classification,
    make_text_spans,
    write_demo_files,
)
from platform_core.demo.chat import TOPICS
from platform_core.demo.text import FIRST_NAMES, LAST_NAMES, LOCATIONS, ORGANIZATIONS

TEXT_KEYS = {
    "text_classification": {"text"},
    "text_spans": {"text"},
    "preference": {"prompt", "response_a", "response_b"},
    "sft": {"prompt"},
}


def _snapshot(items):
    return [(item.data, item.result, item.file_name, item.content, item.meta) for item in items]


@pytest.mark.parametrize("task_type", list(GENERATORS))
def test_each_generator_repeats_itself_for_a_seed_and_varies_across_seeds(task_type):
    make = GENERATORS[task_type]
    first = make(5, np.random.default_rng(7))
    assert len(first) == 5
    assert _snapshot(first) == _snapshot(make(5, np.random.default_rng(7)))
    assert _snapshot(first) != _snapshot(make(5, np.random.default_rng(8)))


def test_written_files_are_byte_identical_for_a_seed_and_hold_no_answers(tmp_path):
    files = write_demo_files(tmp_path / "a", n=4, seed=3)
    again = write_demo_files(tmp_path / "b", n=4, seed=3)
    assert set(files) == set(GENERATORS)
    for task_type, demo_file in files.items():
        assert demo_file.path.read_bytes() == again[task_type].path.read_bytes()
        assert demo_file.count == len(demo_file.truth) == 4
        if task_type in MEDIA_TYPES:
            continue
        rows = [json.loads(line) for line in demo_file.path.read_text().splitlines()]
        assert list(demo_file.truth) == [0, 1, 2, 3]
        for row in rows:
            assert TEXT_KEYS[task_type] <= set(row) <= TEXT_KEYS[task_type] | {"draft"}


@pytest.mark.parametrize("task_type", MEDIA_TYPES)
def test_media_archives_name_every_file_in_a_root_manifest(tmp_path, task_type):
    demo_file = write_demo_files(tmp_path, n=3, seed=1, task_types=(task_type,))[task_type]
    with zipfile.ZipFile(demo_file.path) as archive:
        manifest = [json.loads(line) for line in archive.read("manifest.jsonl").splitlines()]
        names = set(archive.namelist())
        assert [row["file"] for row in manifest] == sorted(demo_file.truth)
        assert names == set(demo_file.truth) | {"manifest.jsonl"}
        for row in manifest:
            assert set(row) == {"file", "meta"}
            assert not {"labels", "boxes", "segments"} & set(row["meta"])


def test_sentiment_labels_cover_every_class_and_texts_vary():
    items = make_text_classification(90, 0)
    labels = [item.result["labels"] for item in items]
    assert all(len(label) == 1 for label in labels)
    assert {label[0] for label in labels} == {"positive", "negative", "neutral"}
    assert len({item.data["text"] for item in items}) == 90


def test_span_offsets_point_at_the_entity_text():
    names = {"LOC": set(LOCATIONS), "ORG": set(ORGANIZATIONS)}
    seen = set()
    for item in make_text_spans(120, 1):
        text, last_end = item.data["text"], -1
        for span in item.result["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(text)
            assert span["start"] >= last_end, "spans are ordered and do not overlap"
            last_end = span["end"]
            mention = text[span["start"] : span["end"]]
            seen.add(span["label"])
            if span["label"] == "PER":
                first, *last = mention.split(" ")
                assert first in FIRST_NAMES and all(part in LAST_NAMES for part in last)
            else:
                assert mention in names[span["label"]]
            # The mention is a whole word sequence, not part of a longer word.
            assert not text[span["end"] : span["end"] + 1].isalnum()
    assert seen == {"PER", "ORG", "LOC"}


def test_preferred_answer_gives_the_asked_topics_facts_and_the_other_does_not():
    choices = []
    for item in make_preference(150, 2):
        facts = next(facts for question, facts in TOPICS if question in item.data["prompt"])
        counts = {
            side: sum(fact in item.data[f"response_{side.lower()}"] for fact in facts)
            for side in "AB"
        }
        choice = item.result["choice"]
        choices.append(choice)
        assert item.result["reason"]
        if choice == "tie":
            assert min(counts.values()) >= 2
        else:
            other = "B" if choice == "A" else "A"
            assert counts[choice] >= 2 > counts[other]
    assert 50 < choices.count("A") < 100 and 0 < choices.count("tie") < 30


def test_sft_references_are_right_and_drafts_are_optional():
    items = make_sft(120, 4)
    with_draft = [item for item in items if "draft" in item.data]
    assert 0 < len(with_draft) < len(items)
    sums = 0
    for item in items:
        response = item.result["response"]
        assert len(response) >= 10
        match = re.match(r"(\d+) × (\d+) = (\d+)", response)
        if match:
            a, b, total = map(int, match.groups())
            assert a * b == total
            sums += 1
        if "draft" in item.data:
            assert item.data["draft"] != response
    assert sums > 10


def test_digit_pictures_are_64px_pngs_with_dark_ink_on_paper():
    for item in make_image_classification(20, 5):
        image = Image.open(io.BytesIO(item.content))
        assert image.format == "PNG" and image.size == (64, 64)
        pixels = np.asarray(image, dtype=float)
        assert item.result["labels"][0] in set("0123456789")
        assert np.median(pixels) - pixels.min() > 80  # ink well below the paper tone


def _saturated(pixels: np.ndarray) -> np.ndarray:
    """Shape pixels are saturated colours; the background is grey with mild noise."""
    return (pixels.max(axis=2) - pixels.min(axis=2)) > 60


def test_boxes_are_fractions_that_enclose_exactly_their_shapes_pixels():
    for item in make_image_boxes(40, 6):
        image = Image.open(io.BytesIO(item.content))
        assert image.format == "PNG" and image.size == (160, 120)
        shape = _saturated(np.asarray(image.convert("RGB"), dtype=int))
        covered = np.zeros_like(shape)
        assert 1 <= len(item.result["boxes"]) <= 4
        for box in item.result["boxes"]:
            assert box["label"] in {"circle", "square", "triangle"}
            assert 0 <= box["x"] < box["x"] + box["w"] <= 1
            assert 0 <= box["y"] < box["y"] + box["h"] <= 1
            left, top = round(box["x"] * 160), round(box["y"] * 120)
            right, bottom = left + round(box["w"] * 160), top + round(box["h"] * 120)
            inside = shape[top:bottom, left:right]
            rows, cols = np.nonzero(inside)
            # The drawn pixels touch all four sides of their box.
            assert (rows.min(), cols.min()) == (0, 0)
            assert (rows.max(), cols.max()) == (bottom - top - 1, right - left - 1)
            assert inside.mean() > 0.3
            covered[top:bottom, left:right] = True
        assert not (shape & ~covered).any(), "no shape pixel lies outside every box"


def _read_wav(content: bytes) -> tuple[np.ndarray, int]:
    signal, rate = sf.read(io.BytesIO(content), dtype="float64")
    assert signal.ndim == 1
    return signal, rate


def test_sound_clips_are_16khz_mono_wavs_of_one_to_three_seconds():
    labels = set()
    for item in make_audio_classification(24, 7):
        signal, rate = _read_wav(item.content)
        info = sf.info(io.BytesIO(item.content))
        assert (info.format, info.subtype, info.channels, rate) == ("WAV", "PCM_16", 1, 16000)
        assert 1.0 <= len(signal) / rate <= 3.0
        assert np.sqrt(np.mean(signal**2)) > 0.02
        labels.update(item.result["labels"])
    assert labels == {"tone", "chord", "noise", "chirp"}


def _dominant_hz(signal: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / rate)[spectrum.argmax()])


def test_dialogue_segments_match_the_energy_and_the_speakers_pitch():
    for item in make_audio_transcription(12, 8):
        signal, rate = _read_wav(item.content)
        assert 4.0 <= len(signal) / rate <= 8.0
        segments = item.result["segments"]
        assert len(segments) >= 2
        voiced = np.zeros(len(signal), dtype=bool)
        previous_end = 0.0
        for segment in segments:
            assert previous_end < segment["start"] < segment["end"] <= len(signal) / rate
            previous_end = segment["end"]
            assert segment["label"] in {"speaker A", "speaker B"} and segment["text"].strip()
            start, end = round(segment["start"] * rate), round(segment["end"] * rate)
            voiced[start:end] = True
            # The 50 ms after the start and before the end are already loud: tight boundaries.
            edge = int(0.05 * rate)
            for part in (signal[start : start + edge], signal[end - edge : end]):
                assert np.sqrt(np.mean(part**2)) > 0.01
            pitch = _dominant_hz(signal[start:end], rate)
            assert pitch < 160 if segment["label"] == "speaker A" else pitch > 170
        loud = np.sqrt(np.mean(signal[voiced] ** 2))
        quiet = np.sqrt(np.mean(signal[~voiced] ** 2))
        assert loud > 10 * quiet


def _held_out_accuracy(features, labels, estimator, train=150) -> float:
    estimator.fit(features[:train], labels[:train])
    return estimator.score(features[train:], labels[train:])


def test_sentiment_is_learnable_from_200_labels():
    items = make_text_classification(200, 11)
    texts = [item.data["text"] for item in items]
    labels = [item.result["labels"][0] for item in items]
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000))
    assert _held_out_accuracy(texts, labels, model) >= 0.7  # chance is 1/3


def test_digits_are_learnable_from_200_labels():
    items = make_image_classification(200, 12)
    pixels = np.array(
        [
            np.asarray(Image.open(io.BytesIO(item.content)).resize((16, 16)), dtype=float).ravel()
            for item in items
        ]
    )
    pixels = (pixels - pixels.mean(axis=1, keepdims=True)) / 255
    labels = np.array([item.result["labels"][0] for item in items])
    accuracy = _held_out_accuracy(pixels, labels, LogisticRegression(max_iter=2000))
    assert accuracy >= 0.45  # chance is 1/10


def _sound_features(content: bytes) -> np.ndarray:
    signal, _ = _read_wav(content)
    frames = signal[: len(signal) // 512 * 512].reshape(-1, 512) * np.hanning(512)
    spectrum = np.abs(np.fft.rfft(frames, axis=1))
    bands = np.array([band.mean() for band in np.array_split(spectrum, 32, axis=1)])
    peaks = spectrum.argmax(axis=1)
    flatness = np.exp(np.log(spectrum + 1e-9).mean(axis=1)) / (spectrum.mean(axis=1) + 1e-9)
    movement = [flatness.mean(), peaks.std(), np.abs(np.diff(peaks)).mean()]
    return np.concatenate([np.log(bands / bands.sum() + 1e-9), movement])


def test_sound_classes_are_learnable_from_200_labels():
    items = make_audio_classification(200, 13)
    features = np.array([_sound_features(item.content) for item in items])
    labels = np.array([item.result["labels"][0] for item in items])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    assert _held_out_accuracy(features, labels, model) >= 0.6  # chance is 1/4
