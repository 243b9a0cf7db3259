"""Input and output shapes of the review API.

The outputs render through PlainOutputSerializer, and the claimed item by hand from those: DRF
deep-copies the declared fields of every serializer it instantiates, and rendering the claimed
item with its nested serializers took more than twice the CPU it takes plainly. The schema
still comes from the declarations.
"""
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from annotator.apis.serializers import (
    ResultField,
    SuggestionOutputSerializer,
    TaskItemOutputSerializer,
)
from annotator.models import ReviewKind, ReviewVerdict
from platform_core.apis.common import PlainOutputSerializer, StrictInputSerializer

# Longer than any useful note to an annotator, short enough to read on the workspace.
MAX_COMMENT_CHARS = 2000

REVIEW_CONFLICT_RESPONSE = OpenApiResponse(
    description='{"detail": "…", "code": "locked_by_other" | "not_pending"}'
)


class ReviewInputSerializer(StrictInputSerializer):
    verdict = serializers.ChoiceField(choices=ReviewVerdict.choices)
    result = ResultField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The corrected result: required with `correct`, refused otherwise.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_COMMENT_CHARS,
        help_text="Required with `reject`: the annotator reads it when the task comes back.",
    )


class EarlierReviewOutputSerializer(PlainOutputSerializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReviewKind.choices)
    stage = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=ReviewVerdict.choices)
    reviewer = serializers.IntegerField(source="reviewer_id")
    reviewer_username = serializers.CharField(source="reviewer.username")
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewOutputSerializer(EarlierReviewOutputSerializer):
    annotation = serializers.IntegerField(source="annotation_id", allow_null=True)
    task = serializers.IntegerField(source="task_id")
    reviewed_result = ResultField(help_text="The result as the reviewer saw it.")
    result = ResultField(allow_null=True, help_text="The result accepted or set; null on reject.")
    edit = serializers.JSONField(
        allow_null=True, help_text='How much the verdict changed: {"metric": …, "value": …}.'
    )
    confidence = serializers.FloatField(allow_null=True, help_text="The machine's, on spot-checks.")


class VerdictOutputSerializer(ReviewOutputSerializer):
    task_status = serializers.CharField(help_text="The task's status after the verdict.")
    second_stage = serializers.BooleanField(
        default=False, help_text="Sampled for acceptance by a second reviewer."
    )


class ReviewTaskOutputSerializer(TaskItemOutputSerializer):
    gold_result = ResultField(allow_null=True, help_text="The known answer of a gold task.")


class ReviewedAnnotationOutputSerializer(PlainOutputSerializer):
    id = serializers.IntegerField()
    annotator = serializers.IntegerField(source="annotator_id")
    annotator_username = serializers.CharField()
    result = ResultField()
    lead_time_s = serializers.FloatField(allow_null=True, help_text="null when unknown.")
    changed_from_suggestion = serializers.BooleanField(allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MachineOutputSerializer(serializers.Serializer):
    model_version = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)


class ReviewItemOutputSerializer(serializers.Serializer):
    """A claimed review item with everything the reviewer needs to decide."""

    id = serializers.IntegerField(source="item.id")
    kind = serializers.ChoiceField(source="item.kind", choices=ReviewKind.choices)
    stage = serializers.IntegerField(source="item.stage")
    verdict_url = serializers.SerializerMethodField()
    release_url = serializers.SerializerMethodField()
    lock_expires_at = serializers.DateTimeField(source="item.locked_until")
    task = ReviewTaskOutputSerializer()
    annotation = ReviewedAnnotationOutputSerializer(allow_null=True)
    machine = serializers.SerializerMethodField(
        help_text="For a spot-check: the model version that made the label and its confidence."
    )
    suggestion = SuggestionOutputSerializer(allow_null=True)
    result = ResultField(help_text="The result under review.")
    earlier_reviews = EarlierReviewOutputSerializer(many=True)

    # By hand from the plain serializers (see the module docstring); a test holds it to what
    # DRF would render from the declarations above.
    def to_representation(self, subject):
        item, context = subject["item"], self.context
        return {
            "id": item.pk,
            "kind": item.kind,
            "stage": item.stage,
            "verdict_url": self.get_verdict_url(subject),
            "release_url": self.get_release_url(subject),
            "lock_expires_at": _DATETIME.to_representation(item.locked_until),
            "task": ReviewTaskOutputSerializer(subject["task"], context=context).data,
            "annotation": _render(ReviewedAnnotationOutputSerializer, subject["annotation"]),
            "machine": self.get_machine(subject),
            "suggestion": _render(SuggestionOutputSerializer, subject["suggestion"]),
            "result": subject["result"],
            "earlier_reviews": [
                EarlierReviewOutputSerializer(review).data for review in subject["earlier_reviews"]
            ],
        }

    def get_verdict_url(self, subject) -> str:
        item = subject["item"]
        if item.kind == ReviewKind.SPOT_CHECK:
            return reverse("annotator_api:task-spot-check", args=[item.task_id])
        return reverse("annotator_api:annotation-review", args=[item.annotation_id])

    def get_release_url(self, subject) -> str:
        return reverse("annotator_api:review-item-release", args=[subject["item"].pk])

    @extend_schema_field(MachineOutputSerializer(allow_null=True))
    def get_machine(self, subject):
        item, suggestion = subject["item"], subject["suggestion"]
        if item.kind != ReviewKind.SPOT_CHECK or suggestion is None:
            return None
        return {"model_version": suggestion.model_version, "confidence": item.confidence}


_DATETIME = serializers.DateTimeField()  # unbound: its to_representation reads no state


def _render(serializer_class, instance):
    return None if instance is None else serializer_class(instance).data


class ReviewProgressOutputSerializer(serializers.Serializer):
    done_today = serializers.IntegerField(help_text="Your verdicts here since 00:00 UTC.")
    left = serializers.IntegerField(
        help_text="Items waiting in the project that you may review (not your own work)."
    )
    total_reviewed = serializers.IntegerField(help_text="Verdicts the project has had.")
