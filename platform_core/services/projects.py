"""Projects: created, changed and deleted by the admins and managers of their organization."""
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from platform_core.jobs import purge_heartbeat, send_quietly
from platform_core.label_config import validate_label_config
from platform_core.models import (
    ExportJob,
    ExportPurpose,
    LabelRenameJob,
    Organization,
    Project,
    Task,
    TaskStatus,
)
from platform_core.services import save_unless_raced
from platform_core.services.label_changes import label_changes_check, label_rename_job_create
from platform_core.signals import queue_order_changed, tasks_reached_overlap

# What may change after creation. `organization` and `task_type` may not: moving a project
# would move its data between customers, and a new task type would make every stored
# result and prediction invalid.
PROJECT_SETTING_FIELDS = frozenset(
    {
        "name",
        "label_config",
        "guidelines",
        "kind",
        "overlap",
        "queue_order",
        "review_sample_rate",
        "annotation_review_rate",
        "second_review_rate",
        "train_on_unreviewed",
        "auto_accept_threshold",
        "target_precision",
        "suggestion_holdout_rate",
        "hourly_rate",
        "model_server_url",
        "use_builtin_model",
    }
)

DUPLICATE_NAME = "This organization already has a project of that name."
# Tasks deleted per transaction by project_purge: with their annotations and predictions a few
# thousand rows, deleted in well under a second.
PURGE_BATCH = 2000
# Tasks re-derived per statement when the overlap changes (SQLite caps a statement's parameters).
OVERLAP_CHUNK = 5000


@transaction.atomic
def project_create(
    *,
    organization: Organization,
    created_by: AbstractBaseUser | None,
    name: str,
    task_type: str,
    label_config: dict | None = None,
    **settings: Any,
) -> Project:
    """`settings` are any of PROJECT_SETTING_FIELDS; the model's defaults fill the rest."""
    _reject_unknown_settings(settings)
    project = Project(
        organization=organization,
        created_by=created_by,
        name=name,
        task_type=task_type,
        label_config={} if label_config is None else label_config,
        **settings,
    )
    _validate(project)
    # A double-clicked "create" passes _validate twice; the constraint decides the second.
    save_unless_raced(project, {"name": DUPLICATE_NAME})
    return project


@transaction.atomic
def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Apply `data` (keys from PROJECT_SETTING_FIELDS) and save; return the project as saved.
    label_config is re-validated against the project's task type, and refused (LabelsInUse,
    with the counts) when it drops labels that stored results use: project_labels_rename
    renames them instead.

    `project` only names the row: it is locked and read again, and only the fields in `data`
    are written. Since the caller loaded it, routing may have raised `auto_accept_threshold`
    (ml_assist.routing.threshold_adjust) or a delete may have set `deleting`; writing every
    column from the caller's copy would undo either. Http404 if the project is being deleted.
    """
    return _update(project=project, data=data, renames={}, user=None)[0]


@transaction.atomic
def project_labels_rename(
    *, project: Project, data: dict[str, Any], renames: dict[str, str], user
) -> tuple[Project, LabelRenameJob | None]:
    """project_update whose new label_config renames labels ({old: new}); the worker rewrites
    the stored results that use the old values (the job returned; None without renames)."""
    if renames and "label_config" not in data:
        raise ValidationError({"label_renames": "A rename comes with the new label_config."})
    return _update(project=project, data=data, renames=renames, user=user)


def _update(*, project: Project, data: dict[str, Any], renames: dict[str, str], user):
    _reject_unknown_settings(data)
    checked_against = None
    if "label_config" in data:
        # Counting the stored results that use a dropped label reads a project's annotations
        # (seconds at a million): done before the row lock, which every new annotation's
        # foreign key would wait for. The lock would not close the race anyway: a submit
        # validated against the old labels may still commit after this change; one validated
        # after it cannot use a dropped label.
        checked_against = _stored_label_config(project)
        _check_labels(project, checked_against, data["label_config"], renames)
    locked = Project.objects.select_for_update().filter(pk=project.pk, deleting=False).first()
    if locked is None:
        raise Http404("No such project.")
    order_changes = "queue_order" in data and data["queue_order"] != locked.queue_order
    old_overlap = locked.overlap
    if "label_config" in data and locked.label_config != checked_against:
        # Another manager changed the labels in between: check against theirs.
        _check_labels(locked, locked.label_config, data["label_config"], renames)
    for field, value in data.items():
        setattr(locked, field, value)
    _validate(locked)
    save_unless_raced(
        locked, {"name": DUPLICATE_NAME}, update_fields=[*sorted(data), "updated_at"]
    )
    if locked.overlap != old_overlap:
        _task_statuses_follow_overlap(locked, old_overlap)
    if order_changes:  # the queue must follow: the tasks' priorities are derived from it
        transaction.on_commit(partial(queue_order_changed.send, sender=Project, project=locked))
    job = label_rename_job_create(project=locked, user=user, renames=renames) if renames else None
    return locked, job


def _stored_label_config(project: Project):
    stored = Project.objects.filter(pk=project.pk, deleting=False).values_list("label_config", flat=True)
    if not stored:
        raise Http404("No such project.")
    return stored[0]


def _check_labels(project: Project, old_config, new_config, renames: dict[str, str]) -> None:
    # The new config's own shape first, so the usage check reads well-formed labels.
    validate_label_config(project.task_type, new_config)
    label_changes_check(project=project, old_config=old_config, new_config=new_config, renames=renames)


@transaction.atomic
def project_archive(*, project: Project) -> Project:
    """Hide the project from annotators and reviewers (no list entry, no next task) and keep
    everything for its managers and exports; project_unarchive undoes it. Deleting is
    project_delete."""
    updated = Project.objects.filter(pk=project.pk, deleting=False, archived_at__isnull=True)
    updated.update(archived_at=timezone.now(), updated_at=timezone.now())
    return _reread(project)


@transaction.atomic
def project_unarchive(*, project: Project) -> Project:
    Project.objects.filter(pk=project.pk, deleting=False).update(
        archived_at=None, updated_at=timezone.now()
    )
    return _reread(project)


def _reread(project: Project) -> Project:
    found = Project.objects.filter(pk=project.pk, deleting=False).first()
    if found is None:
        raise Http404("No such project.")
    return found


def _task_statuses_follow_overlap(project: Project, old_overlap: int) -> None:
    """Lowered: tasks in progress that hold the new number of annotations are submitted (and
    any lock on them released: the task needs no more labels). Raised: submitted tasks short
    of it are open again. Precondition: inside the transaction holding the project's row lock."""
    tasks = Task.objects.filter(project=project)
    if project.overlap > old_overlap:
        tasks.filter(status=TaskStatus.SUBMITTED, annotation_count__lt=project.overlap).update(
            status=TaskStatus.IN_PROGRESS, updated_at=timezone.now()
        )
        return
    reached = tasks.filter(status=TaskStatus.IN_PROGRESS, annotation_count__gte=project.overlap)
    ids = list(reached.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), OVERLAP_CHUNK):
        chunk = ids[start : start + OVERLAP_CHUNK]
        Task.objects.filter(pk__in=chunk).update(
            status=TaskStatus.SUBMITTED, locked_by=None, locked_until=None, updated_at=timezone.now()
        )
        tasks_reached_overlap.send(sender=Project, project=project, task_ids=chunk)


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Hide the project from everyone now and have the worker purge it (project_purge).

    A cascade inside the request would load and delete a million tasks, their annotations and
    predictions in one transaction, far beyond any request timeout.
    """
    project.deleting = True
    project.save(update_fields=["deleting", "updated_at"])
    from platform_core.tasks import project_purge_task  # tasks import this module

    transaction.on_commit(partial(send_quietly, project_purge_task, project.pk))


def project_purge(*, project_id: int, batch_size: int = PURGE_BATCH) -> int:
    """Delete a project marked `deleting` with all it holds, and its files; tasks deleted.

    Tasks go in batches, each its own transaction with Django's cascade (annotations, skips,
    predictions, routing decisions: whatever other apps attach), so memory and lock time stay
    bounded and a purge killed halfway resumes where it stopped. The project row goes last,
    with what remains (datasets, imports, model versions, jobs); then `projects/<id>/` in
    storage: media, uploads and model artifacts.
    """
    project = Project.objects.filter(pk=project_id, deleting=True).first()
    if project is None:
        return 0  # purged already, or never marked
    deleted = 0
    tasks = Task.objects.filter(project_id=project_id).order_by().values_list("id", flat=True)
    while ids := list(tasks[:batch_size]):
        with transaction.atomic():
            Task.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        purge_heartbeat(project_id)  # the sweeper resumes a purge that goes quiet
    with transaction.atomic():
        # Downloads go with the project (their files are in its folder); a delivery's export
        # and record stay (platform_core.services.deliveries).
        ExportJob.objects.filter(project_id=project_id, purpose=ExportPurpose.DOWNLOAD).delete()
        project.delete()
    _delete_folder(default_storage, f"projects/{project_id}")
    return deleted


def _delete_folder(storage, path: str) -> None:
    """Every file under `path` in `storage` (local folders or object-store prefixes)."""
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{path}/{name}")
    for name in folders:
        _delete_folder(storage, f"{path}/{name}")


def _reject_unknown_settings(values: dict[str, Any]) -> None:
    unknown = set(values) - PROJECT_SETTING_FIELDS
    if unknown:
        raise TypeError(f"Not project settings: {', '.join(sorted(unknown))}")


def _validate(project: Project) -> None:
    # full_clean reports the (organization, name) constraint under "__all__"; the caller
    # should hear which field to fix.
    duplicate = (
        Project.objects.filter(
            organization_id=project.organization_id, name=project.name, deleting=False
        )
        .exclude(pk=project.pk)
        .exists()
    )
    if duplicate:
        raise ValidationError({"name": DUPLICATE_NAME})
    project.full_clean()
