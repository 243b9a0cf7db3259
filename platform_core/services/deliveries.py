"""Delivering a custom project: its final export is written by the worker and kept, with its
checksum, under `deliveries/` (outside the project's folder); an admin may then purge the
project's data through the ordinary purge job. The ProjectDelivery row is the audit record of
both steps and outlives the project. Product datasets are never purged this way: they are the
vendor's own data, sold again."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from platform_core.exports import ExportOptions
from platform_core.models import (
    Dataset,
    ExportPurpose,
    ImportJob,
    Project,
    ProjectDelivery,
    ProjectKind,
    Task,
    TaskStatus,
)
from platform_core.models.jobs import JobStatus
from platform_core.services.exports import export_job_create
from platform_core.services.projects import project_delete

PRODUCT_REFUSED = (
    "Product datasets are kept and sold again: they are not delivered and purged. Export them "
    "instead."
)


@transaction.atomic
def project_deliver(*, project: Project, user, format: str = "jsonl") -> ProjectDelivery:
    """Queue the final export of a custom project (accepted tasks with their annotations) and
    record the delivery. ValidationError for a product dataset or a format the type lacks."""
    if project.kind != ProjectKind.CUSTOM:
        raise ValidationError({"project": PRODUCT_REFUSED})
    job = export_job_create(
        project=project,
        user=user,
        options=ExportOptions(format=format, accepted_only=True, annotations=True),
        purpose=ExportPurpose.DELIVERY,
    )
    return ProjectDelivery.objects.create(
        organization_id=project.organization_id,
        project=project,
        project_name=project.name,
        export_job=job,
        delivered_by=user,
        delivered_by_username=user.get_username(),
        counts=_counts(project),
    )


@transaction.atomic
def delivery_purge(*, delivery: ProjectDelivery, user, confirm: str) -> ProjectDelivery:
    """Purge the delivered project's tasks, annotations and media (project_delete: the purge
    job) and record who did it, what was removed and what remains.

    ValidationError unless the delivery's export succeeded, the project is still there and a
    custom project, and `confirm` is the project's name typed out.
    """
    delivery = ProjectDelivery.objects.select_for_update().select_related("export_job").get(
        pk=delivery.pk
    )
    project = Project.objects.select_for_update().filter(pk=delivery.project_id, deleting=False).first()
    if delivery.purged_at is not None or project is None:
        raise ValidationError({"delivery": "This project's data was purged already."})
    if project.kind != ProjectKind.CUSTOM:
        raise ValidationError({"project": PRODUCT_REFUSED})
    export = delivery.export_job
    if export.status != JobStatus.SUCCEEDED:
        raise ValidationError(
            {"delivery": f"The delivery export is {export.status}: purge once it has succeeded."}
        )
    if confirm != project.name:
        raise ValidationError({"confirm": "Type the project's name exactly to confirm the purge."})
    removed = {
        **_counts(project),
        "media_files": Task.objects.filter(project=project).exclude(media="").count(),
        "datasets": Dataset.objects.filter(project=project).count(),
        "imports": ImportJob.objects.filter(project=project).count(),
    }
    project_delete(project=project)
    delivery.purged_by, delivery.purged_by_username = user, user.get_username()
    delivery.purged_at = timezone.now()
    delivery.purge = {
        "removed": removed,
        "remains": [
            f"the delivery file {export.file.name} ({export.file_size} bytes, sha256 {export.checksum})",
            "this record",
        ],
    }
    delivery.save(update_fields=["purged_by", "purged_by_username", "purged_at", "purge"])
    return delivery


def _counts(project: Project) -> dict:
    accepted = (TaskStatus.ACCEPTED, TaskStatus.AUTO_ACCEPTED)
    totals = Task.objects.filter(project=project).aggregate(
        tasks=Count("id"),
        accepted=Count("id", filter=Q(status__in=accepted)),
        annotated=Count("id", filter=Q(annotation_count__gt=0)),
    )
    return totals
