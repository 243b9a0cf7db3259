from django.conf import settings
from django.db import models

from annotator.rollup_models import (  # noqa: F401 (registers them)
    AcceptedTaskRollup,
    AnnotationRollup,
    ReviewRollup,
)
from platform_core.models import Prediction, Task


def copy_task_projects(rows) -> None:
    """Fill each row's copy of its task's project (Annotation.project, Review.project) where
    it is not set: from the task when it is loaded, else from one query for them all. save()
    and bulk_create() call it; hand-written INSERTs set project_id themselves, and the column
    being NOT NULL makes a forgotten one fail at once."""
    _copy_from_parent(rows, "project_id", "task", Task, "project_id")


def copy_review_authors(rows) -> None:
    """Fill Review.author (who wrote the reviewed annotation) where it is not set, as
    copy_task_projects does the project."""
    _copy_from_parent(rows, "author_id", "annotation", Annotation, "annotator_id")


def _copy_from_parent(rows, attname: str, parent: str, parent_model, source: str) -> None:
    missing = [row for row in rows if getattr(row, attname) is None]
    unloaded = set()
    for row in missing:
        if getattr(row, f"{parent}_id") is None:
            continue
        if getattr(type(row), parent).is_cached(row):
            setattr(row, attname, getattr(getattr(row, parent), source))
        else:
            unloaded.add(getattr(row, f"{parent}_id"))
    if unloaded:
        values = dict(parent_model.objects.filter(pk__in=unloaded).values_list("pk", source))
        for row in missing:
            if getattr(row, attname) is None:
                setattr(row, attname, values.get(getattr(row, f"{parent}_id")))


class TaskRowQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self.model.copy_parent_fields(objs)
        return super().bulk_create(objs, *args, **kwargs)


class AnnotationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Annotation(models.Model):
    """One annotator's current answer for one task; earlier answers live in AnnotationVersion."""

    # Indexed below: the task by annotation_task_idx, the annotator by annotation_by_user_idx
    # (which starts with it): one index less to write per submit.
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="annotations", db_index=False
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations",
        db_index=False,
    )
    # The task's project, copied: the metrics read a project's annotations by time from
    # annotation_project_time_idx instead of joining its million tasks (450 -> 80 ms).
    project = models.ForeignKey(
        "platform.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    result = models.JSONField()
    # The suggestion on screen when labeling started; null when none was shown.
    prediction = models.ForeignKey(
        Prediction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_from_suggestion = models.BooleanField(null=True, blank=True)
    # Null when unknown (labels loaded by a script, made elsewhere): time figures leave it out
    # rather than count it as zero seconds.
    lead_time_s = models.FloatField(
        null=True, blank=True, help_text="Active labeling time measured in the browser."
    )
    status = models.CharField(
        max_length=16, choices=AnnotationStatus.choices, default=AnnotationStatus.SUBMITTED
    )
    # Set for gold tasks only: did the answer match the known one?
    gold_correct = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A rejected annotation stays as history; its annotator may label the task again.
            models.UniqueConstraint(
                fields=["task", "annotator"],
                condition=~models.Q(status="rejected"),
                name="one_live_annotation_per_annotator",
            )
        ]
        indexes = [
            models.Index(fields=["annotator", "created_at"], name="annotation_by_user_idx"),
            # The unique constraint's index is partial (rejected annotations are left out), so
            # it cannot serve the foreign key: without this, deleting a task scanned every
            # annotation (95 ms a task at 10^6 annotations; a project purge took minutes).
            models.Index(fields=["task"], name="annotation_task_idx"),
            # Covering: the metrics' read of a project's annotations by time is index-only
            # once the table is vacuumed (the rows carry results and are ~10x wider).
            models.Index(
                fields=["project", "created_at"],
                name="annotation_project_time_idx",
                include=["annotator", "lead_time_s", "changed_from_suggestion", "gold_correct"],
            ),
        ]

    def __str__(self) -> str:
        return f"Annotation {self.pk} of task {self.task_id} by {self.annotator_id}"

    objects = TaskRowQuerySet.as_manager()

    @staticmethod
    def copy_parent_fields(rows) -> None:
        copy_task_projects(rows)

    def save(self, *args, **kwargs):
        self.copy_parent_fields([self])
        super().save(*args, **kwargs)


class AnnotationVersion(models.Model):
    """A result an annotator replaced by editing their own submission."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="versions")
    result = models.JSONField()
    lead_time_s = models.FloatField(null=True, blank=True)  # the annotation's total, as it was
    changed_from_suggestion = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(help_text="When this version was submitted.")

    class Meta:
        ordering = ["-created_at", "-id"]


class TaskSkip(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="one_skip_per_user")]


class ReviewVerdict(models.TextChoices):
    ACCEPT = "accept", "Accept"
    CORRECT = "correct", "Correct"
    REJECT = "reject", "Reject"


class ReviewKind(models.TextChoices):
    ANNOTATION = "annotation", "Annotation"
    SPOT_CHECK = "spot_check", "Spot-check of a machine label"


class Review(models.Model):
    """One verdict, kept for good: who decided what about which result, and what they changed.

    A review of an annotation has `annotation`; a spot-check of an auto-accepted machine label
    has `prediction` (and no annotation). `reviewed_result` is the result as the reviewer saw
    it, `result` the one they accepted or set (null for a reject), `edit` the difference.
    """

    # Task and reviewer are indexed by review_task_idx and review_by_user_idx, which start
    # with them: two index writes less per verdict.
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    # The task's project, copied for the metrics (review_project_time_idx), as on Annotation.
    project = models.ForeignKey(
        "platform.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews"
    )
    # Who wrote the reviewed annotation (null for spot-checks), copied from it: the metrics
    # count verdicts per annotator without joining 200,000 annotations. Not indexed: only a
    # user's deletion looks rows up by it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", db_index=False,
    )
    prediction = models.ForeignKey(
        Prediction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ReviewKind.choices)
    stage = models.PositiveSmallIntegerField(default=1)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews",
        db_index=False,
    )
    verdict = models.CharField(max_length=16, choices=ReviewVerdict.choices)
    reviewed_result = models.JSONField()
    result = models.JSONField(null=True, blank=True)
    # {"metric": "labels_changed" | "span_f1" | "box_iou" | "cer" | "choice_flipped", "value": x}
    edit = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # The machine's confidence, for spot-checks: precision is measured per confidence band.
    confidence = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verdict="reject") | ~models.Q(comment=""),
                name="review_reject_has_comment",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict="reject") | models.Q(result__isnull=False),
                name="review_keeps_final_result",
            ),
        ]
        indexes = [
            models.Index(fields=["task", "created_at"], name="review_task_idx"),
            models.Index(fields=["reviewer", "created_at"], name="review_by_user_idx"),
            # Covering, for the metrics' verdict counts, as annotation_project_time_idx.
            models.Index(
                fields=["project", "kind", "created_at"],
                name="review_project_time_idx",
                include=["author", "stage", "verdict"],
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk} ({self.verdict}) of task {self.task_id}"

    objects = TaskRowQuerySet.as_manager()

    @staticmethod
    def copy_parent_fields(rows) -> None:
        copy_task_projects(rows)
        copy_review_authors(rows)

    def save(self, *args, **kwargs):
        self.copy_parent_fields([self])
        super().save(*args, **kwargs)


class ReviewItem(models.Model):
    """A result waiting for a reviewer: the review queue, one row per pending item.

    Deleted when its verdict is recorded (the Review row is the record), so the table holds
    only what is left to review and the claim walks a short index. `author` is the annotator
    (a reviewer never reviews their own work) and `excluded_reviewer` the first-stage reviewer
    of a second-stage item.
    """

    project = models.ForeignKey(
        "platform.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="review_items")
    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, null=True, blank=True, related_name="review_items"
    )
    prediction = models.ForeignKey(
        Prediction, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ReviewKind.choices)
    stage = models.PositiveSmallIntegerField(default=1)
    # For a second stage: the result the first reviewer passed.
    result = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", db_index=False,
    )
    excluded_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", db_index=False,
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_index=False,
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="annotation", annotation__isnull=False)
                | models.Q(kind="spot_check", prediction__isnull=False),
                name="review_item_has_subject",
            ),
            # One pending item per annotation (or machine label) and stage.
            models.UniqueConstraint(
                fields=["annotation", "stage"],
                condition=models.Q(annotation__isnull=False),
                name="one_review_item_per_annotation",
            ),
            models.UniqueConstraint(
                fields=["task"],
                condition=models.Q(kind="spot_check"),
                name="one_spot_check_item_per_task",
            ),
        ]
        indexes = [
            # next-review walks this from the front, oldest first.
            models.Index(fields=["project", "id"], name="review_queue_idx"),
            models.Index(
                fields=["locked_by", "project", "locked_until"],
                name="review_held_lock_idx",
                condition=models.Q(locked_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Review item {self.pk} ({self.kind}, stage {self.stage}) of task {self.task_id}"
