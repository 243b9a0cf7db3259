"""Streaming readers for row files: each yields (row number, object) or a RowError.

Nothing here holds more than one row in memory; a row over IMPORT_MAX_ROW_BYTES is reported and
skipped without being read whole (in a JSON array, one value longer than that refuses the file:
see read_json_array).
"""
import codecs
import csv
import io
import json
from collections.abc import Iterator
from typing import BinaryIO

import ijson
import orjson
from django.conf import settings

from platform_core.imports.records import ImportFileError, RowError

Row = tuple[int, object] | RowError


def sniff_json_container(stream: BinaryIO) -> str:
    """'array' or 'lines' for a .json file, from its first non-blank byte; rewinds the stream."""
    head = stream.read(64 * 1024)
    stream.seek(0)
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"["):
        return "array"
    if text.startswith(b"{"):
        return "lines"
    raise ImportFileError("This is not JSON: a .json file must hold an array of task objects.")


def read_json_lines(stream: BinaryIO) -> Iterator[Row]:
    limit = settings.IMPORT_MAX_ROW_BYTES
    parsed = bad = 0
    for number, line in enumerate(_bounded_lines(stream, limit), start=1):
        if line is None:
            bad += 1
            yield _too_long(number, limit)
            continue
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if not line.strip():
            continue
        try:
            value = _parse_line(line)
        except (ValueError, UnicodeDecodeError) as exc:
            bad += 1
            if not parsed and bad >= 20:
                # Twenty bad lines and not one good: this is some other kind of file.
                raise ImportFileError(NOT_JSON_LINES) from None
            yield RowError(number, f"Invalid JSON: {exc}")
            continue
        parsed += 1
        yield number, value
    if bad and not parsed:
        raise ImportFileError(NOT_JSON_LINES)


NOT_JSON_LINES = "This is not a JSON Lines file: no row could be read."
# orjson reads integers past 64 bits as floats (losing digits); a line with a run of 20 digits
# may hold one, and goes to json. Found by mapping digits to "0" and the rest to " " and
# looking for twenty "0"s: 0.6 µs a 100-byte line, where the regex [0-9]{20} took 3 µs.
_DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_TWENTY_DIGITS = b"0" * 20


def _parse_line(line: bytes):
    """One JSON value: orjson's parser (3-4x json's speed); json's for what orjson refuses or
    reads differently, so that errors read as before. NaN and Infinity are not JSON and are
    refused (json would pass them to the database, which refuses the whole batch)."""
    if _TWENTY_DIGITS not in line.translate(_DIGITS_ONLY):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    return json.loads(line, parse_constant=_refuse_constant)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """Lines of at most `limit` bytes; None stands for a longer line, which is skipped."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # drain the rest of the overlong line without keeping it
                rest = stream.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
        else:
            yield line


# ijson's read size, and the slack the single-value guard below allows past the row limit.
ARRAY_READ_BYTES = 64 * 1024
_OPENING = frozenset({"start_map", "start_array"})
_CLOSING = frozenset({"end_map", "end_array"})
# Bytes a token adds to its element as compact JSON, its comma or colon included.
_FIXED_TOKEN_BYTES = {"start_map": 1, "end_map": 2, "start_array": 1, "end_array": 2, "null": 5}


def read_json_array(stream: BinaryIO) -> Iterator[Row]:
    """The elements of a top-level JSON array, built here from ijson's events.

    ijson.items would build each element whole before it could be measured, so elements are
    assembled from the event stream instead, their size counted as they grow: an element past
    IMPORT_MAX_ROW_BYTES is dropped at that point, its remaining events read and discarded, and
    reported as the same row error as an overlong JSON line. Sizes are counted as compact JSON
    (UTF-8 bytes of strings and keys, quotes, commas and colons; whitespace and escapes
    aside). Building in Python runs at about half the speed of ijson.items (C), 15-20 MB/s
    here, still small next to writing the rows.

    What ijson does not allow: its parser hands over a string or number only once it has read
    all of it, so one value longer than the limit cannot be skipped like the rest. The counting
    reader sees that case (more than limit + one read of bytes without an event) and the file
    is refused before that value is read whole.
    """
    limit = settings.IMPORT_MAX_ROW_BYTES
    reader = _CountingReader(stream, most_bytes_between_events=limit + ARRAY_READ_BYTES)
    number = depth = size = 0
    builder = None
    try:
        for event, value in ijson.basic_parse(reader, use_float=True, buf_size=ARRAY_READ_BYTES):
            reader.last_event_at = reader.consumed
            if depth <= 1:
                if depth == 0 or event == "end_array":  # the array itself opens or closes
                    depth = 1 - depth
                    continue
                number += 1
                size = 0
                builder = ijson.ObjectBuilder()
            size += _token_bytes(event, value)
            if event in _OPENING:
                depth += 1
            elif event in _CLOSING:
                depth -= 1
            if builder is not None:
                if size > limit:
                    builder = None  # what was built goes now; the rest is only counted
                else:
                    builder.event(event, value)
            if depth == 1:
                yield _too_long(number, limit) if builder is None else (number, builder.value)
    except _ValueTooLong:
        row = number if depth > 1 else number + 1
        raise ImportFileError(
            f"Row {row} holds a single value longer than {limit} bytes, which cannot be "
            "skipped: the file was not imported."
        ) from None
    except ijson.JSONError as exc:
        raise ImportFileError(f"The JSON array is broken: {exc}") from None
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text.") from None


def _too_long(number: int, limit: int) -> RowError:
    return RowError(number, f"Row is longer than {limit} bytes.")


def _token_bytes(event: str, value) -> int:
    if event == "string" or event == "map_key":
        return (len(value) if value.isascii() else len(value.encode())) + 3
    if event == "number":
        return len(repr(value)) + 1
    if event == "boolean":
        return 5 if value else 6
    return _FIXED_TOKEN_BYTES[event]


class _ValueTooLong(Exception):
    pass


class _CountingReader:
    """The stream as ijson reads it, counting bytes; refuses to read on once more than
    `most_bytes_between_events` have passed since the last event (one value alone is that long)."""

    def __init__(self, stream: BinaryIO, *, most_bytes_between_events: int):
        self.stream = stream
        self.most_bytes_between_events = most_bytes_between_events
        self.consumed = 0
        self.last_event_at = 0  # set by the event loop: `consumed` when it last saw an event

    def read(self, size: int = -1) -> bytes:
        if self.consumed - self.last_event_at > self.most_bytes_between_events:
            raise _ValueTooLong
        data = self.stream.read(size)
        self.consumed += len(data)
        return data


def read_csv(stream: BinaryIO) -> Iterator[Row]:
    csv.field_size_limit(settings.IMPORT_MAX_ROW_BYTES)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(text)
        header = reader.fieldnames
        if not header or not any(name and name.strip() for name in header):
            raise ImportFileError("The CSV file has no header row.")
        if len(set(header)) != len(header):
            raise ImportFileError("The CSV header repeats a column name.")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RowError(reader.line_num, f"Invalid CSV: {exc}")
                continue
            if None in row:
                yield RowError(reader.line_num, "Row has more fields than the header.")
                continue
            # csv.DictReader counts physical lines; the header is line 1, as a spreadsheet shows.
            yield reader.line_num, {k: v for k, v in row.items() if k}
    except UnicodeDecodeError:
        raise ImportFileError("The CSV file is not UTF-8 text.") from None
    finally:
        text.detach()
