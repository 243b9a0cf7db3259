"""Tasks as estimator `Item`s, accepted labels as training examples, and the held-out split."""
import hashlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.core.files.storage import default_storage

from ml_assist.estimators import Item
from ml_assist.selectors import accepted_labels
from platform_core.models import Project, Task
from platform_core.models.projects import MEDIA_KIND_BY_TYPE

logger = logging.getLogger(__name__)

# Task columns an Item is built from.
ITEM_COLUMNS = ("id", "data", "media", "duration_s")
# Share of accepted labels kept out of training to measure each new version.
HOLDOUT_SHARE = 0.2
# Media reads and decodes (PNG, WAV) release the GIL; a few threads overlap storage latency
# (S3 especially) with decoding without holding more than one batch in memory.
MEDIA_THREADS = 4
_SPLIT_SALT = b"ml_assist.holdout"


def task_items(task_type: str, rows: Sequence[tuple]) -> list[Item | None]:
    """Items for rows of ITEM_COLUMNS, in order; None where a task's media cannot be read or
    decoded (its task is skipped and logged, never fatal to the batch)."""
    kind = MEDIA_KIND_BY_TYPE.get(task_type)
    if kind is None:
        return [Item(data=data if isinstance(data, dict) else {}) for _, data, _, _ in rows]
    if len(rows) <= 1:
        return [_media_item(kind, row) for row in rows]
    with ThreadPoolExecutor(max_workers=MEDIA_THREADS) as pool:
        return list(pool.map(lambda row: _media_item(kind, row), rows))


def _media_item(kind: str, row: tuple) -> Item | None:
    task_id, data, media, duration_s = row
    data = dict(data) if isinstance(data, dict) else {}
    if duration_s is not None:
        # Segmenters bound their segments by it; the decoded length is the fallback.
        data.setdefault("duration_s", duration_s)
    if not media:
        logger.warning("Task %s has no media file; skipped", task_id)
        return None
    try:
        with default_storage.open(media, "rb") as handle:
            content = handle.read()
        if kind == "image":
            return Item.from_image_bytes(content, data)
        return Item.from_audio_bytes(content, data)
    except Exception as exc:  # a corrupt or vanished file skips its task, not the whole pass
        logger.warning("Task %s: media %s cannot be decoded (%s); skipped", task_id, media, exc)
        return None


@dataclass
class Examples:
    task_ids: list[int] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, task_id: int, item: Item, result: dict) -> None:
        self.task_ids.append(task_id)
        self.items.append(item)
        self.results.append(result)


def training_examples(*, project: Project) -> Examples:
    """Every accepted label of the project (selectors.accepted_labels: one per task) with its
    task as an Item, media decoded."""
    labels = dict(accepted_labels(project=project))
    examples = Examples()
    ids = sorted(labels)
    # Loaded in slices so that the task rows' JSON is not all in memory twice.
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        rows = list(Task.objects.filter(pk__in=chunk).order_by("id").values_list(*ITEM_COLUMNS))
        for row, item in zip(rows, task_items(project.task_type, rows), strict=True):
            if item is not None:
                examples.add(row[0], item, labels[row[0]])
    return examples


def is_held_out(project_id: int, task_id: int, share: float = HOLDOUT_SHARE) -> bool:
    """A stable share of each project's tasks, by a keyed hash of the ids. Stable matters: a task
    measured on today was never trained on by an earlier version, so comparing the active
    version with a new one on today's held-out labels is fair to both."""
    digest = hashlib.blake2b(f"{project_id}:{task_id}".encode(), digest_size=8, key=_SPLIT_SALT)
    return int.from_bytes(digest.digest(), "big") / 2**64 < share


def split_examples(project_id: int, examples: Examples) -> tuple[Examples, Examples]:
    """(training, held out). With very few labels the hash may hold out none; then the newest
    task's label is held out, so that something is measured whenever there are two."""
    train, held = Examples(), Examples()
    for task_id, item, result in zip(examples.task_ids, examples.items, examples.results):
        (held if is_held_out(project_id, task_id) else train).add(task_id, item, result)
    if not held.items and len(train) >= 2:
        held.add(train.task_ids.pop(), train.items.pop(), train.results.pop())
    return train, held
