"""Reading ahead of writing: a file's rows are parsed and converted in a thread while the
caller's thread writes the previous batches, so Python's work and the database's overlap
instead of taking turns.

Bounded: at most `depth` chunks wait between the two, so memory stays constant whatever the
file size. The reading thread touches no database (Django connections are per thread; the
writer's transactions stay on the caller's). An exception while reading reaches the caller
after the chunks read before it, where a serial loop would have met it; a caller that stops
early (an error while writing, a project being deleted) stops the reader too.
"""
import queue
import threading
from collections.abc import Iterable, Iterator

# Chunks in flight: one being written, one ready, one being read fills both cores.
DEFAULT_DEPTH = 2
# A reader blocked on a full queue rechecks this often whether the writer has gone.
_PUT_POLL_S = 0.1
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_ahead(chunks: Iterable[list], *, depth: int = DEFAULT_DEPTH) -> Iterator[list]:
    """The chunks of `chunks`, produced in a thread at most `depth` ahead of the consumer."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(item) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(item, timeout=_PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(chunks)
        try:
            for chunk in source:
                if not put(chunk):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Failed(error))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # here, in the thread that ran it: the file it holds is closed now
        put(_DONE)

    reader = threading.Thread(target=produce, name="import-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stopped.set()
        reader.join()
