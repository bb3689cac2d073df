from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The phrase index is written by triggers on Wagtail's index table: without them it falls behind.
PHRASE_INDEX = "byline.search.migrations.0002_phrase_index"
# The searchable stories by index entry, kept by triggers on Wagtail's and the stories' tables.
STORY_ENTRIES = "byline.search.migrations.0003_sqlite_story_entries"


class SearchConfig(AppConfig):
    name = "byline.search"
    label = "byline_search"  # "search" is wagtail.search's label
    verbose_name = "Site search"

    def ready(self):
        from byline.search import signals

        signals.connect()
        # Once per migrate: Django sends post_migrate for apps with models only, which this one has not.
        stories = self.apps.get_app_config("stories")
        post_migrate.connect(_keep_triggers, sender=stories, dispatch_uid="byline-search-triggers")


def _keep_triggers(using="default", **kwargs) -> None:
    """After every migrate, make sure the triggers of the phrase index and of the searchable stories
    exist (and refill the latter). They sit on Wagtail's and the stories' tables, and SQLite's way
    of altering a table (copy it into a new one) drops triggers no model declares: a later migration
    of those apps would silently remove them."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    phrases, stories = import_module(PHRASE_INDEX), import_module(STORY_ENTRIES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_phrase_fts'")
        if ("byline_search", phrases.__name__.rsplit(".", 1)[1]) in applied and cursor.fetchone():
            phrases.create_sqlite_triggers(cursor)
        if ("byline_search", stories.__name__.rsplit(".", 1)[1]) in applied:
            stories.keep(cursor)
