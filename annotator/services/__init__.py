"""Every write of the annotator app: the queue (claim, skip, release) and annotations."""
from annotator.services.annotations import annotation_submit, annotation_update
from annotator.services.errors import QueueConflict
from annotator.services.queue import task_claim_next, task_release, task_skip

__all__ = [
    "QueueConflict",
    "annotation_submit",
    "annotation_update",
    "task_claim_next",
    "task_release",
    "task_skip",
]
