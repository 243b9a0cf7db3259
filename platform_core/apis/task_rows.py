"""The task list's rows: the fields of TaskOutputSerializer / TaskManagerOutputSerializer (the
schema still documents those), rendered through PlainOutputSerializer.

A ModelSerializer builds and deep-copies its fields for every object, and the nested suggestion
serializer does it again: ~0.4 ms a row, 20 ms for a page of 50, more than the page's queries
at 10^6 tasks. tests/platform_core/test_task_list_keyset.py checks that a row renders exactly
as the detail serializer renders the same task.
"""
from django.urls import reverse
from rest_framework import serializers

from platform_core.apis.common import PlainOutputSerializer
from platform_core.holdout import suggestion_holdout


class SuggestionRowSerializer(PlainOutputSerializer):
    id = serializers.IntegerField()
    model_version = serializers.CharField()
    result = serializers.JSONField()
    confidence = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()


class TaskItemSerializer(PlainOutputSerializer):
    """A task's item: its fields as the queues and the task list show them (annotator's queue
    serializers and the rows below add theirs)."""

    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    dataset = serializers.IntegerField(source="dataset_id", allow_null=True)
    data = serializers.JSONField()
    meta = serializers.JSONField()
    status = serializers.CharField()
    priority = serializers.FloatField()
    media_url = serializers.SerializerMethodField(help_text="Served to members only.")
    media_type = serializers.CharField()
    duration_s = serializers.FloatField(allow_null=True)
    sample_rate = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    annotation_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_media_url(self, task) -> str | None:
        if not task.media:
            return None
        return self.context["request"].build_absolute_uri(reverse("task-media", args=[task.pk]))


class TaskRowSerializer(TaskItemSerializer):
    accepted_result = serializers.JSONField(allow_null=True)
    suggestion = serializers.SerializerMethodField()

    # Annotators must not find through the API the suggestion their queue hides from them.
    hides_held_out_suggestions = True

    def get_suggestion(self, task):
        if self.hides_held_out_suggestions and suggestion_holdout(
            task.pk, task.project.suggestion_holdout_rate
        ):
            return None
        latest = task.latest_predictions  # with_latest_suggestion prefetched it
        return SuggestionRowSerializer().to_representation(latest[0]) if latest else None


class TaskManagerRowSerializer(TaskRowSerializer):
    hides_held_out_suggestions = False
    gold_result = serializers.JSONField(allow_null=True)
    locked_by = serializers.IntegerField(source="locked_by_id", allow_null=True)
    locked_until = serializers.DateTimeField(allow_null=True)
