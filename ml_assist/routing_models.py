"""What confidence routing decided for a task and what the spot-check found; the project's
routing policy; every move of the threshold with its evidence.

Imported by ml_assist/models.py so that the app registers them (and its migrations include them).
RoutingDecision: one row per task that went past human labeling, auto-accepted or (`exploration`)
sent from just under the threshold to a reviewer; a task is routed at most once, so the reviewed
verdicts stay as evidence of the machine's precision even after the task is relabeled.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from platform_core.models import Prediction, Project, Task

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
    # From the exploration band just under the threshold: not auto-accepted, sent to a reviewer
    # (the task is `submitted`), whose verdicts certify the band before the threshold moves down.
    exploration = models.BooleanField(default=False)
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


class RoutingPolicy(models.Model):
    """ml_assist's own settings of a project's routing (the threshold itself is the project's
    `auto_accept_threshold`). Projects without a row use the field defaults."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="routing_policy")
    apply_proposals = models.BooleanField(
        default=False,
        help_text="Set the threshold to each newly activated version's proposal by itself.",
    )
    exploration_width = models.FloatField(
        default=0.05,
        validators=[MinValueValidator(0.005), MaxValueValidator(0.5)],
        help_text="Width of the confidence band under the threshold that is explored.",
    )
    exploration_rate = models.FloatField(
        default=0.1,
        validators=unit_interval,
        help_text="Share of the band's tasks sent to a reviewer instead of to annotators; 0 "
        "stops lowering.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Routing policy of project {self.project_id}"


class ThresholdEventKind(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPLIED = "applied", "Applied"
    RAISED = "raised", "Raised"
    LOWERED = "lowered", "Lowered"
    SET = "set", "Set by hand"


class ThresholdEvidence(models.TextChoices):
    HELD_OUT = "held_out", "Held-out labels"
    SPOT_CHECKS = "spot_checks", "Spot-checks"
    EXPLORATION = "exploration", "Exploration band"
    NONE = "none", "No evidence"


class ThresholdEvent(models.Model):
    """A proposal or a move of the auto-accept threshold and the evidence behind it: `correct`
    of `n` labels judged, with the 95% Wilson interval [`low`, `high`] of their precision.
    A proposal with `new_threshold` null means the evidence certifies no threshold."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="threshold_events")
    kind = models.CharField(max_length=16, choices=ThresholdEventKind.choices)
    evidence = models.CharField(max_length=16, choices=ThresholdEvidence.choices)
    model_version = models.ForeignKey(
        "ml_assist.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="threshold_events",
    )
    old_threshold = models.FloatField(null=True, blank=True, validators=unit_interval)
    new_threshold = models.FloatField(null=True, blank=True, validators=unit_interval)
    target_precision = models.FloatField(validators=unit_interval)
    n = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    low = models.FloatField(default=0.0, validators=unit_interval)
    high = models.FloatField(default=1.0, validators=unit_interval)
    # Who applied a proposal; null for the machine's own moves.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="threshold_event_project_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(correct__lte=models.F("n")), name="threshold_event_correct_le_n"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} threshold of project {self.project_id}"
