from django.contrib import admin

from annotator.models import Annotation, AnnotationVersion, Review, ReviewItem, TaskSkip


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


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Verdicts are the record of who decided what: read them here, never edit them."""

    list_display = ["id", "task", "kind", "stage", "verdict", "reviewer", "created_at"]
    list_filter = ["kind", "verdict", "stage"]
    search_fields = ["reviewer__username", "comment"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "task", "kind", "stage", "author", "locked_by", "locked_until"]
    list_filter = ["kind", "stage"]
    raw_id_fields = ["project", "task", "annotation", "prediction", "author",
                     "excluded_reviewer", "locked_by"]
    show_full_result_count = False
