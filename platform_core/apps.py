from django.apps import AppConfig


class PlatformConfig(AppConfig):
    # The folder cannot be `platform/` (it would shadow the standard library's module); the app
    # label keeps the card's name for tables, permissions, the admin section and URL names.
    name = "platform_core"
    label = "platform"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"
