"""What the annotator app adds to the platform's API (platform_core.extensions) and how it
follows the platform's signals; connected in AnnotatorConfig.ready()."""
from django.db.models import Exists, OuterRef, Q
from rest_framework import serializers

from annotator.apis.review_serializers import ReviewOutputSerializer
from annotator.apis.serializers import (
    AnnotationVersionOutputSerializer,
    ResultField,
    SuggestionOutputSerializer,
)
from annotator.metrics_sections import (
    project_annotators,
    project_cost,
    project_queue,
    project_throughput,
)
from annotator.models import Annotation, AnnotationVersion, Review, ReviewItem, TaskSkip
from annotator.quality_selectors import project_quality
from annotator.review_selectors import task_history
from annotator.services.annotations import judge_gold
from annotator.services.review_queue import review_items_enqueue_tasks
from annotator.suggestion_metrics import project_suggestions
from platform_core.extensions import (
    register_metrics_section,
    register_task_detail_section,
    register_task_work_filter,
    register_worker_task_scope,
)
from platform_core.label_usage import register_label_store
from platform_core.models.organizations import REVIEWING_ROLES
from platform_core.signals import task_gold_changed, tasks_reached_overlap


class HistoryAnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    annotator = serializers.IntegerField(source="annotator_id")
    annotator_username = serializers.CharField(source="annotator.username")
    result = ResultField()
    status = serializers.CharField()
    prediction = serializers.IntegerField(source="prediction_id", allow_null=True)
    changed_from_suggestion = serializers.BooleanField(allow_null=True)
    lead_time_s = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    versions = AnnotationVersionOutputSerializer(source="versions.all", many=True)
    reviews = ReviewOutputSerializer(source="reviews.all", many=True)


class TaskHistorySerializer(serializers.Serializer):
    suggestions = SuggestionOutputSerializer(many=True)
    annotations = HistoryAnnotationSerializer(many=True)
    spot_checks = ReviewOutputSerializer(many=True)


def history_section(*, task, user, role) -> dict:
    full = user.is_superuser or role in REVIEWING_ROLES
    return TaskHistorySerializer(task_history(task=task, user=user, full=full)).data


def tasks_held_or_labeled(*, tasks, user):
    labeled = Annotation.objects.filter(annotator=user).values("task_id")
    return tasks.filter(Q(locked_by=user) | Q(pk__in=labeled))


def tasks_nobody_worked_on(*, tasks):
    """Without annotations (of any status: a rejected one is still someone's work), skips or
    reviews."""
    for model in (Annotation, TaskSkip, Review):
        tasks = tasks.exclude(Exists(model.objects.filter(task=OuterRef("pk"))))
    return tasks


def reached_overlap(sender, project, task_ids, **kwargs) -> None:
    review_items_enqueue_tasks(project=project, task_ids=task_ids)


def gold_changed(sender, task, **kwargs) -> None:
    judge_gold(task=task)


def connect() -> None:
    register_task_detail_section("history", history_section)
    register_worker_task_scope(tasks_held_or_labeled)
    register_metrics_section("quality", project_quality)
    register_metrics_section("throughput", project_throughput)
    register_metrics_section("annotators", project_annotators)
    register_metrics_section("suggestions", project_suggestions)
    register_metrics_section("queue", project_queue)
    register_metrics_section("cost", project_cost)
    register_task_work_filter("annotator", tasks_nobody_worked_on)
    # Where our results name labels: counted and renamed by the platform's label changes.
    register_label_store(
        "annotations", lambda project: Annotation.objects.filter(task__project=project), ["result"]
    )
    register_label_store(
        "annotation versions",
        lambda project: AnnotationVersion.objects.filter(annotation__task__project=project),
        ["result"],
    )
    register_label_store(
        "reviews",
        lambda project: Review.objects.filter(task__project=project),
        ["reviewed_result", "result"],
    )
    register_label_store(
        "review items",
        lambda project: ReviewItem.objects.filter(task__project=project),
        ["result"],
    )
    task_gold_changed.connect(gold_changed, dispatch_uid="annotator.gold_changed")
    tasks_reached_overlap.connect(reached_overlap, dispatch_uid="annotator.reached_overlap")
