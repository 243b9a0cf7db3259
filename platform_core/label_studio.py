"""Label Studio result JSON ↔ our result shapes (DESIGN.md, "Results, one shape per task type").

Used for Label Studio task files (their `predictions` become suggestions) and by model servers
that speak the Label Studio ML backend protocol. Coordinates: Label Studio gives boxes in percent
of the image, we keep fractions; audio regions are seconds in both.
"""


def from_label_studio(task_type: str, regions) -> dict:
    """Our result for `task_type` from a Label Studio `result` list; ValueError if it won't map."""
    if not isinstance(regions, list) or not all(isinstance(r, dict) for r in regions):
        raise ValueError("result must be a list of region objects")
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


def _segments(regions) -> dict:
    texts = {}
    for region, value in _values(regions, "textarea"):
        text = value.get("text")
        texts[region.get("id")] = " ".join(text) if isinstance(text, list) else str(text or "")
    segments = []
    for region, value in _values(regions, "labels"):
        start, end = value.get("start"), value.get("end")
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
            raise ValueError("segment start and end must be seconds")
        segment = {"start": float(start), "end": float(end), "text": texts.get(region.get("id"), "")}
        if value.get("labels"):
            segment["label"] = _first_label(value, "labels")
        segments.append(segment)
    return {"segments": sorted(segments, key=lambda s: s["start"])}


def _preference(regions) -> dict:
    for _, value in _values(regions, "pairwise"):
        selected = {"left": "A", "right": "B"}.get(value.get("selected"))
        if selected:
            return {"choice": selected}
    for _, value in _values(regions, "choices"):
        choices = value.get("choices") or []
        if choices and choices[0] in ("A", "B", "tie"):
            return {"choice": choices[0]}
    raise ValueError("no pairwise choice in result")


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
    "audio_transcription": _segments,
    "preference": _preference,
    "sft": _response,
}
