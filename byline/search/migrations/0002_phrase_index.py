from django.db import migrations

# The phrase index: every pair of adjacent words of an index entry's title and body, as one token
# ("tide gauge" is the token tide_gauge), so that a phrase is found from the short list of the
# entries holding its pairs instead of the position lists of its words (a phrase of two common
# words read every position of both: 63 ms at 100,000 stories on SQLite, seconds on PostgreSQL).
# A phrase of n words is the n - 1 pairs one after the other, which is exactly the phrase.
#
# The index is written by triggers on Wagtail's own index table, so it follows every write of the
# search index whatever makes it: a story's save, publish, unpublish or delete, an import, Wagtail's
# update_index and `byline search --rebuild`.
#
# SQLite: the pairs come from fts3tokenize(unicode61), the tokenizer Wagtail's FTS5 table uses
# (lower case, diacritics removed), so a pair holds exactly the tokens an FTS5 phrase compares
# (tests compare the two on every code point). The FTS5 table of pairs keeps no copy of its text
# (content=''); a delete names the old pairs again, which the same tokenizer gives back.
#
# PostgreSQL: the pairs are read from the tsvectors Wagtail stores (the same lexemes and positions
# phraseto_tsquery matches against), into a tsvector of pairs a row of search_phrase_pairs (keyed by
# the entry's id) with a GIN index. Title pairs weigh A, body pairs D, and the body's start one
# position further on, so no phrase runs from a title into its body.

SQLITE_TOKENS = "CREATE VIRTUAL TABLE IF NOT EXISTS search_tokens USING fts3tokenize(unicode61)"
SQLITE_PAIRS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_phrase_fts USING fts5(title, body, content='', "
    "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")"
)


def sqlite_pairs(text: str) -> str:
    """SQL for the adjacent pairs of a text's tokens, 'a_b b_c …', in the text's order (the window
    keeps that order: SQLite does not flatten a subquery with a window function)."""
    return (
        "(SELECT group_concat(pair, ' ') FROM (SELECT token || '_' || lead(token) OVER (ORDER BY position) "  # noqa: S608  (SQL, no input)
        f"AS pair FROM search_tokens WHERE input = {text}) WHERE pair IS NOT NULL)"
    )


def _sqlite_row(command: str, row: str) -> str:
    if command:
        return (
            f"INSERT INTO search_phrase_fts(search_phrase_fts, rowid, title, body) VALUES ('{command}', "  # noqa: S608  (SQL, no input)
            f"{row}.id, {sqlite_pairs(row + '.title')}, {sqlite_pairs(row + '.body')});"
        )
    return (
        f"INSERT INTO search_phrase_fts(rowid, title, body) VALUES ({row}.id, {sqlite_pairs(row + '.title')}, "  # noqa: S608  (SQL, no input)
        f"{sqlite_pairs(row + '.body')});"
    )


# Named triggers, made again after every migrate (apps.py): SQLite's way of altering a table (copy it
# into a new one) drops the triggers on it.
SQLITE_TRIGGERS = {
    "search_phrase_insert": f"AFTER INSERT ON wagtailsearch_indexentry BEGIN {_sqlite_row('', 'NEW')} END",
    "search_phrase_update": (
        "AFTER UPDATE OF title, body ON wagtailsearch_indexentry "
        "WHEN OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body "
        f"BEGIN {_sqlite_row('delete', 'OLD')} {_sqlite_row('', 'NEW')} END"
    ),
    "search_phrase_delete": f"AFTER DELETE ON wagtailsearch_indexentry BEGIN {_sqlite_row('delete', 'OLD')} END",
}
SQLITE_FILL = (
    "INSERT INTO search_phrase_fts(rowid, title, body) SELECT entry.id, "  # noqa: S608  (SQL, no input)
    f"{sqlite_pairs('entry.title')}, {sqlite_pairs('entry.body')} FROM wagtailsearch_indexentry AS entry"
)

# Wagtail's index table keeps a title_norm it rewrites for every entry after each write: the pairs
# live in a table of their own, so that rewrite does not add each entry's pairs to a GIN index again.
POSTGRES_TRIGGERS = {
    "search_phrase_insert": "AFTER INSERT ON wagtailsearch_indexentry FOR EACH ROW "
    "EXECUTE FUNCTION search_phrase_write()",
    "search_phrase_update": "AFTER UPDATE OF title, body ON wagtailsearch_indexentry FOR EACH ROW "
    "WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.body IS DISTINCT FROM NEW.body) "
    "EXECUTE FUNCTION search_phrase_write()",
    "search_phrase_delete": "AFTER DELETE ON wagtailsearch_indexentry FOR EACH ROW "
    "EXECUTE FUNCTION search_phrase_forget()",
    "search_phrase_truncate": "AFTER TRUNCATE ON wagtailsearch_indexentry FOR EACH STATEMENT "
    "EXECUTE FUNCTION search_phrase_forget()",
}
POSTGRES = [
    # One pair a position: the lexeme 'a b' (no lexeme holds a space) where a is, tsvector text.
    r"""
    CREATE OR REPLACE FUNCTION search_phrase_pairs(vector tsvector, shift integer, weight text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT string_agg('''' || replace(replace(a.lexeme || ' ' || b.lexeme, '\', '\\'), '''', '''''')
                        || ''':' || least(a.position + shift, 16383) || weight, ' ')
      FROM (SELECT lexeme, unnest(positions) AS position FROM unnest(vector)) AS a
      JOIN (SELECT lexeme, unnest(positions) AS position FROM unnest(vector)) AS b
        ON b.position = a.position + 1
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_phrase_vector(title tsvector, body tsvector)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(search_phrase_pairs(title, 0, 'A'), '')::tsvector
             || coalesce(search_phrase_pairs(body, 1, 'D'), '')::tsvector
    $$
    """,
    """
    CREATE TABLE IF NOT EXISTS search_phrase_pairs (entry_id integer PRIMARY KEY, pairs tsvector NOT NULL)
    """,
    # The entries whose pairs match, from the GIN index: the table's rows are small (the pairs are
    # TOASTed), so the planner took reading it all for cheap and tested every entry's pairs (300 ms
    # at 10,000 stories against 1 ms from the index). A function with its own setting keeps it off.
    """
    CREATE OR REPLACE FUNCTION search_phrase_entries(query tsquery) RETURNS SETOF integer
    LANGUAGE sql STABLE PARALLEL SAFE ROWS 1000 SET enable_seqscan = off AS $$
      SELECT entry_id FROM search_phrase_pairs WHERE pairs @@ query
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_phrase_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_phrase_pairs (entry_id, pairs) VALUES (NEW.id, search_phrase_vector(NEW.title, NEW.body))
      ON CONFLICT (entry_id) DO UPDATE SET pairs = EXCLUDED.pairs;
      RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_phrase_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE search_phrase_pairs;
      ELSE
        DELETE FROM search_phrase_pairs WHERE entry_id = OLD.id;
      END IF;
      RETURN NULL;
    END
    $$
    """,
    *[f"DROP TRIGGER IF EXISTS {name} ON wagtailsearch_indexentry" for name in POSTGRES_TRIGGERS],
    *[f"CREATE TRIGGER {name} {definition}" for name, definition in POSTGRES_TRIGGERS.items()],
    "INSERT INTO search_phrase_pairs (entry_id, pairs) SELECT id, search_phrase_vector(title, body) "
    "FROM wagtailsearch_indexentry ON CONFLICT (entry_id) DO UPDATE SET pairs = EXCLUDED.pairs",
    # The GIN index after the pairs of an existing archive: built once rather than grown a row at a time.
    "CREATE INDEX IF NOT EXISTS search_phrase_pairs_gin ON search_phrase_pairs USING gin (pairs)",
    "ANALYZE search_phrase_pairs",
]
POSTGRES_DROP = [
    *[f"DROP TRIGGER IF EXISTS {name} ON wagtailsearch_indexentry" for name in POSTGRES_TRIGGERS],
    "DROP TABLE IF EXISTS search_phrase_pairs",
    "DROP FUNCTION IF EXISTS search_phrase_write()",
    "DROP FUNCTION IF EXISTS search_phrase_forget()",
    "DROP FUNCTION IF EXISTS search_phrase_entries(tsquery)",
    "DROP FUNCTION IF EXISTS search_phrase_vector(tsvector, tsvector)",
    "DROP FUNCTION IF EXISTS search_phrase_pairs(tsvector, integer, text)",
]


def sqlite_can_index_phrases(connection) -> bool:
    """FTS5 (Wagtail's index) and fts3tokenize (its tokenizer as a table) are both compiled in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_compileoption_used('ENABLE_FTS5'), sqlite_compileoption_used('ENABLE_FTS3')"
        )
        fts5, fts3 = cursor.fetchone()
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'wagtailsearch_indexentry_fts'")
        return bool(fts5 and fts3 and cursor.fetchone())


def create_sqlite_triggers(cursor) -> None:
    for name, definition in SQLITE_TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {definition}")


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)
    elif connection.vendor == "sqlite" and sqlite_can_index_phrases(connection):
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_TOKENS)
            cursor.execute(SQLITE_PAIRS)
            create_sqlite_triggers(cursor)
            cursor.execute(SQLITE_FILL)


def drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS search_phrase_fts")
            cursor.execute("DROP TABLE IF EXISTS search_tokens")


class Migration(migrations.Migration):
    dependencies = [("byline_search", "0001_sqlite_lookup_indexes")]

    operations = [migrations.RunPython(create, drop)]
