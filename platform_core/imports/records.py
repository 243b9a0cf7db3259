"""What readers hand to the writer: one TaskRecord per good row, one RowError per bad one."""
import hashlib
import json
from dataclasses import dataclass, field


class ImportFileError(Exception):
    """The file as a whole cannot be read: the job fails and keeps nothing."""


@dataclass(slots=True)
class RowError:
    row: int
    error: str


@dataclass(slots=True)
class SuggestionRecord:
    model_version: str
    result: dict
    confidence: float | None


@dataclass(slots=True)
class TaskRecord:
    row: int
    data: dict
    checksum: str
    # The data as JSON text, when the checksum was computed from it: written as is.
    data_json: str = ""
    meta: dict = field(default_factory=dict)
    media: str = ""
    media_type: str = ""
    duration_s: float | None = None
    sample_rate: int | None = None
    width: int | None = None
    height: int | None = None
    suggestions: list[SuggestionRecord] = field(default_factory=list)

    def __post_init__(self):
        if not self.data_json:
            self.data_json = canonical_json(self.data)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def data_checksum(data: dict) -> str:
    """Same content, same checksum, whatever the key order or whitespace of the source."""
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def data_record(row: int, data: dict, **fields) -> "TaskRecord":
    """A record for row data, serialising it once for both the checksum and the INSERT."""
    text = canonical_json(data)
    return TaskRecord(
        row=row, data=data, data_json=text, checksum=hashlib.sha256(text.encode()).hexdigest(), **fields
    )
