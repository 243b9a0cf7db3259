from django.conf import settings
from django.db import models

from platform_core.models.projects import Dataset, Project


class TaskStatus(models.TextChoices):
    NEW = "new", "New"
    SUGGESTED = "suggested", "Suggested"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    AUTO_ACCEPTED = "auto_accepted", "Auto-accepted"


# States in which a task may be handed to an annotator (while it has free overlap slots).
OPEN_STATUSES = (
    TaskStatus.NEW,
    TaskStatus.SUGGESTED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.REJECTED,
)

class AcceptedSource(models.TextChoices):
    """Where an accepted task's label came from, when the machine's share is in it."""

    MACHINE = "machine", "Machine label kept by a spot-check"
    SUGGESTION = "suggestion", "Suggestion kept unchanged by the annotator and the reviewers"


# States whose label is settled, by people or the machine: what exports deliver by default.
FINAL_STATUSES = (TaskStatus.ACCEPTED, TaskStatus.AUTO_ACCEPTED)


def task_media_path(task: "Task", filename: str) -> str:
    return f"projects/{task.project_id}/media/{filename}"


class Task(models.Model):
    """One item to label.

    Imports write tasks with a raw multi-row INSERT (platform_core.imports.writer); a field
    added here must get a value there too.
    """

    # Indexed through the composite indexes below, which all start with the project.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    data = models.JSONField(help_text="Text, a media reference, or a prompt with responses.")
    meta = models.JSONField(default=dict, blank=True, help_text="Imported metadata, not labeled.")
    media = models.FileField(upload_to=task_media_path, max_length=500, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    # sha256 of the canonical content: one project never holds the same item twice.
    checksum = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.NEW)
    priority = models.FloatField(default=0.0, help_text="Higher is served first.")
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # see the partial index below: most tasks hold no lock
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    annotation_count = models.PositiveIntegerField(default=0)
    # A known answer makes this a gold task; annotators are not told.
    gold_result = models.JSONField(null=True, blank=True)
    # The final label once the task is accepted: what a reviewer accepted or corrected, or the
    # machine label a spot-check confirmed. What training learns from and exports deliver.
    accepted_result = models.JSONField(null=True, blank=True)
    # When the task last became accepted or auto_accepted (a spot-check that confirms an
    # auto-accepted label keeps the machine's time); null while it is neither. Throughput,
    # machine share and ETA count accepted items by it.
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set when the task becomes accepted (annotator.services.reviews), null for a label people
    # made or changed: the machine's share counts tasks by it from the index below instead of
    # matching annotations and corrections at every metrics call.
    accepted_source = models.CharField(
        max_length=16, choices=AcceptedSource.choices, null=True, blank=True
    )
    duration_s = models.FloatField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "checksum"], name="task_unique_checksum")
        ]
        indexes = [
            # next-task walks this in order and takes the first free task: highest priority
            # first, oldest first, only over tasks still open for labeling.
            models.Index(
                "project",
                models.F("priority").desc(),
                "id",
                name="task_open_queue_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["project", "status"], name="task_status_idx"),
            models.Index(fields=["project", "id"], name="task_project_id_idx"),
            # The task list pages by key (platform_core.apis.keyset): the next page of a million
            # tasks by priority or age starts at the previous page's (key, id), read forwards or
            # backwards from here, instead of sorting the project's tasks on every page.
            models.Index(fields=["project", "priority", "id"], name="task_list_priority_idx"),
            models.Index(fields=["project", "created_at", "id"], name="task_list_created_idx"),
            # Exports of accepted tasks read them in id order (platform_core.exports.reader);
            # on the (project, id) index above, each batch of 2,000 also stepped over the ~8,500
            # tasks of other states between them. Partial: written only when a task becomes
            # accepted, not by imports, claims or submits.
            models.Index(
                fields=["project", "id"],
                name="task_final_id_idx",
                condition=models.Q(status__in=FINAL_STATUSES),
            ),
            # The metrics count a window's accepted tasks by status and id. Partial: tasks
            # that are not accepted (most of a running project) and imports pay nothing for
            # it. Covering (PostgreSQL): an index-only read, ~50 ms instead of ~135 ms for
            # 190,000 accepted tasks, for ~4 MB more index.
            models.Index(
                fields=["project", "accepted_at"],
                name="task_accepted_at_idx",
                condition=models.Q(accepted_at__isnull=False),
                include=["status", "accepted_source", "id"],
            ),
            # Whether any task holds overlapping annotations (the metrics' agreement sample is
            # skipped when none does). Partial: empty in projects labeled once per task.
            models.Index(
                fields=["project"],
                name="task_overlapped_idx",
                condition=models.Q(annotation_count__gte=2),
            ),
            # The lock a caller holds in a project (next-task asks first). Partial: an import of
            # a million unlocked tasks pays nothing for it. Every claim and submit rewrites the
            # task's index entries, so the table has no index that no query needs.
            models.Index(
                fields=["locked_by", "project", "locked_until"],
                name="task_held_lock_idx",
                condition=models.Q(locked_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Task {self.pk} of project {self.project_id}"
