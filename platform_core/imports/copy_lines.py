"""PostgreSQL COPY text for task records, built in the reading thread.

A record's line holds only its own columns (COPY_COLUMNS); the writer adds what every row of
a batch shares (project, dataset, timestamps) with one str.join, so its thread does no per-row
Python for a batch of plain rows. Built here, a line costs ~1 µs; psycopg's write_row took
~25 µs a row in the writer's thread, most of the import's Python time (measured at 10^5 rows).

COPY's text format reads tab, newline, carriage return and backslash as its own: they are
escaped in every text value. JSON text never holds the first three raw (JSON escapes control
characters), so it needs only its backslashes doubled.
"""
import json

from platform_core.imports.records import TaskRecord
from platform_core.models import TaskStatus

# A record's own columns, in its line's order.
COPY_COLUMNS = (
    "data", "meta", "media", "media_type", "checksum", "status", "duration_s", "sample_rate",
    "width", "height",
)
NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEW, _SUGGESTED = TaskStatus.NEW.value, TaskStatus.SUGGESTED.value


def copy_line(record: TaskRecord) -> str:
    """The record's COPY_COLUMNS as COPY text, without the line's end."""
    data = record.data_json
    if "\\" in data:
        data = data.replace("\\", "\\\\")
    status = _SUGGESTED if record.suggestions else _NEW
    if not (record.meta or record.media or record.media_type) and record.duration_s is None \
            and record.sample_rate is None and record.width is None and record.height is None:
        return f"{data}\t{{}}\t\t\t{record.checksum}\t{status}\t\\N\t\\N\t\\N\t\\N"
    meta = json.dumps(record.meta, ensure_ascii=False).replace("\\", "\\\\") if record.meta else "{}"
    return "\t".join((
        data, meta, copy_text(record.media), copy_text(record.media_type), record.checksum, status,
        _number(record.duration_s), _number(record.sample_rate), _number(record.width),
        _number(record.height),
    ))


def copy_text(value: str) -> str:
    return value.translate(_ESCAPES)


def copy_value(value) -> str:
    """A per-row value the writer adds (an id, a priority): a number or NULL."""
    return _number(value)


def _number(value) -> str:
    if value is None:
        return NULL
    # float() first: a numpy float's repr is not a number to PostgreSQL.
    return repr(float(value)) if isinstance(value, float) else str(int(value))
