from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "byline.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"
