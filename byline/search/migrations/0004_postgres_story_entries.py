from importlib import import_module

from django.db import migrations

# The searchable stories by index entry (0003's table) on PostgreSQL: one row for each entry of
# Wagtail's index that is a live, public, not email-only story, with the story's page id and first
# publication. The search checked each match with two lookups (the page, live; the story, public)
# after the entry's own; a phrase of two common words (2,541 matches at 100,000 stories) paid them
# 2,541 times. Now each match is one lookup here, and the newest-first order reads this table's index.
#
# Triggers keep it exact whatever writes, as on SQLite: an entry added, re-pointed or removed (a
# save, a publish, `byline search --rebuild`, an import), a page going live or not, re-dated or
# deleted, a story's visibility or email-only flag changing, any of the three tables truncated
# (Django's flush between tests). PostgreSQL keeps triggers through ALTER TABLE, so they are made
# once, here. The page's and story's triggers fire only when a value they read changes: every
# full save of a page names those columns.

# What a row is: the same definition as on SQLite.
searchable_rows = import_module("byline.search.migrations.0003_sqlite_story_entries").searchable_rows


def _page_changed(function: str, page_key: str) -> str:
    """A trigger function that writes afresh the rows of the page a changed row belongs to."""
    return f"""
    CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM search_story_write(CASE WHEN TG_OP = 'DELETE' THEN OLD.{page_key} ELSE NEW.{page_key} END);
      RETURN NULL;
    END
    $$
    """


SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS search_story_entries (
      entry_id integer PRIMARY KEY, page_id integer NOT NULL, published timestamp with time zone
    )
    """,
    "CREATE INDEX IF NOT EXISTS search_story_entries_page ON search_story_entries (page_id)",
    "CREATE INDEX IF NOT EXISTS search_story_entries_newest ON search_story_entries (published DESC, page_id DESC)",
    # One page's rows written afresh: its index entry, if it is a searchable story. The entry is
    # found by Wagtail's unique (content type, object id) index.
    f"""
    CREATE OR REPLACE FUNCTION search_story_write(one_page integer) RETURNS void LANGUAGE sql AS $$
      DELETE FROM search_story_entries WHERE page_id = one_page;
      INSERT INTO search_story_entries (entry_id, page_id, published) {searchable_rows("page.id = one_page")}
      ON CONFLICT (entry_id) DO UPDATE SET page_id = EXCLUDED.page_id, published = EXCLUDED.published;
    $$
    """,  # noqa: S608  (SQL, no input)
    """
    CREATE OR REPLACE FUNCTION search_story_entry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM search_story_entries WHERE entry_id = OLD.id;
      END IF;
      -- Entries of other models may have keys that are not page ids.
      IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.object_id ~ '^[0-9]{1,9}$' THEN
        PERFORM search_story_write(NEW.object_id::integer);
      END IF;
      RETURN NULL;
    END
    $$
    """,
    # A page's id and a story's page_ptr_id never change (Wagtail moves a page by its path). A
    # deleted page or story is rewritten too: it has no row to write then.
    _page_changed("search_story_page_changed", "id"),
    _page_changed("search_story_changed", "page_ptr_id"),
    """
    CREATE OR REPLACE FUNCTION search_story_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      TRUNCATE search_story_entries;
      RETURN NULL;
    END
    $$
    """,
]

ROW = "FOR EACH ROW EXECUTE FUNCTION"
TRIGGERS = {
    "search_story_entry_write": (
        "wagtailsearch_indexentry",
        "AFTER INSERT OR UPDATE OF id, content_type_id, object_id OR DELETE ON wagtailsearch_indexentry "
        f"{ROW} search_story_entry_changed()",
    ),
    "search_story_page_update": (
        "wagtailcore_page",
        "AFTER UPDATE OF live, first_published_at, content_type_id ON wagtailcore_page FOR EACH ROW "
        "WHEN (OLD.live IS DISTINCT FROM NEW.live OR OLD.first_published_at IS DISTINCT FROM NEW.first_published_at "
        "OR OLD.content_type_id IS DISTINCT FROM NEW.content_type_id) EXECUTE FUNCTION search_story_page_changed()",
    ),
    "search_story_page_delete": (
        "wagtailcore_page",
        f"AFTER DELETE ON wagtailcore_page {ROW} search_story_page_changed()",
    ),
    "search_story_write": (
        "stories_storypage",
        f"AFTER INSERT OR DELETE ON stories_storypage {ROW} search_story_changed()",
    ),
    "search_story_update": (
        "stories_storypage",
        "AFTER UPDATE OF visibility, email_only ON stories_storypage FOR EACH ROW "
        "WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.email_only IS DISTINCT FROM NEW.email_only) "
        "EXECUTE FUNCTION search_story_changed()",
    ),
    **{
        f"search_story_{table}_truncate": (
            table,
            f"AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION search_story_forget_all()",
        )
        for table in ("wagtailsearch_indexentry", "wagtailcore_page", "stories_storypage")
    },
}

FILL = [
    "TRUNCATE search_story_entries",
    f"INSERT INTO search_story_entries (entry_id, page_id, published) {searchable_rows('TRUE')}",
    "ANALYZE search_story_entries",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in SCHEMA:
        schema_editor.execute(statement)
    for name, (table, definition) in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(f"CREATE TRIGGER {name} {definition}")
    for statement in FILL:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, _) in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    schema_editor.execute("DROP TABLE IF EXISTS search_story_entries")
    for function in (
        "search_story_forget_all()",
        "search_story_changed()",
        "search_story_page_changed()",
        "search_story_entry_changed()",
        "search_story_write(integer)",
    ):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")


class Migration(migrations.Migration):
    dependencies = [("byline_search", "0003_sqlite_story_entries")]

    operations = [migrations.RunPython(create, drop)]
