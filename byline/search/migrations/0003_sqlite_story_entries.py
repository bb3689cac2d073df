from importlib import import_module

from django.db import migrations

# What search may show, by index entry, on SQLite: one row for each entry of Wagtail's index that is
# a live, public, not email-only story (services.public_stories()), with the story's page id and
# first publication. The search checks each full-text match against it with one lookup by the
# entry's id (the FTS rowid), where it checked three tables (the entry, for the page id; the page,
# live; the story, public) with one lookup each: ranking a phrase of two common words (2,541
# matches at 100,000 stories) fell from 12.6 ms to 5.9 ms, and a rare word's from 2.4 ms to 0.6 ms.
#
# Triggers keep it exact whatever writes: an entry added, changed or removed (a save, a publish,
# `byline search --rebuild`, an import), a page going live or not or being deleted, a story's
# visibility or email-only flag changing. They sit on Wagtail's and the stories' tables, so they
# are made again after every migrate (apps.py), which then refills the table: SQLite's way of
# altering a table drops the triggers on it, and rows written meanwhile went unseen.
# PostgreSQL plans its joins well (services.PostgresResults) and gets none of this.
#
# The narrow lookup indexes of 0001, which those three lookups read, are dropped: nothing reads them.
LOOKUP_INDEXES = import_module("byline.search.migrations.0001_sqlite_lookup_indexes").INDEXES

TABLE = (
    "CREATE TABLE IF NOT EXISTS search_story_entries "
    "(entry_id INTEGER PRIMARY KEY, page_id INTEGER NOT NULL, published TEXT)"
)
INDEXES = {
    # Refreshing one page's rows.
    "search_story_entries_page": "ON search_story_entries (page_id)",
    # Listing matches newest first (a word in most stories), in the search's order.
    "search_story_entries_newest": "ON search_story_entries (published DESC, page_id DESC)",
}


def searchable_rows(where: str) -> str:
    """The rows of the index entries chosen by `where` (SQL on `entry`, `page` and `story`) that are
    searchable stories: the table's one definition, which 0004 (PostgreSQL) reads too."""
    return (
        "SELECT entry.id, page.id, page.first_published_at FROM wagtailcore_page AS page "  # noqa: S608
        "JOIN stories_storypage AS story ON story.page_ptr_id = page.id "
        "JOIN wagtailsearch_indexentry AS entry ON entry.content_type_id = page.content_type_id "
        "AND entry.object_id = CAST(page.id AS TEXT) "
        f"WHERE page.live AND story.visibility = 'public' AND NOT story.email_only AND {where}"
    )


def _write(where: str) -> str:
    return (
        f"INSERT OR REPLACE INTO search_story_entries (entry_id, page_id, published) {searchable_rows(where)}"
    )


FILL = _write("1")


def _refresh(page_id: str) -> str:
    """Statements (for a trigger's body) that write one page's rows afresh."""
    return (
        f"DELETE FROM search_story_entries WHERE page_id = {page_id}; "  # noqa: S608  (SQL, no input)
        f"{_write(f'page.id = {page_id}')};"
    )


def _entry(row: str) -> str:
    """Statements that write one index entry's row afresh (none if it is not a searchable story)."""
    only_it = (
        f"entry.id = {row}.id AND page.id = CAST({row}.object_id AS INTEGER) "
        f"AND page.content_type_id = {row}.content_type_id"
    )
    return f"DELETE FROM search_story_entries WHERE entry_id = {row}.id; {_write(only_it)};"  # noqa: S608


TRIGGERS = {
    "search_story_entry_insert": f"AFTER INSERT ON wagtailsearch_indexentry BEGIN {_entry('NEW')} END",
    "search_story_entry_update": (
        "AFTER UPDATE OF id, content_type_id, object_id ON wagtailsearch_indexentry "  # noqa: S608
        f"BEGIN DELETE FROM search_story_entries WHERE entry_id = OLD.id; {_entry('NEW')} END"
    ),
    "search_story_entry_delete": (
        "AFTER DELETE ON wagtailsearch_indexentry "
        "BEGIN DELETE FROM search_story_entries WHERE entry_id = OLD.id; END"
    ),
    # Every full save of a page or story names these columns: the WHEN clauses leave a save that
    # changed none of them alone. A page's id and a story's page_ptr_id never change (Wagtail moves
    # a page by its path): one refresh, of the row's own page.
    "search_story_page_update": (
        "AFTER UPDATE OF live, first_published_at, content_type_id ON wagtailcore_page "
        "WHEN OLD.live IS NOT NEW.live OR OLD.first_published_at IS NOT NEW.first_published_at "
        "OR OLD.content_type_id IS NOT NEW.content_type_id "
        f"BEGIN {_refresh('NEW.id')} END"
    ),
    "search_story_page_delete": (
        "AFTER DELETE ON wagtailcore_page BEGIN DELETE FROM search_story_entries WHERE page_id = OLD.id; END"
    ),
    "search_story_insert": f"AFTER INSERT ON stories_storypage BEGIN {_refresh('NEW.page_ptr_id')} END",
    "search_story_update": (
        "AFTER UPDATE OF visibility, email_only ON stories_storypage "
        "WHEN OLD.visibility IS NOT NEW.visibility OR OLD.email_only IS NOT NEW.email_only "
        f"BEGIN {_refresh('NEW.page_ptr_id')} END"
    ),
    "search_story_delete": (
        "AFTER DELETE ON stories_storypage "
        "BEGIN DELETE FROM search_story_entries WHERE page_id = OLD.page_ptr_id; END"
    ),
}


def keep(cursor) -> None:
    """Make the table and its indexes where missing, the triggers afresh (a database made before a
    trigger changed gets the new one), and fill the table from the index: what the migration does,
    and what apps.py does again after every migrate."""
    cursor.execute(TABLE)
    for name, definition in INDEXES.items():
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
    for name, definition in TRIGGERS.items():
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"CREATE TRIGGER {name} {definition}")
    cursor.execute("DELETE FROM search_story_entries")
    cursor.execute(FILL)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            keep(cursor)
            for name in LOOKUP_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS search_story_entries")
            for name, definition in LOOKUP_INDEXES.items():
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


class Migration(migrations.Migration):
    dependencies = [("byline_search", "0002_phrase_index")]

    operations = [migrations.RunPython(create, drop)]
