from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "byline.api"
    label = "api"
    verbose_name = "Ghost-compatible API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from byline.api import signals

        signals.connect()
