from django.apps import AppConfig


class RelatedConfig(AppConfig):
    name = "byline.related"
    label = "related"
    verbose_name = "Related stories"

    def ready(self):
        from byline.related import signals

        signals.connect()
