from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "byline.members"
    label = "members"
    verbose_name = "Members"
