from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "byline.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"

    def ready(self) -> None:
        from anymail.signals import tracking
        from wagtail.signals import page_published

        from byline.newsletters import signals

        page_published.connect(signals.story_published, dispatch_uid="newsletters.story_published")
        tracking.connect(signals.delivery_event, dispatch_uid="newsletters.delivery_event")
