"""Exports that run on the worker (a file kept for download) and the delivery of custom
projects: the final export with its checksum, and the audit record of what was delivered and
what was purged afterwards."""
from django.conf import settings
from django.db import models

from platform_core.models.jobs import Job
from platform_core.models.organizations import Organization
from platform_core.models.projects import Project


def export_file_path(job: "ExportJob", filename: str) -> str:
    """Deliveries live outside the project's folder: they outlast the purge of its data."""
    if job.purpose == ExportPurpose.DELIVERY:
        return f"deliveries/{job.organization_id}/{filename}"
    return f"projects/{job.project_id}/exports/{filename}"


class ExportPurpose(models.TextChoices):
    DOWNLOAD = "download", "Download"
    DELIVERY = "delivery", "Delivery"


class ExportJob(Job):
    """An export written by the worker into storage (platform_core.services.exports)."""

    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, related_name="export_jobs"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(
        max_length=16, choices=ExportPurpose.choices, default=ExportPurpose.DOWNLOAD
    )
    format = models.CharField(max_length=32)
    # platform_core.exports.ExportOptions as a dict (format aside).
    options = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to=export_file_path, max_length=500, blank=True)
    file_size = models.BigIntegerField(default=0)
    checksum = models.CharField(max_length=64, blank=True, help_text="sha256 of the file.")
    # Tasks the export selected, counted when it starts.
    total = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.format}) of project {self.project_id}"

    @property
    def progress(self) -> float:
        return 1.0 if self.is_finished else 0.0


class ProjectDelivery(models.Model):
    """The audit record of a custom project's delivery, kept after the project is purged:
    who delivered what (the final export's file, checksum and counts), and who purged the
    project's data afterwards and what remains."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="deliveries")
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    # Copied: the project row goes with the purge; the record must still say what it was.
    project_name = models.CharField(max_length=200)
    export_job = models.OneToOneField(
        ExportJob, on_delete=models.RESTRICT, related_name="delivery"
    )
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    delivered_by_username = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    # Counts at the time of delivery: {"tasks": n, "accepted": n, "annotations": n, ...}.
    counts = models.JSONField(default=dict, blank=True)
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purged_by_username = models.CharField(max_length=150, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    # What the purge removed and what it left: {"removed": {...}, "remains": [...]}.
    purge = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Delivery {self.pk} of {self.project_name}"
