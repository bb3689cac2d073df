from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "byline.core"
    label = "core"
    verbose_name = "Publication"

    def ready(self) -> None:
        from byline.core import checks  # noqa: F401  (registers the system checks)
