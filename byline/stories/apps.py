from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "byline.stories"
    label = "stories"
    verbose_name = "Stories"

    def ready(self) -> None:
        from byline.stories import signals

        signals.connect()
