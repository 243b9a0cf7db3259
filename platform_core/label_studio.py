"""Label Studio result JSON ↔ our result shapes (DESIGN.md, "Results, one shape per task type").

One mapping, both ways, for everything that speaks Label Studio: task files we import (their
`predictions` become suggestions), model servers on the Label Studio ML backend protocol
(ml_assist.external: the label config we send, the predictions we read back) and the Label
Studio export (platform_core.exports). Coordinates: Label Studio gives boxes in percent of the
image, we keep fractions; audio regions are seconds in both.

Region names (`from_name`, `to_name`) are the tag names of `label_config_xml`, so an export
imports into a Label Studio project made with that config, and a model server set up with it
answers in regions `from_label_studio` reads.
"""
from xml.sax.saxutils import quoteattr

from platform_core.label_config import label_values

# Tag names in label_config_xml, which regions name as from_name / to_name.
CONTROL = "label"  # Choices, Labels and RectangleLabels
SPEAKER = "speaker"  # speaker Labels of audio transcription
TRANSCRIPTION = "transcription"
RESPONSE = "response"  # the SFT answer
REASON = "reason"  # why a preference was chosen
OBJECT_BY_TYPE = {
    "text_classification": "text",
    "text_spans": "text",
    "preference": "prompt",
    "sft": "prompt",
    "image_classification": "image",
    "image_boxes": "image",
    "audio_classification": "audio",
    "audio_transcription": "audio",
}


def from_label_studio(task_type: str, regions, *, duration_s: float | None = None) -> dict:
    """Our result for `task_type` from a Label Studio `result` list; ValueError if it won't map.

    `duration_s` is the clip's length, for a transcript of a whole clip (a textarea without
    times), which becomes one segment over the clip.
    """
    if not isinstance(regions, list) or not all(isinstance(r, dict) for r in regions):
        raise ValueError("result must be a list of region objects")
    if task_type == "audio_transcription":
        return _segments(regions, duration_s)
    converter = _CONVERTERS.get(task_type)
    if converter is None:
        raise ValueError(f"no Label Studio mapping for {task_type}")
    return converter(regions)


def _values(regions, kind):
    for region in regions:
        if region.get("type") == kind and isinstance(region.get("value"), dict):
            yield region, region["value"]


def _first_label(value: dict, key: str) -> str:
    labels = value.get(key)
    if not isinstance(labels, list) or not labels or not isinstance(labels[0], str):
        raise ValueError(f"region without {key}")
    return labels[0]


def _choices(regions) -> dict:
    labels = []
    for _, value in _values(regions, "choices"):
        choices = value.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ValueError("choices must be a list of labels")
        labels.extend(c for c in choices if c not in labels)
    if not labels:
        raise ValueError("no choices in result")
    return {"labels": labels}


def _spans(regions) -> dict:
    spans = []
    for _, value in _values(regions, "labels"):
        start, end = value.get("start"), value.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            raise ValueError("span start and end must be character offsets")
        spans.append({"start": start, "end": end, "label": _first_label(value, "labels")})
    return {"spans": spans}


def _boxes(regions) -> dict:
    boxes = []
    for _, value in _values(regions, "rectanglelabels"):
        try:
            box = {k: float(value[src]) / 100.0 for k, src in _BOX_KEYS.items()}
        except (KeyError, TypeError, ValueError):
            raise ValueError("box needs numeric x, y, width and height") from None
        box["label"] = _first_label(value, "rectanglelabels")
        boxes.append(box)
    return {"boxes": boxes}


_BOX_KEYS = {"x": "x", "y": "y", "w": "width", "h": "height"}


def _text_of(value: dict) -> str:
    text = value.get("text")
    return " ".join(map(str, text)) if isinstance(text, list) else str(text or "")


def _segments(regions, duration_s: float | None) -> dict:
    """Speaker regions with their per-region text (a textarea with the same region id), plus
    textareas with their own start and end, plus a transcript of the whole clip (a textarea
    without times) as one segment over the clip's length."""
    texts = {region.get("id"): _text_of(value) for region, value in _values(regions, "textarea")}
    segments, labelled = [], set()
    for region, value in _values(regions, "labels"):
        start, end = value.get("start"), value.get("end")
        if not _is_number(start) or not _is_number(end):
            raise ValueError("segment start and end must be seconds")
        labelled.add(region.get("id"))
        text = texts.get(region.get("id"), "")
        segment = {"start": float(start), "end": float(end), "text": text}
        if value.get("labels"):
            segment["label"] = _first_label(value, "labels")
        segments.append(segment)
    whole = []
    for region in regions:
        if region.get("type") != "textarea" or region.get("id") in labelled:
            continue
        value = region.get("value")
        if not isinstance(value, dict):
            raise ValueError("textarea region without a value")
        start, end = value.get("start"), value.get("end")
        if _is_number(start) and _is_number(end):
            segments.append({"start": float(start), "end": float(end), "text": _text_of(value)})
        else:
            whole.append(_text_of(value))
    if whole:
        if not duration_s:
            raise ValueError("a whole-clip transcript, but the task's duration is unknown")
        segments.append({"start": 0.0, "end": float(duration_s), "text": " ".join(whole)})
    return {"segments": sorted(segments, key=lambda s: s["start"])}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _preference(regions) -> dict:
    reason = next((_text_of(v) for r, v in _values(regions, "textarea")
                   if r.get("from_name") == REASON), None)
    for _, value in _values(regions, "pairwise"):
        selected = {"left": "A", "right": "B"}.get(value.get("selected"))
        if selected:
            return _with_reason({"choice": selected}, reason)
    for _, value in _values(regions, "choices"):
        choices = value.get("choices") or []
        if choices and choices[0] in ("A", "B", "tie"):
            return _with_reason({"choice": choices[0]}, reason)
    raise ValueError("no pairwise choice in result")


def _with_reason(result: dict, reason: str | None) -> dict:
    return {**result, "reason": reason} if reason else result


def _response(regions) -> dict:
    for _, value in _values(regions, "textarea"):
        text = value.get("text")
        response = "\n".join(text) if isinstance(text, list) else text
        if isinstance(response, str):
            return {"response": response}
    raise ValueError("no textarea response in result")


_CONVERTERS = {
    "text_classification": _choices,
    "image_classification": _choices,
    "audio_classification": _choices,
    "text_spans": _spans,
    "image_boxes": _boxes,
    "preference": _preference,
    "sft": _response,
}


# -- ours -> Label Studio ------------------------------------------------------------------------


def to_label_studio(task_type: str, result: dict, *, config: dict | None = None, text: str = "",
                    width: int | None = None, height: int | None = None) -> list[dict]:
    """Label Studio regions for one of our results, named after `label_config_xml`'s tags.

    `text` is the task's text (span regions carry the text they cover); `width` and `height`
    the image's size in pixels, when known (Label Studio shows boxes without them too);
    `config` the project's label_config (audio with speakers has per-region transcripts).
    `from_label_studio` reads the regions back into `result`.
    """
    to_name = OBJECT_BY_TYPE.get(task_type)
    if to_name is None or not isinstance(result, dict):
        raise ValueError(f"no Label Studio mapping for {task_type}")

    def region(kind: str, value: dict, from_name: str = CONTROL, **extra) -> dict:
        return {**extra, "from_name": from_name, "to_name": to_name, "type": kind, "value": value}

    if task_type.endswith("_classification"):
        return [region("choices", {"choices": list(result.get("labels", []))})]
    if task_type == "text_spans":
        return [
            region("labels", {"start": s["start"], "end": s["end"],
                              "text": text[s["start"]:s["end"]], "labels": [s["label"]]},
                   id=f"s{i}")
            for i, s in enumerate(result.get("spans", []))
        ]
    if task_type == "image_boxes":
        size = {"original_width": width, "original_height": height} if width and height else {}
        return [
            region("rectanglelabels", {"x": b["x"] * 100, "y": b["y"] * 100, "width": b["w"] * 100,
                                       "height": b["h"] * 100, "rotation": 0,
                                       "rectanglelabels": [b["label"]]},
                   id=f"b{i}", image_rotation=0, **size)
            for i, b in enumerate(result.get("boxes", []))
        ]
    if task_type == "preference":
        regions = [region("choices", {"choices": [result["choice"]]})]
        if result.get("reason"):
            regions.append(region("textarea", {"text": [result["reason"]]}, REASON))
        return regions
    if task_type == "sft":
        return [region("textarea", {"text": [result.get("response", "")]}, RESPONSE)]
    if task_type == "audio_transcription":
        speakers = bool(label_values(config or {}))
        return _segment_regions(result.get("segments", []), region, speakers)
    raise ValueError(f"no Label Studio mapping for {task_type}")


def _segment_regions(segments, region, speakers: bool) -> list[dict]:
    regions = []
    for i, segment in enumerate(segments):
        times = {"start": segment["start"], "end": segment["end"]}
        text = region("textarea", {**times, "text": [segment.get("text", "")]}, TRANSCRIPTION,
                      id=f"a{i}")
        if speakers:  # a speaker region, and its text as the same region's textarea
            labels = [segment["label"]] if segment.get("label") else []
            regions.append(region("labels", {**times, "labels": labels}, SPEAKER, id=f"a{i}"))
        regions.append(text)
    return regions


# -- label configs -------------------------------------------------------------------------------

_TEXT = '<Text name="text" value="$text"/>'
_IMAGE = '<Image name="image" value="$image"/>'
_AUDIO = '<Audio name="audio" value="$audio"/>'
_PROMPT = '<Text name="prompt" value="$prompt"/>'
_RESPONSES = ('<Text name="response_a" value="$response_a"/>'
              '<Text name="response_b" value="$response_b"/>')
_REASON = f'<TextArea name="{REASON}" toName="prompt" editable="true" maxSubmissions="1"/>'
_SFT = f'<TextArea name="{RESPONSE}" toName="prompt" editable="true" maxSubmissions="1"/>'
_TRANSCRIPT = (f'<TextArea name="{TRANSCRIPTION}" toName="audio" editable="true" '
               'maxSubmissions="1"/>')
_REGION_TRANSCRIPT = (f'<TextArea name="{TRANSCRIPTION}" toName="audio" editable="true" '
                      'perRegion="true"/>')


def label_config_xml(project) -> str:
    """A Label Studio labeling config equivalent to our label_config for the project's type.

    Tag types are what from_label_studio reads back (choices, labels, rectanglelabels,
    textarea); names follow Label Studio's own templates.
    """
    config = project.label_config or {}
    labels = label_values(config)
    mode = "multiple" if config.get("multi_label") else "single"

    def tags(outer: str, inner: str, to: str, values, extra: str = "", name: str = CONTROL) -> str:
        items = "".join(f"<{inner} value={quoteattr(value)}/>" for value in values)
        return f'<{outer} name="{name}" toName="{to}"{extra}>{items}</{outer}>'

    def choices(to: str, values) -> str:
        return tags("Choices", "Choice", to, values, f' choice="{mode}"')

    task_type = project.task_type
    if task_type == "text_classification":
        body = _TEXT + choices("text", labels)
    elif task_type == "text_spans":
        body = tags("Labels", "Label", "text", labels) + _TEXT
    elif task_type == "preference":
        options = ["A", "B", "tie"] if config.get("allow_tie", True) else ["A", "B"]
        body = _PROMPT + _RESPONSES + choices("prompt", options) + _REASON
    elif task_type == "sft":
        body = _PROMPT + _SFT
    elif task_type == "image_classification":
        body = _IMAGE + choices("image", labels)
    elif task_type == "image_boxes":
        body = _IMAGE + tags("RectangleLabels", "Label", "image", labels)
    elif task_type == "audio_classification":
        body = _AUDIO + choices("audio", labels)
    elif task_type == "audio_transcription":
        # Speakers as region labels, each region with its text; no speakers: one transcript.
        speakers = tags("Labels", "Label", "audio", labels, name=SPEAKER)
        body = _AUDIO + (speakers + _REGION_TRANSCRIPT if labels else _TRANSCRIPT)
    else:
        raise ValueError(f"no Label Studio config for {task_type}")
    return f"<View>{body}</View>"
