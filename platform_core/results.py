"""Results: one shape per task type (DESIGN.md), checked against the project's `label_config`.

`validate_result` runs on every write of a result (submit, edit, and later review and gold
answers); `results_equal` and `gold_matches` compare results by meaning, not by JSON text.

Errors are one shape everywhere: ``ValidationError({"result": ["spans[1].end: …", …]})``: the
key is the request field, each message starts with the path inside the result.

Conventions a client must follow:
- span offsets count Unicode code points (Python's ``str`` indexing), not UTF-16 units;
- boxes are fractions of the image's width and height;
- segments are seconds; two segments may overlap only when their speaker labels differ
  (cross-talk), never within one speaker or between two unlabelled segments.
"""
import json
import math
import unicodedata

from django.core.exceptions import ValidationError

from platform_core.label_config import label_values

# 1 MB of JSON is ~15,000 boxes or a 1,000,000-character response: far beyond a real item,
# small enough that one request cannot make the database row or the history balloon.
RESULT_MAX_BYTES = 1024 * 1024
MAX_ERRORS = 20
# Browsers convert pixels to fractions in floating point: 0.1 + 0.9 may come out 1.0000000002.
BOX_TOLERANCE = 1e-6
# A waveform drawn at 100 px/s puts a region's edge within 10 ms of the end of the audio.
SEGMENT_TOLERANCE_S = 0.01
GOLD_MIN_IOU = 0.5
PREFERENCE_CHOICES = ("A", "B", "tie")
CLASSIFICATION_TYPES = ("text_classification", "image_classification", "audio_classification")
RESULT_KEYS = {
    **{task_type: ("labels",) for task_type in CLASSIFICATION_TYPES},
    "text_spans": ("spans",),
    "image_boxes": ("boxes",),
    "audio_transcription": ("segments",),
    "preference": ("choice", "reason"),
    "sft": ("response",),
}
REQUIRED_KEYS = {"preference": ("choice",)}
ITEM_KEYS = {
    "spans": ({"start", "end", "label"}, set()),
    "boxes": ({"x", "y", "w", "h", "label"}, set()),
    "segments": ({"start", "end", "text"}, {"label"}),
}


def validate_result(*, project, task, result) -> dict:
    """The normalized result, or ValidationError({"result": [messages]}) naming each path."""
    errors: list[str] = []
    if not isinstance(result, dict):
        raise ValidationError({"result": ["Must be a JSON object."]})
    size = len(json.dumps(result, ensure_ascii=False).encode())
    if size > RESULT_MAX_BYTES:
        limit = f"{size} bytes of JSON; the limit is {RESULT_MAX_BYTES}."
        raise ValidationError({"result": [limit]})
    task_type, config = project.task_type, project.label_config or {}
    allowed = RESULT_KEYS[task_type]
    for key in result:
        if key not in allowed:
            errors.append(f"{key}: not a field of a {task_type} result (use {', '.join(allowed)}).")
    for key in REQUIRED_KEYS.get(task_type, allowed):
        if key not in result:
            errors.append(f"{key}: required.")
    if not errors:
        normalized = _CHECKS[task_type](result, config, task, errors)
    if errors:
        raise ValidationError({"result": errors[:MAX_ERRORS]})
    return normalized


def _labels(result, config, task, errors) -> dict:
    labels = result["labels"]
    if not isinstance(labels, list) or not labels:
        errors.append("labels: must be a non-empty list of labels.")
        return {}
    if len(labels) > 1 and not config.get("multi_label", False):
        errors.append("labels: this project takes exactly one label (multi_label is off).")
    known, seen = set(label_values(config)), set()
    for index, label in enumerate(labels):
        if not _check_label(f"labels[{index}]", label, known, errors):
            continue
        if label in seen:
            errors.append(f"labels[{index}]: {label!r} is repeated.")
        seen.add(label)
    return {"labels": list(labels)}


def _spans(result, config, task, errors) -> dict:
    text = task.data.get("text") if isinstance(task.data, dict) else None
    length = len(text) if isinstance(text, str) else 0
    known, spans = set(label_values(config)), []
    for index, span in _items(result, "spans", errors):
        where = f"spans[{index}]"
        start, end = span["start"], span["end"]
        if not _is_int(start) or not _is_int(end):
            errors.append(f"{where}: start and end must be whole character offsets.")
        elif not 0 <= start < end <= length:
            errors.append(f"{where}: needs 0 <= start < end <= {length} (the text's length).")
        elif _check_label(f"{where}.label", span["label"], known, errors):
            spans.append({"start": start, "end": end, "label": span["label"]})
    spans.sort(key=lambda s: (s["start"], s["end"], s["label"]))
    for previous, span in zip(spans, spans[1:]):
        if previous == span:
            errors.append(f"spans: {_span_text(span)} is repeated.")
        elif span["start"] < previous["end"] and not config.get("allow_overlap", False):
            errors.append(
                f"spans: {_span_text(previous)} and {_span_text(span)} overlap "
                "(allow_overlap is off)."
            )
    return {"spans": spans}


def _boxes(result, config, task, errors) -> dict:
    known, boxes = set(label_values(config)), []
    for index, box in _items(result, "boxes", errors):
        where = f"boxes[{index}]"
        bad = [key for key in ("x", "y", "w", "h") if not _is_number(box[key])]
        if bad:
            errors.append(f"{where}.{bad[0]}: must be a number (a fraction of the image).")
            continue
        x, y, w, h = (float(box[key]) for key in ("x", "y", "w", "h"))
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            errors.append(f"{where}: needs x >= 0, y >= 0, w > 0 and h > 0.")
        elif x + w > 1 + BOX_TOLERANCE or y + h > 1 + BOX_TOLERANCE:
            errors.append(f"{where}: reaches outside the image (x + w and y + h must be <= 1).")
        elif _check_label(f"{where}.label", box["label"], known, errors):
            # Pull a rounding overshoot back onto the edge.
            w, h = min(w, 1.0 - x), min(h, 1.0 - y)
            boxes.append({"x": x, "y": y, "w": w, "h": h, "label": box["label"]})
    return {"boxes": boxes}


def _segments(result, config, task, errors) -> dict:
    duration = task.duration_s
    known, segments = set(label_values(config)), []
    for index, segment in _items(result, "segments", errors):
        where = f"segments[{index}]"
        start, end = segment["start"], segment["end"]
        if not _is_number(start) or not _is_number(end):
            errors.append(f"{where}: start and end must be numbers of seconds.")
            continue
        start, end = float(start), float(end)
        if duration is not None and end <= duration + SEGMENT_TOLERANCE_S:
            end = min(end, duration)  # a rounding overshoot comes back onto the end
        limit = f" <= {duration:g} (the audio's duration)" if duration is not None else ""
        if not 0 <= start < end or (duration is not None and end > duration):
            errors.append(f"{where}: needs 0 <= start < end{limit}.")
            continue
        if not isinstance(segment["text"], str):
            errors.append(f"{where}.text: must be text.")
            continue
        item = {"start": start, "end": end, "text": segment["text"]}
        if "label" in segment:
            if not _check_label(f"{where}.label", segment["label"], known, errors):
                continue
            item["label"] = segment["label"]
        segments.append(item)
    segments.sort(key=lambda s: (s["start"], s["end"]))
    last_end: dict = {}
    for segment in segments:
        speaker = segment.get("label")
        if segment["start"] < last_end.get(speaker, -1.0):
            who = f"speaker {speaker!r}" if speaker is not None else "unlabelled segments"
            errors.append(f"segments: two segments of {who} overlap at {segment['start']:g} s.")
        last_end[speaker] = max(last_end.get(speaker, -1.0), segment["end"])
    return {"segments": segments}


def _preference(result, config, task, errors) -> dict:
    choice, reason = result["choice"], result.get("reason", "")
    choices = PREFERENCE_CHOICES if config.get("allow_tie", True) else PREFERENCE_CHOICES[:2]
    if choice not in choices:
        errors.append(f"choice: must be one of {', '.join(choices)}.")
    if not isinstance(reason, str):
        errors.append("reason: must be text.")
    elif config.get("require_reason", False) and not reason.strip():
        errors.append("reason: required in this project.")
    normalized = {"choice": choice}
    if isinstance(reason, str) and reason.strip():
        normalized["reason"] = reason
    return normalized


def _sft(result, config, task, errors) -> dict:
    response = result["response"]
    if not isinstance(response, str) or not response.strip():
        errors.append("response: must be non-empty text.")
        return {}
    minimum = config.get("min_response_length", 0)
    if len(response.strip()) < minimum:
        errors.append(f"response: at least {minimum} characters (has {len(response.strip())}).")
    return {"response": response}


_CHECKS = {
    **{task_type: _labels for task_type in CLASSIFICATION_TYPES},
    "text_spans": _spans,
    "image_boxes": _boxes,
    "audio_transcription": _segments,
    "preference": _preference,
    "sft": _sft,
}


def _items(result, key, errors):
    """(index, item) for each well-formed object of the list `result[key]`."""
    items = result[key]
    if not isinstance(items, list):
        errors.append(f"{key}: must be a list.")
        return
    required, optional = ITEM_KEYS[key]
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object.")
        elif missing := sorted(required - set(item)):
            errors.append(f"{where}.{missing[0]}: required.")
        elif unknown := sorted(set(item) - required - optional):
            errors.append(f"{where}.{unknown[0]}: unknown field.")
        else:
            yield index, item


def _check_label(where: str, label, known: set, errors: list) -> bool:
    if not isinstance(label, str):
        errors.append(f"{where}: must be a label name.")
        return False
    if label not in known:
        errors.append(f"{where}: unknown label {label!r}.")
        return False
    return True


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _span_text(span: dict) -> str:
    return f"[{span['start']}, {span['end']}) {span['label']!r}"


# -----------------------------------------------------------------------------------------------
# Comparing results by meaning
# -----------------------------------------------------------------------------------------------


def canonical_result(task_type: str, result):
    """A comparable form that ignores order, float noise and commentary (a preference's
    reason); None when `result` does not have the type's shape (an odd stored prediction)."""
    try:
        if task_type in CLASSIFICATION_TYPES:
            return frozenset(result["labels"])
        if task_type == "text_spans":
            return frozenset((s["start"], s["end"], s["label"]) for s in result["spans"])
        if task_type == "image_boxes":
            return tuple(sorted(
                (b["label"], *(round(float(b[k]), 4) for k in ("x", "y", "w", "h")))
                for b in result["boxes"]
            ))
        if task_type == "audio_transcription":
            return tuple(sorted(
                (round(float(s["start"]), 2), round(float(s["end"]), 2), s.get("label") or "",
                 _words(s.get("text", "")))
                for s in result["segments"]
            ))
        if task_type == "preference":
            return result["choice"]
        if task_type == "sft":
            return result["response"].strip()
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    raise ValueError(f"Unknown task type {task_type!r}.")


def results_equal(task_type: str, a, b) -> bool:
    left = canonical_result(task_type, a)
    return left is not None and left == canonical_result(task_type, b)


def gold_matches(task_type: str, answer: dict, gold) -> bool | None:
    """Is `answer` right, given the known answer `gold`? None when it cannot be told.

    Labels: the same set. Preference: the same choice (the reason is not judged). Spans: the
    same set. Boxes and segments: one-to-one pairs of the same label with IoU >= 0.5 (segments
    also need the same words, ignoring case and punctuation). SFT: None, free text has no single
    right answer.
    """
    if task_type == "sft":
        return None
    try:
        if task_type == "image_boxes":
            return _all_paired(answer["boxes"], gold["boxes"], _box_iou)
        if task_type == "audio_transcription":
            return _all_paired(answer["segments"], gold["segments"], _segment_iou)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    expected = canonical_result(task_type, gold)
    return None if expected is None else canonical_result(task_type, answer) == expected


def _all_paired(answer: list, gold: list, iou) -> bool:
    if len(answer) != len(gold):
        return False
    pairs = sorted(
        ((iou(a, g), i, j) for i, a in enumerate(answer) for j, g in enumerate(gold)),
        reverse=True,
    )
    used_a, used_g = set(), set()
    for score, i, j in pairs:
        if score < GOLD_MIN_IOU:
            break
        if i not in used_a and j not in used_g:
            used_a.add(i)
            used_g.add(j)
    return len(used_a) == len(answer)


def _box_iou(a: dict, b: dict) -> float:
    if a["label"] != b["label"]:
        return 0.0
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    inter = max(w, 0.0) * max(h, 0.0)
    union = a["w"] * a["h"] + b["w"] * b["h"] - inter
    return inter / union if union > 0 else 0.0


def _segment_iou(a: dict, b: dict) -> float:
    if a.get("label") != b.get("label") or _words(a["text"]) != _words(b["text"]):
        return 0.0
    inter = min(a["end"], b["end"]) - max(a["start"], b["start"])
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return max(inter, 0.0) / union if union > 0 else 0.0


def _words(text: str) -> tuple[str, ...]:
    """Lower-case words without punctuation: "Hello, world!" and "hello world" agree."""
    kept = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.lower())
    return tuple(kept.split())
