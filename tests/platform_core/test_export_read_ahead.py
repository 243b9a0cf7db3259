"""The export's read-ahead thread (platform_core.exports.reader._read_ahead) hands pages over
in order, raises the reader's error in the writer, and stops when the download is dropped."""
import threading

import pytest

from platform_core.exports.reader import _read_ahead


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "export-read-ahead"]


def test_pages_arrive_in_order_and_the_thread_ends():
    assert list(_read_ahead(iter([[1], [2, 3], [4]]))) == [[1], [2, 3], [4]]
    assert readers() == []


def test_an_error_while_reading_is_raised_to_the_writer():
    def pages():
        yield [1]
        raise RuntimeError("connection lost")

    ahead = _read_ahead(pages())
    assert next(ahead) == [1]
    with pytest.raises(RuntimeError, match="connection lost"):
        next(ahead)
    assert readers() == []


def test_a_dropped_download_stops_the_reader_without_reading_on():
    read = []

    def pages():
        for n in range(1000):
            read.append(n)
            yield [n]

    ahead = _read_ahead(pages())
    assert next(ahead) == [0]
    ahead.close()  # what Django does when the client goes away
    assert readers() == []
    assert len(read) <= 3
