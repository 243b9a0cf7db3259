"""Starting points for a new project, per task type: labels with colours and hotkeys, per-type
options and a first draft of the guidelines. The new-project page offers them; what is saved is
validated like any config (platform_core.label_config)."""
from platform_core.label_config import validate_label_config


def _labels(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"value": value, "color": color, "hotkey": key} for value, color, key in rows]


TEMPLATES: dict[str, list[dict]] = {
    "text_classification": [
        {
            "name": "Sentiment",
            "label_config": {
                "labels": _labels(
                    ("positive", "#2e7d32", "1"), ("negative", "#c62828", "2"), ("neutral", "#546e7a", "3")
                ),
                "multi_label": False,
            },
            "guidelines": "# Sentiment\n\nChoose the feeling the **writer** expresses about the product.\n\n"
            "- *positive*: praise, satisfaction\n- *negative*: complaints, disappointment\n"
            "- *neutral*: facts or questions without an opinion\n",
        },
    ],
    "text_spans": [
        {
            "name": "Named entities (PER, ORG, LOC)",
            "label_config": {
                "labels": _labels(("PER", "#1565c0", "p"), ("ORG", "#6a1b9a", "o"), ("LOC", "#2e7d32", "l")),
                "allow_overlap": False,
            },
            "guidelines": "# Named entities\n\nMark every person (PER), organization (ORG) and place "
            "(LOC). Select the whole name, without titles (*Dr.*) or trailing punctuation.\n",
        },
    ],
    "preference": [
        {
            "name": "Preference: A, B or tie",
            "label_config": {"allow_tie": True, "require_reason": False},
            "guidelines": "# Which response is better?\n\nRead the prompt, then both responses. Prefer "
            "the one that is correct, helpful and safe; choose *tie* only when neither is better.\n",
        },
    ],
    "sft": [
        {
            "name": "Instruction response (SFT)",
            "label_config": {"min_response_length": 20},
            "guidelines": "# Write the ideal response\n\nAnswer the prompt as a careful expert would: "
            "correct, complete, no filler. Edit the draft when one is shown.\n",
        },
    ],
    "image_classification": [
        {
            "name": "Image classes",
            "label_config": {
                "labels": _labels(("portrait", "#ad1457", "1"), ("object", "#ef6c00", "2"), ("scene", "#00838f", "3")),
                "multi_label": False,
            },
            "guidelines": "# Image classes\n\nChoose what the image mainly shows.\n",
        },
    ],
    "image_boxes": [
        {
            "name": "Driving scene boxes",
            "label_config": {
                "labels": _labels(
                    ("car", "#1565c0", "c"), ("person", "#c62828", "p"),
                    ("bicycle", "#2e7d32", "b"), ("traffic light", "#f9a825", "t"),
                ),
            },
            "guidelines": "# Boxes\n\nDraw a tight box around every visible car, person, bicycle and "
            "traffic light, including partly hidden ones.\n",
        },
    ],
    "audio_classification": [
        {
            "name": "Language ID",
            "label_config": {
                "labels": _labels(
                    ("en-US", "#1565c0", "1"), ("zh-CN", "#c62828", "2"),
                    ("es-ES", "#ef6c00", "3"), ("other", "#546e7a", "4"),
                ),
                "multi_label": False,
            },
            "guidelines": "# Spoken language\n\nListen to at least five seconds and choose the language "
            "spoken; *other* when it is none of these.\n",
        },
    ],
    "audio_transcription": [
        {
            "name": "Speaker-turn transcription",
            "label_config": {"labels": _labels(("speaker A", "#1565c0", "1"), ("speaker B", "#c62828", "2"))},
            "guidelines": "# Transcription\n\nMark each turn as a segment, choose its speaker and type "
            "exactly what is said, with punctuation. Do not correct grammar.\n",
        },
    ],
}

# One item per type for the editor's live preview (media from the page's static files).
SAMPLE_ITEMS: dict[str, dict] = {
    "text_classification": {"text": "The battery lasts all day and the screen is bright. Delivery was slow, though."},
    "text_spans": {"text": "Ada Lovelace met Charles Babbage at the Royal Society in London."},
    "preference": {
        "prompt": "Explain in one sentence why the sky is blue.",
        "response_a": "Air molecules scatter short blue wavelengths of sunlight more than red ones.",
        "response_b": "Because it reflects the ocean.",
    },
    "sft": {"prompt": "Write a two-line summary of why code review matters."},
    "image_classification": {},
    "image_boxes": {},
    "audio_classification": {},
    "audio_transcription": {},
}


def templates_checked() -> dict[str, list[dict]]:
    """TEMPLATES, each validated (a template the service would refuse is a bug here)."""
    for task_type, templates in TEMPLATES.items():
        for template in templates:
            validate_label_config(task_type, template["label_config"])
    return TEMPLATES
