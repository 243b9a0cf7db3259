from django.apps import AppConfig


class MlAssistConfig(AppConfig):
    name = "ml_assist"
    verbose_name = "ML assist"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ml_assist import signals

        signals.connect()
