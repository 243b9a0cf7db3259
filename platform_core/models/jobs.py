"""What every background job row shares: imports (platform_core), pre-labeling and training
(ml_assist). The worker runs them; pages and the API poll them; the sweeper (platform_core.jobs)
re-sends and fails the ones the broker or a dead worker left behind."""
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


OPEN_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    message = models.TextField(blank=True)
    # Times a worker started it; the sweeper fails a job whose worker died this often.
    attempts = models.PositiveSmallIntegerField(default=0)
    # When its message was last handed to the broker (the sweeper re-sends a lost one).
    sent_at = models.DateTimeField(default=timezone.now)
    # Written every few seconds while a worker runs it: a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        indexes = [
            # What the sweeper looks for every half minute: the few jobs not finished.
            models.Index(
                fields=["status"],
                name="%(class)s_open_idx",
                condition=models.Q(status__in=OPEN_JOB_STATUSES),
            )
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
