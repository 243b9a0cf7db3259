"""Every write of the annotator app: the labeling queue, annotations, the review queue and
verdicts."""
from annotator.services.annotations import annotation_submit, annotation_update
from annotator.services.errors import QueueConflict
from annotator.services.queue import task_claim_next, task_release, task_skip
from annotator.services.review_queue import (
    review_item_claim_next,
    review_item_release,
    review_items_enqueue_submitted,
)
from annotator.services.reviews import review_item_for_verdict, review_record

__all__ = [
    "QueueConflict",
    "annotation_submit",
    "annotation_update",
    "review_item_claim_next",
    "review_item_for_verdict",
    "review_item_release",
    "review_items_enqueue_submitted",
    "review_record",
    "task_claim_next",
    "task_release",
    "task_skip",
]
