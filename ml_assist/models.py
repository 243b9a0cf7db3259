"""Model versions (what the built-in predictor learned, and how good it measured) and ML jobs
(pre-labeling and training runs on the worker, as rows the API and pages poll)."""
from django.conf import settings
from django.db import models

from ml_assist.routing_models import (  # noqa: F401 (registers them)
    RoutingDecision,
    RoutingPolicy,
    RoutingVerdict,
    ThresholdEvent,
)
from platform_core.models import Project
from platform_core.models.jobs import OPEN_JOB_STATUSES, Job, JobStatus  # noqa: F401 (their home)


def artifact_path(version: "ModelVersion", filename: str) -> str:
    return f"projects/{version.project_id}/models/{filename}"


class ModelVersion(models.Model):
    """One trained (or, for voice activity detection, label-free) predictor of a project.

    `name` is what predictions carry in `Prediction.model_version` ("builtin-v3"). The artifact
    is the predictor's pickled bytes in Django storage; `artifact_signature` is their
    HMAC-SHA256 under a key derived from SECRET_KEY, checked before anything is unpickled
    (ml_assist.artifacts).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    name = models.CharField(max_length=100)
    task_type = models.CharField(max_length=32)
    predictor = models.CharField(max_length=100, help_text="Estimator class, e.g. TextClassifier.")
    trained_on = models.PositiveIntegerField(default=0, help_text="Accepted labels it learned from.")
    primary_metric = models.CharField(max_length=32, blank=True)
    metrics = models.JSONField(
        default=dict, blank=True, help_text="Measured on held-out accepted labels."
    )
    ece = models.FloatField(null=True, blank=True, help_text="Expected calibration error.")
    # The reliability curve on the held-out labels: [{"low", "high", "n", "confidence",
    # "accuracy"}] per confidence bin that holds any (ml_assist.thresholds.reliability_bins).
    reliability = models.JSONField(default=list, blank=True)
    artifact = models.FileField(upload_to=artifact_path, max_length=500)
    artifact_signature = models.CharField(max_length=64)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="model_version_name_per_project"),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(is_active=True),
                name="one_active_model_version_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} of project {self.project_id}"

    @property
    def score(self) -> float | None:
        value = self.metrics.get(self.primary_metric) if isinstance(self.metrics, dict) else None
        return float(value) if isinstance(value, int | float) else None


class MlJobKind(models.TextChoices):
    PRELABEL = "prelabel", "Pre-label"
    TRAIN = "train", "Train"


MlJobStatus = JobStatus


class MlJob(Job):
    """A pre-labeling or training run. `params` holds what it was asked ({"task_ids": [...]},
    {"labels": n, "trigger": "auto", "prelabel_after": true}); `model_version` is the version a
    pre-labeling pass uses (fixed at its start, so a redelivered job goes on with the same one)
    or the version a training produced."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ml_jobs")
    kind = models.CharField(max_length=16, choices=MlJobKind.choices)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(Job.Meta):
        constraints = [
            # At most one training per project at a time: a second insert fails in the database
            # however many web processes or signal handlers race to start one.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(kind="train", status__in=["queued", "running"]),
                name="one_open_training_job_per_project",
            )
        ]
        indexes = [
            *Job.Meta.indexes,
            models.Index(fields=["project", "kind", "created_at"], name="ml_job_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} job {self.pk} of project {self.project_id}"

    @property
    def progress(self) -> float:
        if self.is_finished:
            return 1.0
        if not self.total:
            return 0.0
        return min(self.done / self.total, 0.99)
