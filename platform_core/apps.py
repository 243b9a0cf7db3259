from django.apps import AppConfig


class PlatformConfig(AppConfig):
    # The folder cannot be `platform/` (it would shadow the standard library's module); the app
    # label keeps the card's name for tables, permissions, the admin section and URL names.
    name = "platform_core"
    label = "platform"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from platform_core.jobs import register_job_kind, send_quietly
        from platform_core.models import ExportJob, ImportJob, LabelRenameJob
        from platform_core.services.exports import export_job_send
        from platform_core.services.label_changes import label_rename_job_send
        from platform_core.tasks import import_run_task

        register_job_kind(ImportJob, lambda job: send_quietly(import_run_task, job.pk))
        register_job_kind(ExportJob, export_job_send)
        register_job_kind(LabelRenameJob, label_rename_job_send)
