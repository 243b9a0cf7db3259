from django.apps import AppConfig


class MlAssistConfig(AppConfig):
    name = "ml_assist"
    verbose_name = "ML assist"
    default_auto_field = "django.db.models.BigAutoField"
