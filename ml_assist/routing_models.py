"""What confidence routing decided for a task, and what the spot-check found.

Imported by ml_assist/models.py so that the app registers it (and its migration includes it).
One row per task that went past human labeling: a task is auto-accepted at most once, so the
reviewed verdicts stay as evidence of the machine's precision even after the task is relabeled.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from platform_core.models import Prediction, Task

unit_interval = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class RoutingVerdict(models.TextChoices):
    CORRECT = "correct", "Correct"
    INCORRECT = "incorrect", "Incorrect"


class RoutingDecision(models.Model):
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="routing_decision")
    # The suggestion that was auto-accepted; null if it was deleted since.
    prediction = models.ForeignKey(
        Prediction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confidence = models.FloatField(validators=unit_interval)
    threshold = models.FloatField(
        validators=unit_interval, help_text="The project's auto_accept_threshold at the time."
    )
    sampled_for_review = models.BooleanField(default=False)
    verdict = models.CharField(
        max_length=16, choices=RoutingVerdict.choices, null=True, blank=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0),
                name="routing_confidence_unit_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict__isnull=True, reviewed_at__isnull=True)
                | models.Q(verdict__isnull=False, reviewed_at__isnull=False),
                name="routing_verdict_has_time",
            ),
        ]
        indexes = [
            # The spot-check queue: sampled, not yet reviewed; most rows never match.
            models.Index(
                fields=["id"],
                name="routing_pending_review_idx",
                condition=models.Q(sampled_for_review=True, verdict__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Routing of task {self.task_id} at {self.confidence:.2f}"
