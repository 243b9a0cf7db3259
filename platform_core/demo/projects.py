"""The demo organization's projects: one per task type, with labels and guidelines that match
what the generators produce. Plain data; `seed_demo` turns it into rows."""
from dataclasses import dataclass

from platform_core.demo.audio import SOUND_LABELS, SPEAKERS
from platform_core.demo.images import DIGIT_LABELS, SHAPE_LABELS
from platform_core.demo.text import SENTIMENTS

# Eight colours that stay apart for common colour blindness (Okabe-Ito, plus a grey).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#555555")
SENTIMENT_COLORS = {"positive": "#2e7d32", "negative": "#c62828", "neutral": "#757575"}


def _labels(values, hotkeys=None, colors=None, descriptions=None) -> list[dict]:
    hotkeys = hotkeys or [str(i) for i in range(1, len(values) + 1)]
    labels = []
    for i, value in enumerate(values):
        label = {"value": value, "color": (colors or {}).get(value, PALETTE[i % len(PALETTE)])}
        label["hotkey"] = hotkeys[i]
        if descriptions and value in descriptions:
            label["description"] = descriptions[value]
        labels.append(label)
    return labels


@dataclass(frozen=True)
class DemoProject:
    task_type: str
    name: str
    dataset_name: str
    label_config: dict
    guidelines: str


DEMO_PROJECTS = (
    DemoProject(
        "text_classification",
        "Review sentiment",
        "Product and service reviews",
        {"labels": _labels(SENTIMENTS, colors=SENTIMENT_COLORS), "multi_label": False},
        "## Review sentiment\n\nPick the overall feeling of the review.\n\n"
        "- **positive**: the writer is pleased.\n- **negative**: the writer is unhappy.\n"
        "- **neutral**: facts only, no opinion.\n\n"
        "A concession does not decide: *I expected it to be awful, but it works perfectly* is "
        "**positive**. Ignore typos and filler words.",
    ),
    DemoProject(
        "text_spans",
        "News entities",
        "News sentences",
        {"labels": _labels(("PER", "ORG", "LOC"), descriptions={
            "PER": "A person", "ORG": "A company or institution", "LOC": "A city or place"}),
         "allow_overlap": False},
        "## News entities\n\nMark every **person** (PER), **organization** (ORG) and "
        "**location** (LOC).\n\n- Include the whole name: *Maria Rossi*, *Blue River Bank*, "
        "*Buenos Aires*.\n- Do not mark days, months or words like *the mayor*.\n"
        "- Do not include surrounding punctuation.",
    ),
    DemoProject(
        "preference",
        "Assistant answer preference",
        "Answer pairs",
        {"allow_tie": True, "require_reason": False},
        "## Which answer is better?\n\nRead the prompt, then both answers. Prefer the one that "
        "is **on topic**, **polite**, **specific** (concrete steps or numbers) and "
        "**complete**.\n\nChoose **tie** only when both are equally good. A short reason "
        "helps reviewers.",
    ),
    DemoProject(
        "sft",
        "Assistant responses",
        "Instructions",
        {"min_response_length": 10},
        "## Write the ideal response\n\nAnswer as a helpful, polite assistant. Be specific "
        "and complete; follow the requested format (lists as `- item` lines, calculations "
        "shown).\n\nIf a draft is shown, fix it rather than start over: drafts may be vague "
        "or wrong.",
    ),
    DemoProject(
        "image_classification",
        "Handwritten digits",
        "Digits",
        {"labels": _labels(DIGIT_LABELS, hotkeys=list(DIGIT_LABELS)), "multi_label": False},
        "## Handwritten digits\n\nPick the digit written in the picture. Hotkeys are the "
        "digits themselves.\n\nIf a digit is ambiguous, pick the most likely one; skip only "
        "when nothing is legible.",
    ),
    DemoProject(
        "image_boxes",
        "Shapes",
        "Shape scenes",
        {"labels": _labels(SHAPE_LABELS)},
        "## Shapes\n\nDraw one tight box around every **circle**, **square** and "
        "**triangle**. Colour does not matter, only the shape.\n\nBoxes should touch the "
        "shape's outermost pixels on all four sides.",
    ),
    DemoProject(
        "audio_classification",
        "Sound classes",
        "Sound clips",
        {"labels": _labels(SOUND_LABELS, descriptions={
            "tone": "One steady pitch", "chord": "Several pitches at once",
            "noise": "Hiss or rumble without a pitch", "chirp": "A pitch sliding up or down"}),
         "multi_label": False},
        "## Sound classes\n\nListen to the whole clip and pick what you hear.\n\n"
        "- **tone**: one steady pitch.\n- **chord**: several pitches together.\n"
        "- **noise**: hiss or rumble, no clear pitch.\n- **chirp**: a pitch that slides.\n\n"
        "Background hiss under a tone is still a **tone**.",
    ),
    DemoProject(
        "audio_transcription",
        "Two-speaker dialogue",
        "Dialogues",
        {"labels": _labels(tuple(SPEAKERS), descriptions={
            "speaker A": "The lower voice", "speaker B": "The higher voice"})},
        "## Two-speaker dialogue\n\nMark each stretch of speech from its first to its last "
        "sound and label the speaker: **speaker A** is the lower voice, **speaker B** the "
        "higher.\n\nTranscribe the words (placeholder code words such as *alpha bravo*). "
        "Leave silences unmarked.",
    ),
)
