"""A task's item fields (TaskItemSerializer, which the queues build on) and the task list's rows.

The list renders its rows with plain functions from the dicts keyset_page reads (the task's
columns and its latest suggestion's, one statement), not with a serializer over model
instances: at 10^6 tasks the database answers a page in under a millisecond, and what a page
cost was Python's (loading 50 model instances, a prefetch compiling a window query, a serializer
per row: ~15 ms of a 19 ms page). The rows keep the fields of TaskOutputSerializer /
TaskManagerOutputSerializer (the schema still documents those), each value rendered as the DRF
field renders it; tests/platform_core/test_task_list_keyset.py checks that a row renders
exactly as the detail serializer renders the same task.
"""
from datetime import datetime

from django.urls import reverse
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from platform_core.apis.common import PlainOutputSerializer
from platform_core.apis.keyset import Joined
from platform_core.holdout import suggestion_holdout
from platform_core.models import Prediction, Task


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
        return media_url(self.context["request"], task_id=task.pk, media=task.media)


def media_url(request, *, task_id: int, media) -> str | None:
    """The member-only link to a task's media file, None for a task without one."""
    if not media:
        return None
    return request.build_absolute_uri(reverse("task-media", args=[task_id]))


# The columns a row reads (`.values()` names), for everyone and for admins and managers.
TASK_ROW_FIELDS = (
    "id", "project_id", "dataset_id", "data", "meta", "status", "priority", "media",
    "media_type", "duration_s", "sample_rate", "width", "height", "annotation_count",
    "created_at", "accepted_result",
)
TASK_MANAGER_ROW_FIELDS = TASK_ROW_FIELDS + ("gold_result", "locked_by_id", "locked_until")

# Each row's latest suggestion (SuggestionSerializer's fields, platform_core.apis.tasks), joined
# to the page's query: the newest prediction by creation, the id breaking ties.
_TASKS, _PREDICTIONS = (f'"{model._meta.db_table}"' for model in (Task, Prediction))
LATEST_SUGGESTION = Joined(
    model=Prediction,
    alias="latest",
    on=f"latest.id = (SELECT p.id FROM {_PREDICTIONS} p WHERE p.task_id = {_TASKS}.id "
    "ORDER BY p.created_at DESC, p.id DESC LIMIT 1)",
    fields=("id", "model_version", "result", "confidence", "created_at"),
    prefix="suggestion__",
)

# How each column renders: as DRF's IntegerField, FloatField and CharField render it (int(),
# float(), str()), as is (JSONField), or as DateTimeField (see _datetime_renderer).
_AS_IS, _DATETIME = "as is", "datetime"
_datetime = serializers.DateTimeField()

# (output name, column, rendering), in the order the rows have always had; no column for the
# media URL and the suggestion.
_ITEM_PLAN = (
    ("id", "id", int), ("project", "project_id", int), ("dataset", "dataset_id", int),
    ("data", "data", _AS_IS), ("meta", "meta", _AS_IS), ("status", "status", str),
    ("priority", "priority", float), ("media_url", None, None),
    ("media_type", "media_type", str), ("duration_s", "duration_s", float),
    ("sample_rate", "sample_rate", int), ("width", "width", int), ("height", "height", int),
    ("annotation_count", "annotation_count", int), ("created_at", "created_at", _DATETIME),
    ("accepted_result", "accepted_result", _AS_IS), ("suggestion", None, None),
)
_MANAGER_PLAN = _ITEM_PLAN + (
    ("gold_result", "gold_result", _AS_IS), ("locked_by", "locked_by_id", int),
    ("locked_until", "locked_until", _DATETIME),
)


def task_list_rows(rows: list[dict], *, request, project, manager: bool) -> list[dict]:
    """The list's rows of `rows` (TASK_ROW_FIELDS, or TASK_MANAGER_ROW_FIELDS for admins and
    managers, and LATEST_SUGGESTION's, as keyset_page reads them), each with its media URL.
    Annotators and reviewers do not get the suggestion the queue holds out from annotators."""
    plan = _MANAGER_PLAN if manager else _ITEM_PLAN
    holdout_rate = 0.0 if manager else project.suggestion_holdout_rate
    render_datetime = _datetime_renderer()
    rendered = []
    for row in rows:
        out = {}
        for name, column, render in plan:
            if column is None:
                if name == "media_url":
                    out[name] = media_url(request, task_id=row["id"], media=row["media"])
                else:
                    out[name] = _suggestion(row, holdout_rate, render_datetime)
                continue
            value = row[column]
            if value is None or render is _AS_IS:
                out[name] = value
            elif render is _DATETIME:
                out[name] = render_datetime(value)
            else:
                out[name] = render(value)
        rendered.append(out)
    return rendered


def _datetime_renderer():
    """DateTimeField.to_representation, with the time zone and the format looked up once a
    page rather than once a value (each lookup goes through a thread-local)."""
    field_timezone = _datetime.default_timezone()
    output_format = api_settings.DATETIME_FORMAT
    if field_timezone is None or not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return _datetime.to_representation

    def render(value) -> str:
        if not isinstance(value, datetime) or value.utcoffset() is None:
            return _datetime.to_representation(value)  # not an aware datetime: as DRF does
        try:
            text = value.astimezone(field_timezone).isoformat()
        except OverflowError:
            return _datetime.to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


def _suggestion(row, holdout_rate: float, render_datetime) -> dict | None:
    # SuggestionSerializer's fields, rendered as DRF renders them.
    if row["suggestion__id"] is None or suggestion_holdout(row["id"], holdout_rate):
        return None
    confidence = row["suggestion__confidence"]
    return {
        "id": row["suggestion__id"],
        "model_version": row["suggestion__model_version"],
        "result": row["suggestion__result"],
        "confidence": None if confidence is None else float(confidence),
        "created_at": render_datetime(row["suggestion__created_at"]),
    }
