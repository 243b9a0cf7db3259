"""The Django admin, for staff and read-mostly: people work in the app's pages (new project,
settings, members), which go through the services. What the admin still changes goes through
them too: a project's save is project_create / project_update (so a new queue order reorders
the queue and a label that results use is not dropped), its delete is project_delete; members
are changed on the members page, where every change is recorded."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from platform_core.models import (
    Dataset,
    ImportJob,
    Membership,
    MembershipEvent,
    Organization,
    Prediction,
    Project,
    Task,
)
from platform_core.services.label_changes import label_changes_check
from platform_core.services.projects import (
    PROJECT_SETTING_FIELDS,
    project_create,
    project_delete,
    project_update,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # Renaming a customer is a decision for the platform, not a form field.
        return ["name", "created_at"] if obj is not None else ["created_at"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "organization__name"]


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "organization", "actor_username", "action", "member_username", "old_role",
        "new_role",
    ]
    list_filter = ["action", "organization"]
    search_fields = ["actor_username", "member_username"]


class ProjectAdminForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        # The same refusal as the API's: labels that stored results use stay.
        if self.instance.pk and "label_config" in self.changed_data and "label_config" in cleaned:
            stored = Project.objects.get(pk=self.instance.pk)
            try:
                label_changes_check(
                    project=stored,
                    old_config=stored.label_config,
                    new_config=cleaned["label_config"],
                    renames={},
                )
            except ValidationError as refused:
                self.add_error("label_config", refused.message_dict["label_config"])
        return cleaned


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = [
        "name", "organization", "task_type", "kind", "overlap", "archived_at", "created_at",
    ]
    list_filter = ["task_type", "kind", "organization"]
    search_fields = ["name"]
    autocomplete_fields = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["created_by", "created_at", "updated_at", "archived_at"]
        # What the API refuses to change after creation (services.projects).
        return [*fixed, "organization", "task_type"] if obj is not None else fixed

    def save_model(self, request, obj, form, change):
        settings = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in PROJECT_SETTING_FIELDS
        }
        if change:
            saved = project_update(project=obj, data=settings)
        else:
            settings.pop("name", None)
            settings.pop("label_config", None)
            saved = project_create(
                organization=form.cleaned_data["organization"],
                created_by=request.user,
                name=form.cleaned_data["name"],
                task_type=form.cleaned_data["task_type"],
                label_config=form.cleaned_data.get("label_config"),
                **settings,
            )
        obj.pk = saved.pk

    def get_deleted_objects(self, objs, request):
        # Django's confirmation page would load every task, annotation and prediction to list
        # them; project_delete hides the project and the worker purges it in batches.
        summary = [
            f"{project} (its tasks, labels, media and exports, purged by the worker)"
            for project in objs
        ]
        return summary, {"projects": len(summary)}, set(), []

    def delete_model(self, request, obj):
        project_delete(project=obj)

    def delete_queryset(self, request, queryset):
        for project in queryset:
            project_delete(project=project)


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
