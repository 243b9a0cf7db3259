"""Input and output shapes of the queue and annotation API.

Nothing here shows an annotator that a task is gold: not the gold result, not whether their
answer matched it. Managers read gold accuracy as aggregates only.
"""
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from annotator.models import AnnotationStatus
from platform_core.apis.common import PlainOutputSerializer, StrictInputSerializer
from platform_core.apis.task_rows import TaskItemSerializer

# A day of active time on one item is a stuck timer, not work; it would distort cost metrics.
MAX_LEAD_TIME_S = 24 * 3600

CONFLICT_RESPONSE = OpenApiResponse(
    description='{"detail": "…", "code": "locked_by_other" | "not_locked" | "already_annotated" '
    '| "overlap_full" | "closed" | "reviewed", "annotation": id (with already_annotated)}'
)

RESULT_HELP = (
    "One shape per task type (DESIGN.md), e.g. {\"labels\": [\"positive\"]}. Validated against "
    "the project's label_config; a 400 names the path: {\"result\": [\"spans[1].end: …\"]}."
)


@extend_schema_field({"type": "object", "additionalProperties": True})
class ResultField(serializers.JSONField):
    pass


class SuggestionOutputSerializer(PlainOutputSerializer):
    id = serializers.IntegerField()
    model_version = serializers.CharField()
    result = ResultField()
    confidence = serializers.FloatField(allow_null=True, help_text="Calibrated, 0..1.")
    created_at = serializers.DateTimeField()


class ReviewNoteOutputSerializer(serializers.Serializer):
    comment = serializers.CharField()
    reviewer = serializers.CharField(help_text="The reviewer's username.")
    created_at = serializers.DateTimeField()


class TaskItemOutputSerializer(TaskItemSerializer):
    """A task's item as the labeling and review queues serve it (plain fields, not a
    ModelSerializer: this renders every next-task answer)."""


class QueueTaskOutputSerializer(TaskItemOutputSerializer):
    """The task as GET /api/v1/tasks/{id}/ shows it to an annotator, plus the lock's expiry."""

    suggestion = serializers.SerializerMethodField(help_text="The latest prediction, or null.")
    lock_expires_at = serializers.DateTimeField(
        source="locked_until", help_text="The task is yours until then; asking again renews it."
    )
    review_note = serializers.SerializerMethodField(
        help_text="Why a reviewer sent this task back to labeling, or null."
    )

    @extend_schema_field(SuggestionOutputSerializer(allow_null=True))
    def get_suggestion(self, task):
        """From the context (the view reads it through a selector), not a query per render."""
        suggestion = self.context["suggestion"]
        return None if suggestion is None else SuggestionOutputSerializer(suggestion).data

    @extend_schema_field(ReviewNoteOutputSerializer(allow_null=True))
    def get_review_note(self, task):
        note = self.context.get("review_note")
        return None if note is None else ReviewNoteOutputSerializer(note).data


class EmptyInputSerializer(StrictInputSerializer):
    """No fields: the queue decides. Any key sent is a 400, never silently ignored."""


class AnnotationSubmitInputSerializer(StrictInputSerializer):
    result = ResultField(help_text=RESULT_HELP)
    lead_time_s = serializers.FloatField(
        min_value=0,
        max_value=MAX_LEAD_TIME_S,
        required=False,
        allow_null=True,
        default=None,
        help_text="Active seconds spent labeling; missing or null when unknown (labels made "
        "elsewhere and loaded by a script). Unknown times are left out of time figures, "
        "never counted as zero.",
    )
    prediction = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="The suggestion the annotator started from (its id), or null.",
    )


class AnnotationUpdateInputSerializer(StrictInputSerializer):
    refused_fields = {
        "prediction": "The suggestion an annotation started from cannot change.",
        "task": "Read-only.",
        "status": "Set by review.",
    }

    result = ResultField(help_text=RESULT_HELP)
    lead_time_s = serializers.FloatField(
        min_value=0,
        max_value=MAX_LEAD_TIME_S,
        required=False,
        default=0.0,
        help_text="Active seconds spent on this edit; added to the annotation's total.",
    )


class ReleaseInputSerializer(StrictInputSerializer):
    lock_expires_at = serializers.DateTimeField(
        required=False,
        help_text="The lease being given up, as next-task returned it. If the lock was renewed "
        "since (a newer page of yours claimed the task again), nothing is released.",
    )


class SkipInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class AnnotationVersionOutputSerializer(serializers.Serializer):
    result = ResultField()
    lead_time_s = serializers.FloatField(allow_null=True, help_text="null when unknown.")
    changed_from_suggestion = serializers.BooleanField(allow_null=True)
    created_at = serializers.DateTimeField(help_text="When this version was submitted.")


class AnnotationOutputSerializer(PlainOutputSerializer):
    """An annotation as its author sees it; never whether a gold answer matched."""

    id = serializers.IntegerField()
    task = serializers.IntegerField(source="task_id")
    annotator = serializers.IntegerField(source="annotator_id")
    result = ResultField()
    prediction = serializers.IntegerField(
        source="prediction_id", allow_null=True, help_text="The suggestion it started from."
    )
    changed_from_suggestion = serializers.BooleanField(
        allow_null=True, help_text="null when it started from no suggestion."
    )
    lead_time_s = serializers.FloatField(
        allow_null=True, help_text="Active seconds, edits included; null when unknown."
    )
    status = serializers.ChoiceField(choices=AnnotationStatus.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AnnotationDetailOutputSerializer(AnnotationOutputSerializer):
    # The nested history needs DRF's own rendering; this one is not on the labeling loop.
    to_representation = serializers.Serializer.to_representation

    history = AnnotationVersionOutputSerializer(
        source="versions.all", many=True, help_text="Earlier results, newest first."
    )


class ProgressOutputSerializer(serializers.Serializer):
    done_today = serializers.IntegerField(help_text="Your annotations here since 00:00 UTC.")
    left = serializers.IntegerField(help_text="Tasks still open for labeling.")
    total = serializers.IntegerField(help_text="All tasks of the project.")


class GoldAccuracyRowSerializer(serializers.Serializer):
    annotator = serializers.IntegerField()
    username = serializers.CharField()
    gold_answered = serializers.IntegerField()
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(help_text="correct / gold_answered")


class GoldAccuracyOutputSerializer(serializers.Serializer):
    annotators = GoldAccuracyRowSerializer(many=True)
