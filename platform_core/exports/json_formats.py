"""JSON Lines (one task per line) and Label Studio JSON (an array its importer reads).

Both write a batch of tasks as one chunk. JSON Lines does not parse the stored JSON at all: the
database's text goes into each line as it is (through orjson.Fragment when a line carries
media, annotations or suggestions, by formatting otherwise), which is what lets it run at
100,000 rows a second.
"""
import logging
from collections.abc import Iterator

import orjson

from platform_core.exports.reader import ExportRow, TaskSource
from platform_core.label_studio import to_label_studio

logger = logging.getLogger(__name__)


def _json(text: str | None):
    return None if text is None else orjson.Fragment(text)


def media_of(source: TaskSource, row: ExportRow) -> dict:
    """The media reference a task exports: its storage name and member-only URL."""
    return {
        "name": row.media,
        "url": source.media_url(row.id),
        "type": row.media_type,
        "width": row.width,
        "height": row.height,
        "duration_s": row.duration_s,
        "sample_rate": row.sample_rate,
    }


def annotations_of(row: ExportRow) -> list[dict]:
    return [{**annotation, "result": _json(annotation["result"])} for annotation in row.annotations]


def suggestions_of(row: ExportRow) -> list[dict]:
    return [{**suggestion, "result": _json(suggestion["result"])} for suggestion in row.suggestions]


def write_jsonl(source: TaskSource) -> Iterator[bytes]:
    has_media = source.project.media_kind is not None
    if not (has_media or source.annotations or source.suggestions):
        yield from _plain_jsonl(source)
        return
    dumps, Fragment = orjson.dumps, orjson.Fragment
    for rows in source.batches():
        lines = []
        for row in rows:
            item = {
                "id": row.id,
                "dataset": row.dataset_id,
                "status": row.status,
                "data": Fragment(row.data),
                "meta": Fragment(row.meta),
                "result": None if row.result is None else Fragment(row.result),
            }
            if has_media:
                item["media"] = media_of(source, row)
            if source.annotations:
                item["annotations"] = annotations_of(row)
            if source.suggestions:
                item["suggestions"] = suggestions_of(row)
            lines.append(dumps(item))
        lines.append(b"")
        yield b"\n".join(lines)


def _plain_jsonl(source: TaskSource) -> Iterator[bytes]:
    """The lines of text tasks without annotations or suggestions, the usual export, as orjson
    writes them (`{"id":1,"dataset":null,...}`) but formatted: an f-string per line and one
    encode per batch cost a fifth of building a dict and calling orjson.dumps on it. The JSON
    text columns are the database's own JSON; id and dataset are integers; the status is
    one of a few words, encoded by orjson once."""
    statuses: dict[str, str] = {}
    for rows in source.batches():
        lines = []
        for row in rows:
            status = statuses.get(row.status)
            if status is None:
                status = statuses[row.status] = orjson.dumps(row.status).decode()
            dataset = "null" if row.dataset_id is None else int(row.dataset_id)
            result = "null" if row.result is None else row.result
            lines.append(f'{{"id":{int(row.id)},"dataset":{dataset},"status":{status},'
                         f'"data":{row.data},"meta":{row.meta},"result":{result}}}\n')
        yield "".join(lines).encode()


def write_label_studio(source: TaskSource) -> Iterator[bytes]:
    """`[{"id", "data", "meta", "annotations": [...], "predictions": [...]}, ...]`.

    The final label is the task's one annotation, marked `ground_truth`; with annotations asked
    for, each annotator's follows it (Label Studio has no field for who made it or its review
    status; JSON Lines and CSV keep those). Media tasks carry the media URL under the key the
    label config reads (`image`, `audio`). Use the config from `label_config_xml`.
    """
    project = source.project
    kind, task_type, config = project.media_kind, project.task_type, project.label_config

    def regions(result, data: dict, row: ExportRow):
        if isinstance(result, str):
            result = orjson.loads(result)
        try:
            return to_label_studio(task_type, result, config=config, text=str(data.get("text", "")),
                                   width=row.width, height=row.height)
        except (KeyError, TypeError, ValueError, AttributeError):
            # Results are validated on every write; one that is not is left out, not fatal.
            logger.warning("Export of project %s: task %s has a result that does not map to "
                           "Label Studio; left out", project.pk, row.id)
            return None

    yield b"["
    first = True
    for rows in source.batches():
        items = []
        for row in rows:
            data = orjson.loads(row.data)
            data = data if isinstance(data, dict) else {"value": data}
            if kind and row.media:
                data[kind] = source.media_url(row.id)
            annotations = []
            if row.result is not None and (final := regions(row.result, data, row)) is not None:
                annotations.append({"result": final, "ground_truth": True})
            for annotation in row.annotations:
                if (result := regions(annotation["result"], data, row)) is not None:
                    annotations.append({"result": result, "ground_truth": False,
                                        "lead_time": annotation["lead_time_s"]})
            predictions = []
            for suggestion in row.suggestions:
                if (result := regions(suggestion["result"], data, row)) is not None:
                    predictions.append({"model_version": suggestion["model_version"],
                                        "score": suggestion["confidence"], "result": result})
            items.append(orjson.dumps({
                "id": row.id, "data": data, "meta": orjson.Fragment(row.meta),
                "annotations": annotations, "predictions": predictions,
            }))
        if items:
            yield (b"\n" if first else b",\n") + b",\n".join(items)
            first = False
    yield b"\n]\n"
