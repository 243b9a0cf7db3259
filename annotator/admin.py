from django.contrib import admin

from annotator.models import Annotation, AnnotationVersion, TaskSkip


class AnnotationVersionInline(admin.TabularInline):
    model = AnnotationVersion
    extra = 0
    can_delete = False
    readonly_fields = ["result", "lead_time_s", "changed_from_suggestion", "created_at"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = [
        "id", "task", "annotator", "status", "changed_from_suggestion", "gold_correct",
        "lead_time_s", "created_at",
    ]
    list_filter = ["status", "changed_from_suggestion", "gold_correct", "task__project__task_type"]
    search_fields = ["annotator__username"]
    raw_id_fields = ["task", "annotator", "prediction"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AnnotationVersionInline]
    # Counting millions of annotations on every page load makes the admin slow; skip it.
    show_full_result_count = False


@admin.register(TaskSkip)
class TaskSkipAdmin(admin.ModelAdmin):
    list_display = ["task", "user", "reason", "created_at"]
    search_fields = ["user__username", "reason"]
    raw_id_fields = ["task", "user"]
    show_full_result_count = False
