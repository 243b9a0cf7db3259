"""What a project's `label_config` may hold, per task type.

A config is JSON: ``{"labels": [{"value": "positive", "color": "#2e7d32", "hotkey": "1"}], ...}``
plus the options its type allows. Validation names the offending field so the API can return it.
"""
import re

from django.core.exceptions import ValidationError

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABELS = 200
MAX_LABEL_LENGTH = 100
LABEL_KEYS = {"value", "color", "hotkey", "description"}

# type -> (labels required?, allowed options with their Python types)
TYPE_RULES: dict[str, tuple[bool, dict[str, type]]] = {
    "text_classification": (True, {"multi_label": bool}),
    "text_spans": (True, {"allow_overlap": bool}),
    "preference": (False, {"require_reason": bool, "allow_tie": bool}),
    "sft": (False, {"min_response_length": int}),
    "image_classification": (True, {"multi_label": bool}),
    "image_boxes": (True, {}),
    "audio_classification": (True, {"multi_label": bool}),
    # Labels here are speakers; a project may have none and only transcribe.
    "audio_transcription": (False, {}),
}


def validate_label_config(task_type: str, config) -> None:
    """Raise ValidationError({"label_config": ...}) unless `config` suits `task_type`."""
    if task_type not in TYPE_RULES:
        raise ValidationError({"task_type": f"Unknown task type {task_type!r}."})
    if not isinstance(config, dict):
        raise ValidationError({"label_config": "Must be a JSON object."})
    labels_required, options = TYPE_RULES[task_type]
    unknown = set(config) - {"labels"} - set(options)
    if unknown:
        raise ValidationError(
            {"label_config": f"Unknown keys for {task_type}: {', '.join(sorted(unknown))}."}
        )
    for key, expected in options.items():
        if key in config and type(config[key]) is not expected:
            raise ValidationError({"label_config": f"{key} must be {expected.__name__}."})
    labels = config.get("labels", [])
    if labels_required and not labels:
        raise ValidationError({"label_config": f"{task_type} needs at least one label."})
    _validate_labels(labels)


def _validate_labels(labels) -> None:
    if not isinstance(labels, list):
        raise ValidationError({"label_config": "labels must be a list."})
    if len(labels) > MAX_LABELS:
        raise ValidationError({"label_config": f"At most {MAX_LABELS} labels."})
    values, hotkeys = set(), set()
    for index, label in enumerate(labels):
        where = f"labels[{index}]"
        if not isinstance(label, dict):
            raise ValidationError({"label_config": f"{where} must be an object."})
        if set(label) - LABEL_KEYS:
            extra = ", ".join(sorted(set(label) - LABEL_KEYS))
            raise ValidationError({"label_config": f"{where} has unknown keys: {extra}."})
        value = label.get("value")
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL_LENGTH:
            raise ValidationError(
                {"label_config": f"{where}.value must be text of 1 to {MAX_LABEL_LENGTH} characters."}
            )
        if value in values:
            raise ValidationError({"label_config": f"{where}.value {value!r} is repeated."})
        values.add(value)
        color = label.get("color")
        if color is not None and (not isinstance(color, str) or not COLOR_RE.match(color)):
            raise ValidationError({"label_config": f"{where}.color must look like #1a2b3c."})
        hotkey = label.get("hotkey")
        if hotkey is not None:
            if not isinstance(hotkey, str) or len(hotkey) != 1 or not hotkey.isprintable():
                raise ValidationError({"label_config": f"{where}.hotkey must be one character."})
            if hotkey in hotkeys:
                raise ValidationError({"label_config": f"{where}.hotkey {hotkey!r} is repeated."})
            hotkeys.add(hotkey)
        description = label.get("description")
        if description is not None and not isinstance(description, str):
            raise ValidationError({"label_config": f"{where}.description must be text."})


def label_values(config: dict) -> list[str]:
    return [label["value"] for label in config.get("labels", [])]
