"""What every demo generator returns, and the seed handling they share (no Django here)."""
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# A Generator, or what seeds one: an int, a sequence of ints (e.g. [seed, index]) or None.
Seed = np.random.Generator | int | Sequence[int] | None


@dataclass(frozen=True)
class DemoItem:
    """One generated item and the answer a careful annotator would give.

    Text types carry their task `data`; media types carry a file (`file_name`, `content`) and
    the importer builds the task data from it. `result` is in the task type's result shape and
    is never part of what gets imported.
    """

    result: dict
    data: dict = field(default_factory=dict)
    file_name: str = ""
    content: bytes = b""
    meta: dict = field(default_factory=dict)


def as_rng(seed: Seed) -> np.random.Generator:
    """A Generator passes through unchanged (its state advances); anything else seeds one."""
    return np.random.default_rng(seed)


def pick(rng: np.random.Generator, options):
    """One element of a sequence (numpy's `choice` would turn strings into numpy scalars)."""
    return options[int(rng.integers(len(options)))]


def distinct(rng: np.random.Generator, make, n: int, tries_per_item: int = 50) -> list:
    """`n` results of `make(rng) -> (data, result)` with pairwise different `data`.

    The importer skips an item whose content it has seen in the project, so a repeat would
    leave the ground truth with a row no task has.
    """
    seen, rows = set(), []
    for _ in range(n * tries_per_item):
        if len(rows) == n:
            break
        data, result = make(rng)
        key = repr(sorted(data.items()))
        if key not in seen:
            seen.add(key)
            rows.append((data, result))
    if len(rows) < n:
        raise ValueError(f"Only {len(rows)} distinct items of {n}: the templates ran out.")
    return rows
