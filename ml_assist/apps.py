from django.apps import AppConfig


class MlAssistConfig(AppConfig):
    name = "ml_assist"
    verbose_name = "ML assist"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from annotator.metrics_selectors import register_spot_check_exclusion
        from ml_assist import signals
        from ml_assist.metrics_selectors import exploration_reviewed, project_machine
        from ml_assist.models import MlJob
        from ml_assist.priority import new_task_priority
        from ml_assist.services.jobs import ml_job_send
        from platform_core.extensions import (
            register_metrics_section,
            register_new_task_priority,
            register_tasks_imported,
        )
        from platform_core.jobs import register_job_kind

        signals.connect()
        register_job_kind(MlJob, ml_job_send)
        register_metrics_section("machine", project_machine)
        register_spot_check_exclusion(exploration_reviewed)
        register_tasks_imported("ml_assist.prelabel", signals.tasks_were_imported)
        register_new_task_priority(new_task_priority)
