from django.contrib import admin

from platform_core.models import (
    Dataset,
    ImportJob,
    Membership,
    Organization,
    Prediction,
    Project,
    Task,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "task_type", "kind", "overlap", "created_at"]
    list_filter = ["task_type", "kind", "organization"]
    search_fields = ["name"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_by", "created_at", "updated_at"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "task_count", "duplicate_count", "created_at"]
    list_filter = ["project__organization"]
    search_fields = ["name", "project__name"]
    raw_id_fields = ["project"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "status", "priority", "annotation_count", "locked_by"]
    list_filter = ["status", "project__task_type"]
    raw_id_fields = ["project", "dataset", "locked_by"]
    # Counting a million-row table on every page load is what makes admins slow; skip it.
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "source_name", "status", "imported", "duplicates", "error_count"]
    list_filter = ["status"]
    raw_id_fields = ["project", "dataset", "created_by"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "model_version", "confidence", "created_at"]
    list_filter = ["model_version"]
    raw_id_fields = ["task"]
