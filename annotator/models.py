from django.conf import settings
from django.db import models

from platform_core.models import Prediction, Task


class AnnotationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Annotation(models.Model):
    """One annotator's current answer for one task; earlier answers live in AnnotationVersion."""

    # Both served by the composite indexes below (one_annotation_per_annotator starts with the
    # task, annotation_by_user_idx with the annotator): one index less to write per submit.
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="annotations", db_index=False
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations",
        db_index=False,
    )
    result = models.JSONField()
    # The suggestion on screen when labeling started; null when none was shown.
    prediction = models.ForeignKey(
        Prediction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_from_suggestion = models.BooleanField(null=True, blank=True)
    lead_time_s = models.FloatField(help_text="Active labeling time measured in the browser.")
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
            models.UniqueConstraint(fields=["task", "annotator"], name="one_annotation_per_annotator")
        ]
        indexes = [models.Index(fields=["annotator", "created_at"], name="annotation_by_user_idx")]

    def __str__(self) -> str:
        return f"Annotation {self.pk} of task {self.task_id} by {self.annotator_id}"


class AnnotationVersion(models.Model):
    """A result an annotator replaced by editing their own submission."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="versions")
    result = models.JSONField()
    lead_time_s = models.FloatField()
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
