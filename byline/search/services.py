"""Site search: public, live stories through Wagtail search (SQLite FTS5 or PostgreSQL full text),
snippets with the reader's words highlighted, and tags to suggest when nothing matched."""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from urllib.parse import quote

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.dates import MONTHS
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Site
from wagtail.search.query import And, Phrase, PlainText

from byline.search.query import ReaderQuery
from byline.stories.models import StoryPage, StoryTag, Tag

SNIPPET_CHARS = 220
SUGGESTED_TAGS = 8


def public_stories():
    """What search may ever show: live, public, on the site. Drafts and members-only stories never
    reach the results, so they can never reach a snippet either."""
    return StoryPage.objects.live().filter(visibility="public", email_only=False)


def search_stories(query: ReaderQuery):
    """The matching stories, best first: title matches weigh more, equal scores go newest first.

    A sliceable, countable sequence (what Paginator needs). On SQLite with FTS5 it reads Wagtail's
    own full-text index with per-column weights (Wagtail's SQLite ranking scores the whole row, so
    a title match would not outrank a body match); on PostgreSQL it reads Wagtail's tsvector columns
    through their GIN indexes (PostgresResults); on any other backend it is Wagtail search itself.
    """
    if uses_sqlite_fts():
        return FTSResults(query)
    if uses_postgres_search():
        return PostgresResults(query)
    parts = [Phrase(" ".join(phrase)) for phrase in query.phrases]
    if query.words:
        parts.append(PlainText(" ".join(query.words), operator="and"))
    expression = parts[0] if len(parts) == 1 else And(parts)
    return public_stories().search(expression, order_by_relevance=True)


def uses_postgres_search() -> bool:
    from wagtail.search.backends import get_search_backend

    return type(get_search_backend()).__name__ == "PostgresSearchBackend"


def uses_sqlite_fts() -> bool:
    from wagtail.search.backends import get_search_backend

    return type(get_search_backend()).__name__ == "SQLiteSearchBackend"


def match_expression(query: ReaderQuery) -> str:
    """An FTS5 MATCH string built only from words (letters, digits), each quoted: nothing a reader
    types can become an operator."""
    phrases = [" ".join(phrase) for phrase in query.phrases] + list(query.words)
    return "{title body} : (" + " AND ".join(f'"{phrase}"' for phrase in phrases) + ")"


# Whether this database has the phrase index (migrations/0002), by database name: asked once.
_PHRASE_INDEX: dict[str, bool] = {}


def has_phrase_index() -> bool:
    name = str(connection.settings_dict["NAME"])
    if name not in _PHRASE_INDEX:
        if connection.vendor == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE name = 'search_phrase_fts'"
        else:
            sql = "SELECT 1 WHERE to_regclass('search_phrase_pairs') IS NOT NULL"
        _PHRASE_INDEX[name] = bool(_fetch(sql, []))
    return _PHRASE_INDEX[name]


@dataclass(frozen=True)
class Hits:
    """The index entries a query matches, as SQL: the full-text tables and their condition (with its
    params), the expression of each match's entry id, and its BM25 score (lower is better)."""

    tables: str
    condition: str
    params: list
    entry_id: str
    bm25: str

    @property
    def source(self) -> str:
        return f"FROM {self.tables} WHERE {self.condition}"


class FTSResults:
    """Stories matching a query in Wagtail's SQLite FTS5 index, as a sliceable, countable sequence
    of story ids (plain ints: load_results reads what a row shows).

    Each full-text match is checked against the searchable stories (migrations/0003: live, public,
    not email-only, by index entry) with one lookup by its entry id.
    Ranking: BM25 with the title weighing TITLE_WEIGHT times the body, equal scores newest first;
    a page of results is one query (SQLite keeps only the best rows of the page while it scores
    every match) and the count another, which stops at COUNT_LIMIT + 1 (`capped` then says the
    true number is higher).
    A query matching more than RANKED_MATCHES index entries (a word in most stories) is listed
    newest first instead: BM25 would cost hundreds of milliseconds at 100,000 and says little
    about a word that is everywhere.

    Phrases are read from the phrase index (migrations/0002: each pair of adjacent words one
    token), words from Wagtail's; a query with both reads the side with fewer matches and checks
    each of its entries against the other by rowid.
    """

    TITLE_WEIGHT = 5.0
    RANKED_MATCHES = 5_000
    COUNT_LIMIT = 1_000
    RANK_MARGIN = 20  # entries ranked beyond a page's own, for those search may not show

    def __init__(self, query: ReaderQuery):
        self.query = query
        self._count = None
        self._entries = None
        self._hits = None
        self.capped = False

    def broad(self) -> bool:
        """Too many matches to rank: listed newest first."""
        return self.entries() > self.RANKED_MATCHES

    def count(self) -> int:
        if self._count is None:
            found = self._count_up_to(self.COUNT_LIMIT + 1) if self.entries() else 0
            self.capped = found > self.COUNT_LIMIT
            self._count = min(found, self.COUNT_LIMIT)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        # As far as the count goes: no page lies past COUNT_LIMIT.
        start = min(key.start or 0, self.COUNT_LIMIT)
        stop = self.COUNT_LIMIT if key.stop is None else min(key.stop, self.COUNT_LIMIT)
        if stop <= start or not self.entries():
            return []
        if self.broad():
            return self._newest(stop - start, start)
        return self._ranked(stop - start, start)

    # What each backend answers in SQL.

    def hits(self) -> Hits:
        """The matching entries: words (and any phrase the phrase index cannot take) from Wagtail's
        FTS5 table, phrases of two or more tokens from the phrase index, as the same phrase of
        their pairs ("a b c" is a_b then b_c: exactly the phrase)."""
        if self._hits is None:
            words, pairs = list(self.query.words), []
            for phrase, tokens in zip(self.query.phrases, self._phrase_tokens(), strict=True):
                if len(tokens) > 1:
                    pairs.append('"' + " ".join(f"{a}_{b}" for a, b in pairwise(tokens)) + '"')
                else:  # one token or none (characters the tokenizer drops): as before
                    words.append(" ".join(phrase))
            self._hits = _fts_hits(words, pairs, self.TITLE_WEIGHT)
        return self._hits

    def _phrase_tokens(self) -> list[list[str]]:
        """Each phrase's tokens, by the tokenizer of Wagtail's FTS5 table (fts3tokenize(unicode61),
        the same code): one query for every phrase, none without the phrase index."""
        phrases = [" ".join(phrase) for phrase in self.query.phrases]
        if not phrases or not has_phrase_index():
            return [[] for _ in phrases]
        each = " UNION ALL ".join(
            f"SELECT {n} AS phrase, position, token FROM search_tokens WHERE input = %s"  # noqa: S608
            for n in range(len(phrases))
        )
        tokens = [[] for _ in phrases]
        for phrase, _, token in _fetch(f"SELECT * FROM ({each}) ORDER BY phrase, position", phrases):  # noqa: S608
            tokens[phrase].append(token)
        return tokens

    def entries(self) -> int:
        """Index entries matching (drafts and other page types included: an upper bound), counted
        up to RANKED_MATCHES + 1, which is all choosing the order needs: a word in every story
        stops the count early."""
        if self._entries is None:
            hits = self.hits()
            sql = f"SELECT COUNT(*) FROM (SELECT 1 {hits.source} LIMIT %s)"  # noqa: S608
            self._entries = _fetch(sql, [*hits.params, self.RANKED_MATCHES + 1])[0][0]
        return self._entries

    def _matches(self, select: str, tail: str) -> tuple[str, list]:
        # CROSS JOIN fixes SQLite's join order: the full-text match drives, then one lookup by id
        # in the searchable stories; left to itself the planner may walk the stories and probe
        # the full-text index for each.
        hits = self.hits()
        sql = (
            f"SELECT {select} FROM {hits.tables} CROSS JOIN search_story_entries AS story "  # noqa: S608
            f"WHERE {hits.condition} AND story.entry_id = {hits.entry_id} {tail}"
        )
        return sql, hits.params

    def _count_up_to(self, limit: int) -> int:
        sql, params = self._matches("1", "LIMIT %s")
        return _fetch(f"SELECT COUNT(*) FROM ({sql})", [*params, limit])[0][0]  # noqa: S608

    def _ranked(self, limit: int, start: int) -> list[int]:
        """A page of the ranked results. BM25 over the full-text index alone picks the best entries
        the page needs plus a margin, and only those are checked against the searchable stories:
        joining every match first cost a lookup for each (2,541 of them for a phrase of two common
        words). That answer is exact when enough of them are searchable and the last one kept
        scores strictly better than the last one read (nothing unread can tie with it and be
        newer); otherwise the joined query answers."""
        wanted = start + limit
        hits = self.hits()
        read = wanted + self.RANK_MARGIN
        best = f"SELECT {hits.entry_id}, {hits.bm25} {hits.source} ORDER BY 2 LIMIT %s"  # noqa: S608
        ranked = _fetch(best, [*hits.params, read])
        if not ranked:
            return []
        complete, last = len(ranked) < read, ranked[-1][1]
        # Equal scores from the page's last entry to the last one read: ties may run on unread.
        if complete or ranked[wanted - 1][1] < last:
            scores = dict(ranked)
            found = _fetch(
                "SELECT entry_id, page_id, published FROM search_story_entries "  # noqa: S608
                f"WHERE entry_id IN ({', '.join(['%s'] * len(scores))})",
                list(scores),
            )
            # Best score first, equal scores newest first (two stable sorts: dates are text).
            found.sort(key=lambda row: (row[2] or "", row[1]), reverse=True)
            found.sort(key=lambda row: scores[row[0]])
            if complete or (len(found) >= wanted and scores[found[wanted - 1][0]] < last):
                return [row[1] for row in found[start:wanted]]
        return self._ranked_joined(limit, start)

    def _ranked_joined(self, limit: int, start: int) -> list[int]:
        """A page of the ranked results by the definition: every match checked, then ranked."""
        hits = self.hits()
        order = f"ORDER BY {hits.bm25}, story.published DESC, story.page_id DESC LIMIT %s OFFSET %s"
        sql, params = self._matches("story.page_id", order)
        return [row[0] for row in _fetch(sql, [*params, limit, start])]

    def _newest(self, limit: int, start: int) -> list[int]:
        # Walk the searchable stories newest first (their own index) and keep those among the
        # matches, which SQLite lists once: a broad word fills a page of results after a few dozen.
        hits = self.hits()
        sql = (
            "SELECT story.page_id FROM search_story_entries AS story "  # noqa: S608  (table names, no input)
            "INDEXED BY search_story_entries_newest "
            f"WHERE story.entry_id IN (SELECT {hits.entry_id} {hits.source}) "
            "ORDER BY story.published DESC, story.page_id DESC LIMIT %s OFFSET %s"
        )
        return [row[0] for row in _fetch(sql, [*hits.params, limit, start])]


def _fts_hits(words: list[str], pairs: list[str], title_weight: float) -> Hits:
    """Hits for words (or phrases left to Wagtail's table) and phrases of pairs (the phrase
    index). bm25() is lower for better matches; its weights follow each table's columns
    (Wagtail's: autocomplete, body, title; the phrase index's: title, body)."""
    fts = _fts_table()
    words_match = "{title body} : (" + " AND ".join(f'"{word}"' for word in words) + ")"
    words_rank = f"bm25({fts}, 0.0, 1.0, {title_weight})"
    if not pairs:
        return Hits(f"{fts} AS fts", f"{fts} MATCH %s", [words_match], "fts.rowid", words_rank)
    pairs_match = " AND ".join(pairs)
    pairs_rank = f"bm25(search_phrase_fts, {title_weight}, 1.0)"
    if not words:
        pairs_only = "search_phrase_fts MATCH %s"
        return Hits("search_phrase_fts AS pairs", pairs_only, [pairs_match], "pairs.rowid", pairs_rank)
    # Both: the table with fewer matches drives, and FTS5 checks each of its entries against the
    # other's MATCH by rowid (a seek, not a scan): a common phrase and a rare word cost what the
    # rare word does.
    pairs_first = _matches_up_to(DRIVER_PROBE, "search_phrase_fts", pairs_match) <= _matches_up_to(
        DRIVER_PROBE, fts, words_match
    )
    first, second = ("search_phrase_fts", fts) if pairs_first else (fts, "search_phrase_fts")
    alias = {"search_phrase_fts": "pairs", fts: "fts"}
    matches = {"search_phrase_fts": pairs_match, fts: words_match}
    return Hits(
        f"{first} AS {alias[first]} CROSS JOIN {second} AS {alias[second]}",
        f"{first} MATCH %s AND {alias[second]}.rowid = {alias[first]}.rowid AND {second} MATCH %s",
        [matches[first], matches[second]],
        f"{alias[first]}.rowid",
        f"{words_rank} + {pairs_rank}",
    )


# How far each side of a query with words and phrases is counted to choose which drives.
DRIVER_PROBE = 2_000


def _matches_up_to(limit: int, table: str, match: str) -> int:
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT %s)"  # noqa: S608
    return _fetch(sql, [match, limit])[0][0]


class PostgresResults(FTSResults):
    """The same reading of Wagtail's index on PostgreSQL (its tsvector columns). Wagtail's own
    query matches `title || body`, an expression no index covers, so it read every entry (1 s at
    10,000 stories); here each word must match the title or the body, which the GIN indexes
    answer. Each phrase is its chain of pairs in the phrase index (search_phrase_pairs,
    migrations/0002), one GIN lookup of short lists: matching the phrase in the title or the
    body read every candidate's body tsvector to check positions (2 s for two common words at
    100,000 stories). A phrase the pairs cannot express (a stop word inside it leaves a gap) is
    matched that old way.
    Rank: ts_rank of the title × TITLE_WEIGHT plus ts_rank of the body for the words, plus
    TITLE_WEIGHT for each phrase found in the title (see _ranking); equal scores newest first."""

    def __init__(self, query: ReaderQuery):
        super().__init__(query)
        self._words = None
        self._phrases = None
        self._ranked_ids_found = None

    def _count_up_to(self, limit: int) -> int:
        return self._count_broad(limit) if self.broad() else len(self._every_ranked())

    def _ranked(self, limit: int, start: int) -> list[int]:
        return self._every_ranked()[start : start + limit]

    def _every_ranked(self) -> list[int]:
        """Every page's ids, best first, up to COUNT_LIMIT + 1, from one query: ts_rank scores every
        match whatever the page asked for, so the page and the count come from the same rows."""
        if self._ranked_ids_found is None:
            self._ranked_ids_found = self._ranked_ids(self.COUNT_LIMIT + 1)
        return self._ranked_ids_found

    def _indexed_words(self) -> list[str]:
        """The reader's words that are not stop words to the text search configuration (these
        match nothing, and Wagtail's query ignores them)."""
        if self._words is None:
            rows = _fetch(
                "SELECT word FROM unnest(%s::text[]) AS word WHERE numnode(plainto_tsquery(word)) > 0",
                [list(dict.fromkeys(self.query.all_words))],
            )
            self._words = [row[0] for row in rows]
        return self._words

    def _split_phrases(self) -> tuple[str | None, list[str], list[str]]:
        """The phrases the phrase index answers, as one tsquery of their chains of pairs (text),
        the others (as text), and each of the first as a tsquery of its lexemes one after the
        other (text: what finds it in a title). A phrase's lexemes are what to_tsvector makes of
        it, as for phraseto_tsquery: it goes to the pairs when they sit at consecutive positions,
        one a position (no stop word inside, no word split in two), and is then exactly the phrase."""
        if self._phrases is None:
            texts = [" ".join(phrase) for phrase in self.query.phrases]
            lexemes: list[dict[int, list[str]]] = [{} for _ in texts]
            if texts and has_phrase_index():
                sql = (
                    "SELECT phrase.n, word.lexeme, word.positions FROM unnest(%s::text[]) "
                    "WITH ORDINALITY AS phrase(text, n), unnest(to_tsvector(phrase.text)) AS word"
                )
                for n, lexeme, positions in _fetch(sql, [texts]):
                    for position in positions:
                        lexemes[n - 1].setdefault(position, []).append(lexeme)
            chains, others, in_title = [], [], []
            for text, at in zip(texts, lexemes, strict=True):
                consecutive = len(at) > 1 and max(at) - min(at) + 1 == len(at)
                if consecutive and all(len(found) == 1 for found in at.values()):
                    words = [at[position][0] for position in sorted(at)]
                    chains.append(" <-> ".join(_tsquery_lexeme(f"{a} {b}") for a, b in pairwise(words)))
                    in_title.append(" <-> ".join(_tsquery_lexeme(word) for word in words))
                else:
                    others.append(text)
            pairs = " & ".join(f"({chain})" for chain in chains) or None
            self._phrases = (pairs, others, in_title)
        return self._phrases

    def _phrases_only(self) -> bool:
        """Only phrases the phrase index answers: nothing to read in Wagtail's table (see _from)."""
        pairs, others, _ = self._split_phrases()
        return bool(pairs) and not others and not self.query.words

    def _where(self, entry_id: str) -> tuple[str, list]:
        """Each word in the title or the body, each phrase in the phrase index's pairs (or, when
        they cannot say it, in the title or the body): conditions the GIN indexes answer. The
        phrase index names its entries by id: `entry_id` is where the query has that id."""
        if not self._indexed_words():
            return "FALSE", []
        indexed = set(self._indexed_words())
        pairs, others, _ = self._split_phrases()
        either = "(entry.title @@ {f}(%s) OR entry.body @@ {f}(%s))"
        words = [word for word in self.query.words if word in indexed]
        conditions = [either.format(f="plainto_tsquery")] * len(words)
        conditions += [either.format(f="phraseto_tsquery")] * len(others)
        params = [text for text in words + others for _ in range(2)]
        if pairs:
            conditions.append(f"{entry_id} IN (SELECT search_phrase_entries(%s::tsquery))")
            params.append(pairs)
        return " AND ".join(conditions), params

    def _ranking(self) -> tuple[str, list]:
        _, others, in_title = self._split_phrases()
        parts = ["plainto_tsquery(%s)"] * bool(self.query.words) + ["phraseto_tsquery(%s)"] * len(others)
        ranks, params = [], []  # never left empty: each word and phrase adds its part
        if parts:
            full = " && ".join(parts)
            ranks.append(f"ts_rank(entry.title, {full}) * {self.TITLE_WEIGHT} + ts_rank(entry.body, {full})")
            params += ([" ".join(self.query.words)] * bool(self.query.words) + others) * 2
        # A phrase of the phrase index counts where it is, not how often: in the title it weighs
        # TITLE_WEIGHT, in the body nothing more (equal scores go newest first). Its ts_rank over
        # the pairs read each match's whole vector of pairs, out of line and compressed: 116 ms
        # for a phrase in 2,541 stories at 100,000. The titles holding it come from the title's
        # GIN index, once, rather than from each match's entry (a lookup each: 6 ms for 2,541).
        for phrase in in_title:
            titles = f"SELECT id FROM {_entries_table()} WHERE title @@ %s::tsquery"  # noqa: S608
            ranks.append(f"(story.entry_id IN ({titles}))::int * {self.TITLE_WEIGHT}")
            params.append(phrase)
        return " + ".join(ranks), params

    def _from(self) -> str:
        # Each match checked with one lookup in the searchable stories (migrations/0004). Phrases
        # alone need nothing from Wagtail's table: their entries come from the phrase index, the
        # rank from the titles' (see _ranking).
        if self._phrases_only():
            return "FROM search_story_entries AS story WHERE "
        return (
            f"FROM {_entries_table()} AS entry "  # noqa: S608  (table names, no input)
            "JOIN search_story_entries AS story ON story.entry_id = entry.id WHERE "
        )

    def entries(self) -> int:
        if self._entries is None:
            if self._phrases_only():
                # Their entries straight from the phrase index, without looking each one up in
                # Wagtail's table (20 ms for 2,541 at 100,000 stories).
                pairs, _, _ = self._split_phrases()
                inner, params = "SELECT search_phrase_entries(%s::tsquery) LIMIT %s", [pairs]
            else:
                where, params = self._where("entry.id")
                inner = f"SELECT 1 FROM {_entries_table()} AS entry WHERE {where} LIMIT %s"  # noqa: S608
            sql = f"SELECT COUNT(*) FROM ({inner}) AS matched"  # noqa: S608
            self._entries = _fetch(sql, [*params, self.RANKED_MATCHES + 1])[0][0]
        return self._entries

    def _count_broad(self, limit: int) -> int:
        where, params = self._where("story.entry_id")
        sql = f"SELECT COUNT(*) FROM (SELECT 1 {self._from()} {where} LIMIT %s) AS found"  # noqa: S608
        return _fetch(sql, [*params, limit])[0][0]

    def _ranked_ids(self, limit: int) -> list[int]:
        where, params = self._where("story.entry_id")
        if where == "FALSE":  # only stop words
            return []
        rank, rank_params = self._ranking()
        order = f"{rank} DESC, story.published DESC, story.page_id DESC"
        sql = f"SELECT story.page_id {self._from()} {where} ORDER BY {order} LIMIT %s"
        return [row[0] for row in _fetch(sql, [*params, *rank_params, limit])]

    def _newest(self, limit: int, start: int) -> list[int]:
        # Walk the searchable stories newest first (their own index) and keep the matches, each
        # checked by its entry's key: a broad word fills a page after a few dozen. Joined the
        # other way, the planner read and tested every entry of the index (80 ms at 10,000 stories).
        where, params = self._where("story.entry_id")
        if not self._phrases_only():
            entry = f"SELECT 1 FROM {_entries_table()} AS entry WHERE entry.id = story.entry_id"  # noqa: S608
            where = f"EXISTS ({entry} AND {where})"
        sql = (
            "SELECT story.page_id FROM search_story_entries AS story "  # noqa: S608  (table names, no input)
            f"WHERE {where} ORDER BY story.published DESC, story.page_id DESC LIMIT %s OFFSET %s"
        )
        return [row[0] for row in _fetch(sql, [*params, limit, start])]


def _tsquery_lexeme(text: str) -> str:
    """A lexeme quoted for tsquery's text form (read as it is: no stemming, no stop words)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _entries_table() -> str:
    from wagtail.search.models import IndexEntry

    return IndexEntry._meta.db_table


def _pages_table() -> str:
    from wagtail.models import Page

    return Page._meta.db_table


def _fts_table() -> str:
    from wagtail.search.models import IndexEntry

    return f"{IndexEntry._meta.db_table}_fts"


@dataclass(frozen=True)
class Result:
    """What a result row (and the as-you-type list) shows, and nothing more: building full
    Wagtail pages for twenty rows cost more than the search itself."""

    id: int
    title: str
    url: str
    snippet: SafeString
    published_at: datetime
    primary_tag: "ResultTag | None"
    # The date as the `date` filter prints it ('c' and 'j F Y', in the reader's time zone), made
    # here: forty filter calls were a third of the time the results list took to render.
    date_iso: str
    date_label: str


@dataclass(frozen=True)
class ResultTag:
    """A result's primary tag: its name and where it links (a Tag model per row cost more than
    the rest of the row)."""

    name: str
    slug: str

    def get_absolute_url(self) -> str:
        return Tag.url_for(self.slug)


def load_results(stories, query: ReaderQuery, request) -> list[Result]:
    """The rows for these stories (ids, or pages from Wagtail search), in their order, in one
    query: the fields a row shows and the story's first public tag."""
    ids = [story if isinstance(story, int) else story.pk for story in stories]
    if not ids:
        return []
    rows = {row[0]: row for row in _fetch(_rows_sql(len(ids)), ids)}
    url = _url_maker(request)
    words = Words(query)
    zone = timezone.get_current_timezone()
    month_names = {}  # translated once a request, not once a row
    results = []
    for pk in ids:
        if pk not in rows:  # unpublished between the two queries
            continue
        _, title, url_path, custom_excerpt, plaintext, excerpt, published, tag_name, tag_slug = rows[pk]
        published = _aware(published) or timezone.now()  # as StoryPage.published_at
        local = published.astimezone(zone)
        if local.month not in month_names:
            month_names[local.month] = str(MONTHS[local.month])
        results.append(
            Result(
                id=pk,
                title=title,
                url=url(url_path),
                snippet=passage(words, custom_excerpt, plaintext, excerpt),
                published_at=published,
                primary_tag=ResultTag(name=tag_name, slug=tag_slug) if tag_slug is not None else None,
                date_iso=local.isoformat(),
                date_label=f"{local.day} {month_names[local.month]} {local.year}",
            )
        )
    return results


def _rows_sql(count: int) -> str:
    # Written out rather than two ORM querysets: building those cost four times what running
    # them did, most of this function's time. The primary tag is the first that is not internal.
    pages, stories, tags, links = (
        _pages_table(),
        StoryPage._meta.db_table,
        Tag._meta.db_table,
        StoryTag._meta.db_table,
    )
    first_public_tag = (
        f"SELECT link.tag_id FROM {links} AS link JOIN {tags} AS named ON named.id = link.tag_id "  # noqa: S608
        "WHERE link.story_id = page.id AND substr(named.name, 1, 1) <> '#' ORDER BY link.sort_order LIMIT 1"
    )
    return (
        "SELECT page.id, page.title, page.url_path, story.custom_excerpt, story.plaintext, story.excerpt, "  # noqa: S608
        "COALESCE(page.first_published_at, page.go_live_at, page.latest_revision_created_at), "
        f"tag.name, tag.slug FROM {pages} AS page JOIN {stories} AS story ON story.page_ptr_id = page.id "
        f"LEFT JOIN {tags} AS tag ON tag.id = ({first_public_tag}) "
        f"WHERE page.id IN ({', '.join(['%s'] * count)})"
    )


def _aware(value: datetime | str | None) -> datetime | None:
    """A datetime read by hand: SQLite gives the text Django stored (UTC), PostgreSQL an aware value."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _url_maker(request) -> Callable[[str], str]:
    """A story's URL from its url_path, as Page.get_url(request) gives it (relative on the
    request's site, absolute on another), without building the page."""
    current = Site.find_for_request(request)
    roots = Site.get_site_root_paths()
    # reverse() once, for where Wagtail's pages start; the rest is quoted as reverse() quotes its
    # arguments. Twenty reverse() calls were a tenth of a results page's own work.
    serve = reverse("wagtail_serve", args=("",))

    def url(url_path: str) -> str:
        possible = [root for root in roots if url_path.startswith(root.root_path)]
        if not possible:
            return ""
        chosen = next((root for root in possible if current and root.site_id == current.pk), possible[0])
        path = serve + quote(url_path[len(chosen.root_path) :], safe=RFC3986_SUBDELIMS + "/~:@")
        if current and chosen.site_id == current.pk:
            return path
        return chosen.root_url + path

    return url


class Words:
    """The reader's words, to find in a story's text and to highlight there."""

    def __init__(self, query: ReaderQuery):
        self.words = sorted(set(query.all_words), key=len, reverse=True)
        # Whole words, or their beginnings (harbour → harbours), whatever the case.
        alternatives = "|".join(re.escape(word) for word in self.words)
        self.pattern = re.compile(r"\b(?:" + alternatives + r")\w*", re.IGNORECASE) if self.words else None

    def first(self, text: str) -> re.Match | None:
        """The first of the words in the text. The case-insensitive pattern tries every
        position of a story (40 µs for a median one, most of a results page's snippets when the
        words are only in titles); a plain search of the case-folded text finds where to start
        it, or that no word is there. Text whose folding changes its length is searched whole."""
        if self.pattern is None or not text:
            return None
        folded = text.casefold()
        if len(folded) != len(text):
            return self.pattern.search(text)
        found = [at for at in (folded.find(word) for word in self.words) if at >= 0]
        return self.pattern.search(text, min(found)) if found else None


def passage(words: Words, custom_excerpt: str, plaintext: str, excerpt: str) -> SafeString:
    """A passage of the story around the first of the reader's words, HTML-escaped, the words in
    <mark>. The standfirst or excerpt when the words are only in the title or tags."""
    for text in (custom_excerpt, plaintext):
        match = words.first(text)
        if match:
            start = max(0, match.start() - SNIPPET_CHARS // 3)
            start = text.rfind(" ", 0, start) + 1 if start else 0
            end = min(len(text), start + SNIPPET_CHARS)
            end = text.find(" ", end) if text.find(" ", end) != -1 else len(text)
            passage = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
            return highlight(passage, words.pattern)
    excerpt = excerpt or ""
    short = excerpt[:SNIPPET_CHARS] + ("…" if len(excerpt) > SNIPPET_CHARS else "")
    return highlight(short, words.pattern)


def highlight(text: str, pattern: re.Pattern | None) -> SafeString:
    if pattern is None:
        return mark_safe(html.escape(text))  # noqa: S308  (escaped just here)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(html.escape(text[last : match.start()]))
        pieces.append(f"<mark>{html.escape(match.group())}</mark>")
        last = match.end()
    pieces.append(html.escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308  (every piece escaped above)


def suggested_tags(limit: int = SUGGESTED_TAGS) -> list[Tag]:
    """The public tags with the most public stories: where to look when a search found nothing.
    Counted at most every ten minutes: it scans every tagged story."""
    return cache.get_or_set("search:suggested-tags", lambda: _count_tags(limit), timeout=600)


def _count_tags(limit: int) -> list[Tag]:
    live = Q(story_links__story__live=True, story_links__story__visibility="public")
    return list(
        Tag.objects.exclude(name__startswith="#")
        .annotate(stories=Count("story_links", filter=live))
        .filter(stories__gt=0)
        .order_by("-stories", "name")[:limit]
    )


def as_json(result: Result) -> dict:
    tag = result.primary_tag
    return {
        "title": result.title,
        "url": result.url,
        "excerpt": str(result.snippet),
        "date": result.published_at.isoformat(),
        "primary_tag": {"name": tag.name, "slug": tag.slug, "url": tag.get_absolute_url()} if tag else None,
    }


def rebuild_index(progress=None, chunk_size: int = 500) -> int:
    """Re-index every story in Wagtail's search index (publishing keeps it current one story at a
    time; this is for an import, a restored backup or a changed set of search fields)."""
    from wagtail.search.backends import get_search_backend

    index = get_search_backend().get_index_for_model(StoryPage)
    if hasattr(index, "delete_stale_model_entries"):
        index.delete_stale_model_entries(StoryPage)
    ids = list(StoryPage.objects.order_by("pk").values_list("pk", flat=True))
    related = ("story_tags__tag", "story_authors__author")
    for start in range(0, len(ids), chunk_size):
        chunk = list(
            StoryPage.objects.filter(pk__in=ids[start : start + chunk_size]).prefetch_related(*related)
        )
        index.add_items(StoryPage, chunk)
        if progress:
            progress("Indexing", min(start + chunk_size, len(ids)), len(ids))
    if hasattr(index, "_refresh_title_norms"):
        index._refresh_title_norms(full=True)
    return len(ids)
