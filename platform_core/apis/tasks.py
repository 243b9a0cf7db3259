"""Tasks of a project: filterable from an allow-list, paged by cursor, with the latest suggestion.

Reviewers, managers and admins read every task of their organizations' projects; annotators
only the tasks they hold or labeled (the worker task scope, platform_core.extensions), so the
list cannot be paged through to see work that is not theirs. What gives answers away, the gold
result and who holds the lock, is shown to admins and managers only; they also mark and unmark
gold tasks.
"""
from django.db import connection
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import (
    ApiView,
    StrictInputSerializer,
    query_param,
    reject_unknown_query_params,
)
from platform_core.apis.keyset import (
    DEFAULT_PAGE_SIZE,
    EXACT_COUNT_LIMIT,
    MAX_PAGE_SIZE,
    Cursor,
    Ordering,
    Where,
    bounded_count,
    keyset_page,
)
from platform_core.apis.permissions import IsProjectManager, caller_role, is_manager
from platform_core.apis.task_rows import (
    LATEST_SUGGESTION,
    TASK_MANAGER_ROW_FIELDS,
    TASK_ROW_FIELDS,
    task_list_rows,
)
from platform_core.apis.scoping import (
    task_get_for_user,
    task_get_visible,
    visible_tasks,
)
from platform_core.extensions import task_detail_sections
from platform_core.holdout import suggestion_holdout
from platform_core.models import Prediction, Task, TaskStatus
from platform_core.selectors import project_get_for_user
from platform_core.services.tasks import task_gold_clear, task_gold_set

# Each is served by an index on (project, key, id): see Task.Meta.indexes.
ORDERINGS = ("id", "-id", "priority", "-priority", "created_at", "-created_at")
TASK_LIST_PARAMS = ("status", "dataset", "is_gold", "ordering", "cursor", "page_size", "count")


class SuggestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prediction
        fields = ["id", "model_version", "result", "confidence", "created_at"]


class TaskOutputSerializer(serializers.ModelSerializer):
    media_url = serializers.SerializerMethodField(help_text="Served to members only.")
    suggestion = serializers.SerializerMethodField(help_text="The latest prediction.")

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "dataset",
            "data",
            "meta",
            "status",
            "priority",
            "media_url",
            "media_type",
            "duration_s",
            "sample_rate",
            "width",
            "height",
            "annotation_count",
            "accepted_result",
            "created_at",
            "suggestion",
        ]
        extra_kwargs = {
            "accepted_result": {
                "help_text": "The final label once accepted: what a reviewer accepted or "
                "corrected, or a machine label a spot-check confirmed."
            }
        }

    def get_media_url(self, task) -> str | None:
        if not task.media:
            return None
        return self.context["request"].build_absolute_uri(reverse("task-media", args=[task.pk]))

    # Annotators must not find through the API the suggestion their queue hides from them.
    hides_held_out_suggestions = True

    @extend_schema_field(SuggestionSerializer(allow_null=True))
    def get_suggestion(self, task):
        if self.hides_held_out_suggestions and suggestion_holdout(
            task.pk, task.project.suggestion_holdout_rate
        ):
            return None
        latest = getattr(task, "latest_predictions", None)
        if latest is None:
            latest = list(task.predictions.order_by("-created_at", "-id")[:1])
        return SuggestionSerializer(latest[0]).data if latest else None


class TaskManagerOutputSerializer(TaskOutputSerializer):
    manager_only = "Admins and managers only."
    hides_held_out_suggestions = False
    gold_result = serializers.JSONField(required=False, help_text=manager_only)
    locked_until = serializers.DateTimeField(required=False, help_text=manager_only)
    locked_by = serializers.PrimaryKeyRelatedField(
        read_only=True, required=False, help_text=manager_only
    )

    class Meta(TaskOutputSerializer.Meta):
        fields = TaskOutputSerializer.Meta.fields + ["gold_result", "locked_by", "locked_until"]


def _task_serializer(request, obj):
    return TaskManagerOutputSerializer if is_manager(request, obj) else TaskOutputSerializer


class TaskDetailOutputSerializer(TaskManagerOutputSerializer):
    history = serializers.JSONField(
        required=False,
        help_text="Suggestions, each annotation with its earlier versions and reviews, and the "
        "spot-checks of the machine label; annotators see only their own annotations.",
    )

    class Meta(TaskManagerOutputSerializer.Meta):
        fields = TaskManagerOutputSerializer.Meta.fields + ["history"]


class TaskPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        allow_null=True,
        help_text=f"Tasks matching the filters, on the first page: exact up to "
        f"{EXACT_COUNT_LIMIT:,} or with count=exact (on any page), otherwise null.",
    )
    count_estimate = serializers.IntegerField(
        allow_null=True,
        help_text="The count when exact; above the limit the database planner's estimate "
        "(PostgreSQL), or null. Pages after the first leave both null unless count=exact.",
    )
    next = serializers.URLField(allow_null=True, help_text="The next page, or null at the end.")
    previous = serializers.URLField(allow_null=True, help_text="The page before, or null.")
    results = TaskManagerOutputSerializer(many=True)


class ProjectTaskListApi(ApiView):
    """A project's tasks, filtered and ordered from an allow-list, a page at a time: follow
    `next` and `previous` (cursors). Other parameters are a 400."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="One status, or several joined by commas."),
            OpenApiParameter("dataset", int),
            OpenApiParameter("is_gold", bool, description="Admins and managers only."),
            OpenApiParameter(
                "ordering", str, enum=ORDERINGS,
                description="Ties are broken by id in the same direction.",
            ),
            OpenApiParameter("cursor", str, description="From `next` or `previous`."),
            OpenApiParameter("page_size", int, description=f"1 to {MAX_PAGE_SIZE}; default {DEFAULT_PAGE_SIZE}."),
            OpenApiParameter("count", str, enum=["exact"], description="Count every match, however many."),
        ],
        responses=TaskPageSerializer,
    )
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        reject_unknown_query_params(request, TASK_LIST_PARAMS)
        if "page" in request.query_params:
            raise ValidationError({"page": ["Pages are reached by cursor: follow `next`."]})
        manager = is_manager(request, project)
        tasks = _visible_and_filtered(request, project, may_see_gold=manager)
        ordering = Ordering.of(_ordering(request))
        cursor = query_param(request, "cursor", serializers.CharField(max_length=500))
        if cursor is not None:
            cursor = Cursor.decode(cursor, ordering=ordering, model=Task)
        size = query_param(request, "page_size", serializers.IntegerField(min_value=1))
        size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        exact = query_param(request, "count", serializers.ChoiceField(choices=["exact"])) is not None
        # The first page answers how many; the pages after it are reached from there.
        count = estimate = None
        if cursor is None or exact:
            count, estimate = bounded_count(tasks, exact=exact)
        page = keyset_page(
            tasks, fields=TASK_MANAGER_ROW_FIELDS if manager else TASK_ROW_FIELDS,
            ordering=ordering, cursor=cursor, size=size, joined=LATEST_SUGGESTION,
        )
        results = task_list_rows(page.rows, request=request, project=project, manager=manager)
        return Response(
            {
                "count": count,
                "count_estimate": estimate,
                "next": _page_link(request, page.next_cursor),
                "previous": _page_link(request, page.previous_cursor),
                "results": results,
            }
        )


def _page_link(request, cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor.encode()
    query.pop("count", None)  # the first page answered it
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class TaskDetailApi(ApiView):
    """One task with its media URL, latest suggestion and history. Annotators read only the
    tasks they hold or labeled (another is a 404)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TaskDetailOutputSerializer)
    def get(self, request, task_id: int):
        task = task_get_visible(request, task_id)
        serializer_class = _task_serializer(request, task)
        data = serializer_class(task, context={"request": request}).data
        role = caller_role(request, task.project.organization_id)
        data.update(task_detail_sections(task=task, user=request.user, role=role))
        return Response(data)


class TaskGoldInputSerializer(StrictInputSerializer):
    result = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The known answer; by default the task's accepted result.",
    )


class TaskGoldApi(ApiView):
    """Admins and managers: make a task gold (its known answer judges later annotations, and
    earlier ones are judged again), or (DELETE) make it an ordinary task again."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(request=TaskGoldInputSerializer, responses=TaskManagerOutputSerializer)
    def post(self, request, task_id: int):
        task = self._task(request, task_id)
        serializer = TaskGoldInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = task_gold_set(task=task, result=serializer.validated_data["result"])
        return self._render(request, task)

    @extend_schema(request=None, responses=TaskManagerOutputSerializer)
    def delete(self, request, task_id: int):
        task = task_gold_clear(task=self._task(request, task_id))
        return self._render(request, task)

    def _task(self, request, task_id):
        task = task_get_for_user(user=request.user, task_id=task_id)
        self.check_object_permissions(request, task.project)
        return task

    def _render(self, request, task):
        task = task_get_for_user(user=request.user, task_id=task.pk)
        return Response(TaskManagerOutputSerializer(task, context={"request": request}).data)


_TASK = f'"{Task._meta.db_table}"'  # as the ORM's compiled conditions name it


def _visible_and_filtered(request, project, *, may_see_gold: bool) -> Where:
    """The project's tasks the caller may see (visible_tasks) that match the filters."""
    conditions, params = [f"{_TASK}.project_id = %s"], [project.pk]
    everyone = Task.objects.filter(project_id=project.pk)
    visible = visible_tasks(request, project, everyone)
    if visible is not everyone:  # an annotator's: the tasks they hold or labeled
        conditions.append(_scope_condition(visible, params))
    statuses = query_param(request, "status", serializers.CharField())
    if statuses is not None:
        wanted = statuses.split(",")
        bad = sorted(set(wanted) - set(TaskStatus.values))
        if bad:
            choices = ", ".join(TaskStatus.values)
            raise ValidationError({"status": [f"Unknown status {bad[0]!r}; use {choices}."]})
        conditions.append(f"{_TASK}.status IN ({', '.join(['%s'] * len(wanted))})")
        params += wanted
    dataset_id = query_param(request, "dataset", serializers.IntegerField(min_value=1))
    if dataset_id is not None:
        # An id beyond bigint is no dataset's (and SQLite refuses to bind it): nothing matches.
        conditions.append(f"{_TASK}.dataset_id = %s")
        params.append(dataset_id if dataset_id < 2**63 else 0)
    is_gold = query_param(request, "is_gold", serializers.BooleanField())
    if is_gold is not None:
        if not may_see_gold:
            raise PermissionDenied("Only admins and managers may filter by is_gold.")
        conditions.append(f"{_TASK}.gold_result IS {'NOT NULL' if is_gold else 'NULL'}")
    return Where(model=Task, conditions=tuple(conditions), params=tuple(params))


def _scope_condition(visible, params: list) -> str:
    """`visible`'s conditions as the ORM compiles them (their parameters added to `params`):
    as they are when they read the task table alone, so that the planner sees them (as
    `id IN (subquery)` it joined the table to itself), else as that subquery."""
    query = visible.query
    if [alias for alias in query.alias_map if query.alias_refcount[alias]] == [query.base_table]:
        sql, scope_params = query.get_compiler(connection=connection).compile(query.where)
        condition = f"({sql})"
    else:
        sql, scope_params = visible.order_by().values("pk").query.sql_with_params()
        condition = f"{_TASK}.id IN ({sql})"
    params.extend(scope_params)
    return condition


def _ordering(request) -> str:
    ordering = query_param(request, "ordering", serializers.CharField())
    if ordering is None:
        return "id"
    if ordering not in ORDERINGS:
        raise ValidationError(
            {"ordering": [f"Cannot order by {ordering!r}; use one of: {', '.join(ORDERINGS)}."]}
        )
    return ordering
