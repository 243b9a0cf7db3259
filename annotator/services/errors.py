class QueueConflict(Exception):
    """The request is well formed but the task's state forbids it (the API answers 409).

    `code` tells a client what to do next: `locked_by_other` and `not_locked` (ask for the next
    task), `already_annotated` (edit the annotation instead; its id is in `annotation`),
    `overlap_full` and `closed` (the task needs no more labels), `reviewed` (too late to edit),
    `in_review` (a reviewer holds it now), `not_pending` (nothing to review there).
    """

    def __init__(self, message: str, *, code: str, annotation: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.annotation = annotation
