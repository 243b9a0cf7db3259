from django.contrib import admin

from ml_assist.models import MlJob, ModelVersion, RoutingDecision


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "name", "project", "predictor", "trained_on", "primary_metric", "ece", "is_active", "created_at",
    ]
    list_filter = ["task_type", "is_active", "project__organization"]
    search_fields = ["name", "project__name"]
    raw_id_fields = ["project"]
    # The signature is what makes the artifact loadable; nobody edits either by hand.
    readonly_fields = ["artifact", "artifact_signature", "metrics", "ece", "trained_on", "created_at"]


@admin.register(MlJob)
class MlJobAdmin(admin.ModelAdmin):
    list_display = [
        "id", "kind", "project", "status", "done", "total", "model_version", "created_at", "finished_at",
    ]
    list_filter = ["kind", "status", "project__organization"]
    search_fields = ["project__name", "message"]
    raw_id_fields = ["project", "model_version", "created_by"]
    readonly_fields = ["created_at", "started_at", "finished_at"]


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    list_display = ["task", "confidence", "threshold", "sampled_for_review", "verdict", "reviewed_at"]
    list_filter = ["sampled_for_review", "verdict"]
    raw_id_fields = ["task", "prediction", "reviewed_by"]
    show_full_result_count = False
