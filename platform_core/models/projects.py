from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from platform_core.label_config import validate_label_config
from platform_core.models.jobs import Job
from platform_core.models.organizations import Organization

unit_interval = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class TaskType(models.TextChoices):
    TEXT_CLASSIFICATION = "text_classification", "Text classification"
    TEXT_SPANS = "text_spans", "Text spans (NER)"
    PREFERENCE = "preference", "Preference (RLHF)"
    SFT = "sft", "Supervised fine-tuning response"
    IMAGE_CLASSIFICATION = "image_classification", "Image classification"
    IMAGE_BOXES = "image_boxes", "Image bounding boxes"
    AUDIO_CLASSIFICATION = "audio_classification", "Audio classification"
    AUDIO_TRANSCRIPTION = "audio_transcription", "Audio transcription"


MEDIA_KIND_BY_TYPE = {
    TaskType.IMAGE_CLASSIFICATION: "image",
    TaskType.IMAGE_BOXES: "image",
    TaskType.AUDIO_CLASSIFICATION: "audio",
    TaskType.AUDIO_TRANSCRIPTION: "audio",
}


class ProjectKind(models.TextChoices):
    PRODUCT = "product", "Product dataset"
    CUSTOM = "custom", "Custom project"


class QueueOrder(models.TextChoices):
    SEQUENTIAL = "sequential", "Sequential"
    RANDOM = "random", "Random"
    UNCERTAINTY = "uncertainty", "Model uncertainty first"


class Project(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    task_type = models.CharField(max_length=32, choices=TaskType.choices)
    label_config = models.JSONField(default=dict, blank=True)
    guidelines = models.TextField(blank=True, help_text="Markdown shown to annotators.")
    kind = models.CharField(max_length=16, choices=ProjectKind.choices, default=ProjectKind.CUSTOM)
    overlap = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Annotations wanted per task from distinct annotators.",
    )
    queue_order = models.CharField(
        max_length=16, choices=QueueOrder.choices, default=QueueOrder.SEQUENTIAL
    )
    review_sample_rate = models.FloatField(
        default=0.1,
        validators=unit_interval,
        help_text="Share of auto-accepted machine labels a reviewer spot-checks.",
    )
    annotation_review_rate = models.FloatField(
        default=1.0,
        validators=unit_interval,
        help_text="Share of submitted tasks whose annotations go to review; 1 reviews all.",
    )
    second_review_rate = models.FloatField(
        default=0.0,
        validators=unit_interval,
        help_text="Share of reviewed items that a second, different reviewer must also accept.",
    )
    train_on_unreviewed = models.BooleanField(
        default=False,
        help_text="Also train on submissions no reviewer has decided on (for projects without "
        "reviewers); otherwise only reviewed labels train the model.",
    )
    auto_accept_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=unit_interval,
        help_text="Suggestions at or above this confidence skip labeling; empty turns it off.",
    )
    target_precision = models.FloatField(default=0.95, validators=unit_interval)
    suggestion_holdout_rate = models.FloatField(default=0.05, validators=unit_interval)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # A server speaking the Label Studio ML backend protocol, instead of or beside ours.
    model_server_url = models.URLField(max_length=500, blank=True)
    use_builtin_model = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by project_delete: hidden from everyone at once while the worker purges its rows and
    # files (project_purge), which takes minutes for a million tasks.
    deleting = models.BooleanField(default=False, editable=False)
    # Set by project_archive: hidden from annotators and reviewers (no more labeling), kept
    # whole for managers and exports; project_unarchive clears it.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A project being purged frees its name for a new one straight away.
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=models.Q(deleting=False),
                name="project_name_per_org",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_label_config(self.task_type, self.label_config)

    @property
    def media_kind(self) -> str | None:
        return MEDIA_KIND_BY_TYPE.get(self.task_type)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class LabelRenameJob(Job):
    """Rewrites the label values stored in a project's results (`renames`: {old: new}) after
    its label config renamed them (platform_core.services.label_changes)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="label_renames")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    renames = models.JSONField(help_text="{old value: new value}")
    # Stored results rewritten so far (rows of every kind: annotations, predictions, ...).
    rewritten = models.PositiveIntegerField(default=0)

    class Meta(Job.Meta):
        pass

    def __str__(self) -> str:
        return f"Label rename {self.pk} of project {self.project_id}"

    @property
    def progress(self) -> float:
        return 1.0 if self.is_finished else 0.0


class Dataset(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=255)
    source = models.CharField(max_length=255, blank=True, help_text="File name or 'api'.")
    task_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
