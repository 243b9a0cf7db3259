from django.db import models

from platform_core.models.tasks import Task


class Prediction(models.Model):
    """A machine suggestion for a task.

    `model_version` names what made it: "imported" for predictions that came with the data, or
    the name of an ml_assist model version. It is a name, not a foreign key, so the platform
    does not depend on ml_assist; one prediction per (task, model version) makes a re-run of
    pre-labeling a no-op.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.CharField(max_length=100)
    result = models.JSONField()
    confidence = models.FloatField(null=True, blank=True, help_text="Calibrated, 0..1.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "model_version"], name="one_prediction_per_task_and_version"
            )
        ]

    def __str__(self) -> str:
        return f"Prediction {self.pk} ({self.model_version}) for task {self.task_id}"
