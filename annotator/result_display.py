"""Results and edit figures as people read them, for the task page's templates.

Pure functions over stored JSON: nothing here builds markup. Each result becomes a small dict
whose `kind` tells annotator/templates/annotator/_result.html how to lay it out, and the
template's autoescaping keeps whatever text it holds as text. A stored value that does not have
its type's shape (written before a validation rule existed, or edited by hand in the admin)
falls back to its JSON, so the page still says what is there instead of failing.
"""
import json

CLASSIFICATION_TYPES = {"text_classification", "image_classification", "audio_classification"}
CHOICE_TEXT = {"A": "A is better", "B": "B is better", "tie": "Tie"}


def result_view(task_type: str, result, *, text=None) -> dict:
    """{"kind": …} for one result of a `task_type` project; `text` is the task's text, from
    which spans quote what they cover."""
    if result is None:
        return {"kind": "none"}
    view = _typed(task_type, result, text) if isinstance(result, dict) else None
    return view or {"kind": "raw", "json": as_text(result)}


def _typed(task_type: str, result: dict, text) -> dict | None:
    if task_type in CLASSIFICATION_TYPES:
        labels = result.get("labels")
        if _list_of(labels, str):
            return {"kind": "labels", "labels": labels}
    elif task_type == "text_spans":
        return _spans(result.get("spans"), text)
    elif task_type == "image_boxes":
        return _boxes(result.get("boxes"))
    elif task_type == "audio_transcription":
        return _segments(result.get("segments"))
    elif task_type == "preference":
        choice, reason = result.get("choice"), result.get("reason", "")
        if choice in CHOICE_TEXT and isinstance(reason, str):
            return {"kind": "choice", "choice": CHOICE_TEXT[choice], "reason": reason}
    elif task_type == "sft":
        response = result.get("response")
        if isinstance(response, str):
            return {"kind": "response", "response": response}
    return None


def _spans(spans, text) -> dict | None:
    if not _list_of(spans, dict):
        return None
    rows = []
    for span in spans:
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if not (_is_int(start) and _is_int(end) and isinstance(label, str)):
            return None
        # Offsets count code points (platform_core/results.py), as Python slices do.
        covered = text[start:end] if isinstance(text, str) and 0 <= start < end <= len(text) else None
        rows.append({"label": label, "text": covered, "start": start, "end": end})
    return {"kind": "spans", "spans": rows}


def _boxes(boxes) -> dict | None:
    if not _list_of(boxes, dict):
        return None
    rows = []
    for box in boxes:
        sides = [box.get(key) for key in ("x", "y", "w", "h")]
        if not all(_is_number(side) for side in sides) or not isinstance(box.get("label"), str):
            return None
        rows.append({"label": box["label"], **dict(zip("xywh", map(percent, sides)))})
    return {"kind": "boxes", "boxes": rows}


def _segments(segments) -> dict | None:
    if not _list_of(segments, dict):
        return None
    rows = []
    for segment in segments:
        start, end, words = segment.get("start"), segment.get("end"), segment.get("text")
        speaker = segment.get("label", "")
        if not (_is_number(start) and _is_number(end) and isinstance(words, str)):
            return None
        if not isinstance(speaker, str):
            return None
        rows.append({"start": f"{start:.2f}", "end": f"{end:.2f}", "speaker": speaker, "text": words})
    return {"kind": "segments", "segments": rows}


def edit_text(edit) -> str | None:
    """The review's `edit` figure ({"metric", "value"}, annotator.quality.edit_figure) in words;
    None when there is none."""
    if not isinstance(edit, dict) or not _is_number(edit.get("value")):
        return None
    metric, value = edit.get("metric"), float(edit["value"])
    if metric == "labels_changed":
        count = round(value)
        if count == 0:
            return "labels unchanged"
        return f"{count} label{'s' if count != 1 else ''} added or removed"
    if metric == "span_f1":
        return f"span F1 {value:.2f} against what was reviewed (1 = unchanged)"
    if metric == "box_iou":
        return f"box IoU {value:.2f} against what was reviewed (1 = unchanged)"
    if metric == "cer":
        return f"character error rate {value:.1%} against what was reviewed (0 = unchanged)"
    if metric == "choice_flipped":
        return "choice flipped" if value else "choice kept"
    return f"{metric}: {value:g}"


def percent(fraction: float) -> str:
    """0.125 -> "12.5%": box sides are stored as fractions of the image."""
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + "%"


def as_text(value) -> str:
    """A task field or an unreadable result as text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _list_of(value, kind) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
