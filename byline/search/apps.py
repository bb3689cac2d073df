from importlib import import_module

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The SQLite search names its lookup indexes (INDEXED BY): a query naming a missing index fails.
LOOKUP_INDEXES = "byline.search.migrations.0001_sqlite_lookup_indexes"
# The phrase index is written by triggers on Wagtail's index table: without them it falls behind.
PHRASE_INDEX = "byline.search.migrations.0002_phrase_index"


class SearchConfig(AppConfig):
    name = "byline.search"
    label = "byline_search"  # "search" is wagtail.search's label
    verbose_name = "Site search"

    def ready(self):
        from byline.search import signals

        signals.connect()
        # Once per migrate: Django sends post_migrate for apps with models only, which this one has not.
        stories = self.apps.get_app_config("stories")
        post_migrate.connect(
            _keep_lookup_indexes, sender=stories, dispatch_uid="byline-search-lookup-indexes"
        )


def _keep_lookup_indexes(using="default", **kwargs) -> None:
    """After every migrate, make sure the lookup indexes and the phrase index's triggers exist. They
    sit on Wagtail's and the stories' tables, and SQLite's way of altering a table (copy it into a
    new one) drops indexes and triggers no model declares: a later migration of those apps would
    silently remove them."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    lookups, phrases = import_module(LOOKUP_INDEXES), import_module(PHRASE_INDEX)
    if ("byline_search", lookups.__name__.rsplit(".", 1)[1]) not in applied:
        return  # migrated back before it: the tables may be gone too
    with connection.cursor() as cursor:
        for name, definition in lookups.INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_phrase_fts'")
        if ("byline_search", phrases.__name__.rsplit(".", 1)[1]) in applied and cursor.fetchone():
            phrases.create_sqlite_triggers(cursor)
