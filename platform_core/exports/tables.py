"""CSV: one row per task, for spreadsheets.

Columns: id, dataset, status; the text fields of the type's data (text; prompt and responses)
or the media reference; a readable form of the final label where one exists (labels joined by
"|", the preference choice and reason, the SFT response); then data, meta and result as JSON,
and annotations and suggestions as JSON lists when asked for.

Every text cell that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or
a carriage return) is written with a leading single quote: imported text is untrusted, and
"=HYPERLINK(...)" in a cell is CSV injection.
"""
import csv
import io
from collections.abc import Iterator

import orjson

from platform_core.exports.json_formats import annotations_of, suggestions_of
from platform_core.exports.reader import ExportRow, TaskSource
from platform_core.imports.rows import REQUIRED_TEXT_FIELDS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# type -> the final label's readable columns and how to get each from the result
SUMMARY_COLUMNS = {
    "text_classification": {"labels": lambda r: "|".join(r.get("labels", []))},
    "image_classification": {"labels": lambda r: "|".join(r.get("labels", []))},
    "audio_classification": {"labels": lambda r: "|".join(r.get("labels", []))},
    "preference": {
        "choice": lambda r: r.get("choice", ""),
        "reason": lambda r: r.get("reason", ""),
    },
    "sft": {"response": lambda r: r.get("response", "")},
}


def neutralised(value):
    """The cell as a spreadsheet will show it, never run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(source: TaskSource) -> Iterator[bytes]:
    project = source.project
    data_fields = REQUIRED_TEXT_FIELDS.get(project.task_type, ())
    has_media = project.media_kind is not None
    summary = SUMMARY_COLUMNS.get(project.task_type, {})
    header = ["id", "dataset", "status", *data_fields]
    header += ["media", "media_url"] if has_media else []
    header += [*summary, "data", "meta", "result"]
    header += ["annotations"] if source.annotations else []
    header += ["suggestions"] if source.suggestions else []

    def cells(row: ExportRow) -> list:
        data = orjson.loads(row.data)
        result = orjson.loads(row.result) if row.result is not None else None
        values = [row.id, row.dataset_id, row.status]
        values += [_text(data.get(name)) if isinstance(data, dict) else "" for name in data_fields]
        if has_media:
            values += [row.media, source.media_url(row.id) if row.media else ""]
        readable = isinstance(result, dict)
        values += [_text(get(result)) if readable else "" for get in summary.values()]
        values += [row.data, row.meta, row.result if row.result is not None else ""]
        if source.annotations:
            values.append(orjson.dumps(annotations_of(row)).decode())
        if source.suggestions:
            values.append(orjson.dumps(suggestions_of(row)).decode())
        return [neutralised(value) for value in values]

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for rows in source.batches():
        writer.writerows(cells(row) for row in rows)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of an empty export
        yield buffer.getvalue().encode()


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()
