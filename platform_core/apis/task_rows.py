"""A task's item fields (TaskItemSerializer, which the queues build on) and the task list's rows.

The list renders its rows from `.values()` dicts with plain functions, not a serializer over
model instances: at 10^6 tasks the database answers a page in well under a millisecond, and
what a page cost was Python's (loading 50 model instances, the prefetch of the suggestions
compiling a window query, a serializer per row: ~15 ms of a 19 ms page). The rows keep the
fields of TaskOutputSerializer / TaskManagerOutputSerializer (the schema still documents those)
and render each value through the same DRF field's `to_representation`;
tests/platform_core/test_task_list_keyset.py checks that a row renders exactly as the detail
serializer renders the same task.
"""
from django.urls import reverse
from rest_framework import serializers

from platform_core.apis.common import PlainOutputSerializer
from platform_core.holdout import suggestion_holdout
from platform_core.models import Prediction
from platform_core.sql import ModelRows, hot_cursor


class TaskItemSerializer(PlainOutputSerializer):
    """A task's item: its fields as the queues and the task list show them (annotator's queue
    serializers add theirs; the list's rows below render the same fields)."""

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


# The columns a row reads (`.values()` names), for everyone and for admins and managers.
TASK_ROW_FIELDS = (
    "id", "project_id", "dataset_id", "data", "meta", "status", "priority", "media",
    "media_type", "duration_s", "sample_rate", "width", "height", "annotation_count",
    "created_at", "accepted_result",
)
TASK_MANAGER_ROW_FIELDS = TASK_ROW_FIELDS + ("gold_result", "locked_by_id", "locked_until")

# Unbound DRF fields: their to_representation reads only settings (time zone, format).
_int, _float, _str = serializers.IntegerField(), serializers.FloatField(), serializers.CharField()
_json, _datetime = serializers.JSONField(), serializers.DateTimeField()

# (output name, `.values()` name, field), in the order the rows have always had.
_ITEM_PLAN = (
    ("id", "id", _int), ("project", "project_id", _int), ("dataset", "dataset_id", _int),
    ("data", "data", _json), ("meta", "meta", _json), ("status", "status", _str),
    ("priority", "priority", _float), ("media_url", None, None),
    ("media_type", "media_type", _str), ("duration_s", "duration_s", _float),
    ("sample_rate", "sample_rate", _int), ("width", "width", _int), ("height", "height", _int),
    ("annotation_count", "annotation_count", _int), ("created_at", "created_at", _datetime),
    ("accepted_result", "accepted_result", _json), ("suggestion", None, None),
)
_MANAGER_PLAN = _ITEM_PLAN + (
    ("gold_result", "gold_result", _json), ("locked_by", "locked_by_id", _int),
    ("locked_until", "locked_until", _datetime),
)


def task_list_rows(rows: list[dict], *, request, project, manager: bool) -> list[dict]:
    """The list's rows of `rows` (`.values(*TASK_ROW_FIELDS)`, or TASK_MANAGER_ROW_FIELDS for
    admins and managers): each with its media URL and latest suggestion. Annotators and
    reviewers do not get the suggestion the queue holds out from annotators."""
    plan = _MANAGER_PLAN if manager else _ITEM_PLAN
    suggestions = latest_suggestions([row["id"] for row in rows])
    holdout_rate = 0.0 if manager else project.suggestion_holdout_rate
    rendered = []
    for row in rows:
        out = {}
        for name, source, field in plan:
            if field is not None:
                value = row[source]
                out[name] = None if value is None else field.to_representation(value)
            elif name == "media_url":
                out[name] = _media_url(request, row)
            else:
                suggestion = suggestions.get(row["id"])
                if suggestion is not None and suggestion_holdout(row["id"], holdout_rate):
                    suggestion = None
                out[name] = suggestion
        rendered.append(out)
    return rendered


def _media_url(request, row) -> str | None:
    if not row["media"]:
        return None
    return request.build_absolute_uri(reverse("task-media", args=[row["id"]]))


_PREDICTIONS = ModelRows(Prediction)
_LATEST_SQL = (
    f"SELECT {_PREDICTIONS.columns('p')} FROM (SELECT {_PREDICTIONS.columns('q')}, ROW_NUMBER() "
    f"OVER (PARTITION BY q.task_id ORDER BY q.created_at DESC, q.id DESC) AS newest "
    f"FROM {Prediction._meta.db_table} q WHERE q.task_id IN ({{ids}})) p WHERE p.newest = 1"
)


def latest_suggestions(task_ids: list[int]) -> dict[int, dict]:
    """{task id: its latest prediction rendered as the list shows it} for the tasks that have
    one: one statement (written once, not compiled by the ORM on every page)."""
    if not task_ids:
        return {}
    sql = _LATEST_SQL.format(ids=", ".join(["%s"] * len(task_ids)))
    with hot_cursor() as cursor:
        cursor.execute(sql, task_ids)
        found = cursor.fetchall()
    suggestions = {}
    for values in found:
        prediction = _PREDICTIONS.instance(values)
        suggestions[prediction.task_id] = _suggestion(prediction)
    return suggestions


def _suggestion(prediction: Prediction) -> dict:
    # SuggestionSerializer's fields (platform_core.apis.tasks), rendered as DRF renders them.
    return {
        "id": prediction.id,
        "model_version": prediction.model_version,
        "result": prediction.result,
        "confidence": None if prediction.confidence is None else float(prediction.confidence),
        "created_at": _datetime.to_representation(prediction.created_at),
    }
