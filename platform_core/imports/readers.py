"""Streaming readers for row files: each yields (row number, object) or a RowError.

Nothing here holds more than one row in memory; a row over IMPORT_MAX_ROW_BYTES is reported and
skipped without being read whole.
"""
import codecs
import csv
import io
import json
from collections.abc import Iterator
from typing import BinaryIO

import ijson
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
            yield RowError(number, f"Row is longer than {limit} bytes.")
            continue
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if not line.strip():
            continue
        try:
            value = json.loads(line)
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


def read_json_array(stream: BinaryIO) -> Iterator[Row]:
    # ijson's C backend parses incrementally: memory holds one element at a time.
    try:
        for number, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            yield number, item
    except ijson.JSONError as exc:
        raise ImportFileError(f"The JSON array is broken: {exc}") from None
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text.") from None


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
