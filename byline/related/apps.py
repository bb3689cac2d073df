from django.apps import AppConfig


class RelatedConfig(AppConfig):
    name = "byline.related"
    label = "related"
    verbose_name = "Related stories"
