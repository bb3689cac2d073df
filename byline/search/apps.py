from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "byline.search"
    label = "byline_search"  # "search" is wagtail.search's label
    verbose_name = "Site search"

    def ready(self):
        from byline.search import signals

        signals.connect()
