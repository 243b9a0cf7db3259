"""Input and output shapes of the ml_assist API."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml_assist.models import MlJob, MlJobKind, ModelVersion
from platform_core.apis.common import StrictInputSerializer
from platform_core.apis.jobs import JOB_FIELDS, JobOutputSerializer

# A pass over more tasks than this is a pass over the whole project: send no ids.
MAX_TASK_IDS = 100_000


class PrelabelInputSerializer(StrictInputSerializer):
    task_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=MAX_TASK_IDS,
        help_text="Only these tasks of the project (any state). Without it: every open task.",
    )


class TrainInputSerializer(StrictInputSerializer):
    pass


@extend_schema_field({"type": "string", "description": " or ".join(f'"{v}"' for v in MlJobKind.values)})
class JobKindField(serializers.CharField):
    """Not an enum in the schema: drf-spectacular names enums by field name, and a second
    "kind" enum would rename the project's KindEnum (settings.ENUM_NAME_OVERRIDES could
    name both, when someone wants the enum)."""


class MlJobOutputSerializer(JobOutputSerializer):
    detail_route = "ml_api:job-detail"
    kind = JobKindField(read_only=True)
    model_version = serializers.SlugRelatedField(
        slug_field="name", read_only=True,
        help_text="Pre-labeling: the version it predicts with. Training: the version it made.",
    )
    task_count = serializers.SerializerMethodField(help_text="Tasks the job was asked for; null: all open.")

    class Meta:
        model = MlJob
        fields = [*JOB_FIELDS, "kind", "total", "done", "model_version", "task_count"]

    def get_task_count(self, job) -> int | None:
        ids = job.params.get("task_ids") if isinstance(job.params, dict) else None
        return len(ids) if ids else None


class ReliabilityBinSerializer(serializers.Serializer):
    low = serializers.FloatField(help_text="The bin's confidence range, low to high.")
    high = serializers.FloatField()
    n = serializers.IntegerField(help_text="Held-out labels in the bin.")
    confidence = serializers.FloatField(help_text="Their mean confidence.")
    accuracy = serializers.FloatField(help_text="The share of them the version got right.")


class ModelVersionOutputSerializer(serializers.ModelSerializer):
    score = serializers.FloatField(read_only=True, allow_null=True,
                                   help_text="The primary metric on held-out accepted labels.")
    metrics = serializers.DictField(child=serializers.FloatField(), read_only=True)
    reliability = ReliabilityBinSerializer(
        many=True, read_only=True,
        help_text="The reliability curve on the held-out labels, per confidence bin that holds any.",
    )

    class Meta:
        model = ModelVersion
        fields = [
            "id", "name", "task_type", "predictor", "trained_on", "primary_metric", "score",
            "metrics", "ece", "reliability", "is_active", "created_at",
        ]


class PrecisionSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="null until a sample is reviewed")
    low = serializers.FloatField(help_text="95% Wilson interval")
    high = serializers.FloatField()
    n = serializers.IntegerField(help_text="Reviewed auto-accepted labels it is measured on.")


class RoutingOutputSerializer(serializers.Serializer):
    auto_accept_threshold = serializers.FloatField(allow_null=True)
    target_precision = serializers.FloatField()
    review_sample_rate = serializers.FloatField()
    precision = PrecisionSerializer()


class TrainingLabelsOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tasks whose label the next training learns from.")
    includes_unreviewed = serializers.BooleanField(
        help_text="Submissions no reviewer has decided on count too (train_on_unreviewed)."
    )


class ProjectModelsOutputSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    active = serializers.CharField(allow_null=True, help_text="Name of the active version.")
    routing = RoutingOutputSerializer()
    training_labels = TrainingLabelsOutputSerializer()
    version_count = serializers.IntegerField()
    versions = ModelVersionOutputSerializer(many=True, help_text="Newest first, at most 100.")
