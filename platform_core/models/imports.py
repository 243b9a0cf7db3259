from django.conf import settings
from django.db import models

from platform_core.models.jobs import Job, JobStatus
from platform_core.models.projects import Dataset, Project

ImportStatus = JobStatus


def import_upload_path(job: "ImportJob", filename: str) -> str:
    return f"projects/{job.project_id}/imports/{filename}"


class ImportJob(Job):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=import_upload_path, max_length=500)
    file_size = models.BigIntegerField(default=0)
    # Rows read so far (good, duplicate or bad); `file_position` / `file_size` is the progress.
    total = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='[{"row": n, "error": "…"}]')
    file_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source_name}"

    @property
    def progress(self) -> float:
        if self.is_finished:
            return 1.0
        if not self.file_size:
            return 0.0
        return min(self.file_position / self.file_size, 0.99)
