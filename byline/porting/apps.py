from django.apps import AppConfig


class PortingConfig(AppConfig):
    name = "byline.porting"
    label = "porting"
    verbose_name = "Imports and exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from byline.porting import signals

        signals.connect()
