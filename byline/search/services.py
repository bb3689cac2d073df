"""Site search: public, live stories through Wagtail search (SQLite FTS5 or PostgreSQL full text),
snippets with the reader's words highlighted, and tags to suggest when nothing matched."""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
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


class FTSResults:
    """Stories matching a query in Wagtail's SQLite FTS5 index. Slicing runs one query for the
    page's story ids (plain ints: load_results reads what a row shows), len() one bounded count.

    Ranking: BM25 with the title weighing TITLE_WEIGHT times the body, equal scores newest first.
    A query matching more than RANKED_MATCHES index entries (a word in most stories) is listed
    newest first instead: BM25 has to score every match, which costs hundreds of milliseconds at
    100,000, and says little about a word that is everywhere. Counts stop at COUNT_LIMIT
    (`capped` then says the true number is higher): counting every match of such a word costs as
    much as ranking it.
    """

    TITLE_WEIGHT = 5.0
    RANKED_MATCHES = 5_000
    COUNT_LIMIT = 1_000

    def __init__(self, query: ReaderQuery):
        from django.contrib.contenttypes.models import ContentType

        self.match = match_expression(query)
        self.content_type = ContentType.objects.get_for_model(StoryPage).pk
        self._count = None
        self._entries = None
        self.capped = False

    def _sql(self, select: str, tail: str = "") -> str:
        # CROSS JOIN fixes SQLite's join order: the full-text match drives, then primary-key
        # lookups; left to itself the planner may walk every page and probe the index for each.
        return (
            f"SELECT {select} FROM {_fts_table()} AS fts "  # noqa: S608  (table names, no input)
            f"CROSS JOIN {_entries_table()} AS entry CROSS JOIN {_pages_table()} AS page "
            f"CROSS JOIN {StoryPage._meta.db_table} AS story "
            f"WHERE {_fts_table()} MATCH %s AND entry.id = fts.rowid AND entry.content_type_id = %s "
            "AND page.id = CAST(entry.object_id AS INTEGER) AND story.page_ptr_id = page.id AND page.live "
            f"AND story.visibility = 'public' AND NOT story.email_only {tail}"
        )

    def _newest_sql(self) -> str:
        # Walk live pages newest first (the stories_live_newest_first index) and keep those whose
        # index entry is among the matches, which SQLite lists once: a broad word fills a page of
        # results after a few dozen pages.
        return (
            f"SELECT page.id FROM {_pages_table()} AS page "  # noqa: S608  (table names, no input)
            f"CROSS JOIN {StoryPage._meta.db_table} AS story "
            "WHERE story.page_ptr_id = page.id AND page.live AND story.visibility = 'public' "
            f"AND NOT story.email_only AND EXISTS (SELECT 1 FROM {_entries_table()} AS entry "
            "WHERE entry.content_type_id = %s AND entry.object_id = CAST(page.id AS TEXT) AND entry.id IN "
            f"(SELECT rowid FROM {_fts_table()} WHERE {_fts_table()} MATCH %s)) "
            "ORDER BY page.first_published_at DESC, page.id DESC LIMIT %s OFFSET %s"
        )

    def entries(self) -> int:
        """Index entries matching, drafts and other page types included: cheap, an upper bound."""
        if self._entries is None:
            sql = f"SELECT COUNT(*) FROM {_fts_table()} WHERE {_fts_table()} MATCH %s"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [self.match])
                self._entries = cursor.fetchone()[0]
        return self._entries

    def count(self) -> int:
        if self._count is None:
            sql = f"SELECT COUNT(*) FROM ({self._sql('1', 'LIMIT %s')})"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [self.match, self.content_type, self.COUNT_LIMIT + 1])
                found = cursor.fetchone()[0]
            self.capped = found > self.COUNT_LIMIT
            self._count = min(found, self.COUNT_LIMIT)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop
        limit = -1 if stop is None else max(stop - start, 0)
        if self.entries() > self.RANKED_MATCHES:
            sql, params = self._newest_sql(), [self.content_type, self.match, limit, start]
        else:
            # bm25() is lower for better matches; the weights follow the columns: autocomplete, body, title.
            sql = self._sql(
                "page.id",
                f"ORDER BY bm25({_fts_table()}, 0.0, 1.0, {self.TITLE_WEIGHT}), "
                "page.first_published_at DESC, page.id DESC LIMIT %s OFFSET %s",
            )
            params = [self.match, self.content_type, limit, start]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]


class PostgresResults(FTSResults):
    """The same reading of Wagtail's index on PostgreSQL (its tsvector columns). Wagtail's own
    query matches `title || body`, an expression no index covers, so it read every entry (1 s at
    10,000 stories); here each word must match the title or the body and each phrase one of
    them, which the GIN indexes answer.
    Rank: ts_rank of the title × TITLE_WEIGHT plus ts_rank of the body; equal scores newest first."""

    def __init__(self, query: ReaderQuery):
        from django.contrib.contenttypes.models import ContentType

        self.query = query
        self.content_type = ContentType.objects.get_for_model(StoryPage).pk
        self._count = None
        self._entries = None
        self.capped = False
        self._words = None

    def _indexed_words(self) -> list[str]:
        """The reader's words that are not stop words to the text search configuration (these
        match nothing, and Wagtail's query ignores them)."""
        if self._words is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT word FROM unnest(%s::text[]) AS word WHERE numnode(plainto_tsquery(word)) > 0",
                    [list(dict.fromkeys(self.query.all_words))],
                )
                self._words = [row[0] for row in cursor.fetchall()]
        return self._words

    def _where(self) -> tuple[str, list]:
        """Each word in the title or the body, each phrase in one of them: conditions the GIN
        indexes answer (the phrase is then checked on the rows they find)."""
        words = self._indexed_words()
        if not words:
            return "FALSE", []
        either = "(entry.title @@ {f}(%s) OR entry.body @@ {f}(%s))"
        conditions = [either.format(f="plainto_tsquery")] * len(words)
        conditions += [either.format(f="phraseto_tsquery")] * len(self.query.phrases)
        texts = words + [" ".join(phrase) for phrase in self.query.phrases]
        return " AND ".join(conditions), [text for text in texts for _ in range(2)]

    def _ranking(self) -> tuple[str, list]:
        parts = ["plainto_tsquery(%s)"] * bool(self.query.words) + ["phraseto_tsquery(%s)"] * len(
            self.query.phrases
        )
        full = " && ".join(parts)
        params = [" ".join(self.query.words)] * bool(self.query.words)
        params += [" ".join(phrase) for phrase in self.query.phrases]
        rank = f"ts_rank(entry.title, {full}) * {self.TITLE_WEIGHT} + ts_rank(entry.body, {full})"
        return rank, params * 2

    def _from(self) -> str:
        return (
            f"FROM {_entries_table()} AS entry "  # noqa: S608  (table names, no input)
            f"JOIN {_pages_table()} AS page ON page.id = entry.object_id::integer "
            f"JOIN {StoryPage._meta.db_table} AS story ON story.page_ptr_id = page.id "
            "WHERE entry.content_type_id = %s AND page.live AND story.visibility = 'public' "
            "AND NOT story.email_only AND "
        )

    def entries(self) -> int:
        if self._entries is None:
            where, params = self._where()
            inner = f"SELECT 1 FROM {_entries_table()} AS entry WHERE {where} LIMIT %s"  # noqa: S608
            sql = f"SELECT COUNT(*) FROM ({inner}) AS matched"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, self.RANKED_MATCHES + 1])
                self._entries = cursor.fetchone()[0]
        return self._entries

    def count(self) -> int:
        if self._count is None:
            where, params = self._where()
            sql = f"SELECT COUNT(*) FROM (SELECT 1 {self._from()} {where} LIMIT %s) AS found"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [self.content_type, *params, self.COUNT_LIMIT + 1])
                found = cursor.fetchone()[0]
            self.capped = found > self.COUNT_LIMIT
            self._count = min(found, self.COUNT_LIMIT)
        return self._count

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop
        limit = None if stop is None else max(stop - start, 0)
        where, params = self._where()
        if where == "FALSE":  # only stop words
            return []
        newest = "page.first_published_at DESC, page.id DESC"
        if self.entries() > self.RANKED_MATCHES:
            order, rank_params = newest, []
        else:
            rank, rank_params = self._ranking()
            order = f"{rank} DESC, {newest}"
        sql = f"SELECT page.id {self._from()} {where} ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.content_type, *params, *rank_params, limit, start])
            return [row[0] for row in cursor.fetchall()]


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
    primary_tag: Tag | None  # name and slug only, for its link


def load_results(stories, query: ReaderQuery, request) -> list[Result]:
    """The rows for these stories (ids, or pages from Wagtail search), in their order, in two
    queries: the fields a row shows, then the stories' first public tags."""
    ids = [story if isinstance(story, int) else story.pk for story in stories]
    if not ids:
        return []
    rows = {
        row[0]: row
        for row in StoryPage.objects.filter(pk__in=ids).values_list(
            "pk",
            "title",
            "url_path",
            "custom_excerpt",
            "plaintext",
            "excerpt",
            "first_published_at",
            "go_live_at",
            "latest_revision_created_at",
        )
    }
    primary: dict[int, Tag] = {}
    tags = (
        StoryTag.objects.filter(story_id__in=ids)
        .exclude(tag__name__startswith="#")
        .order_by("story_id", "sort_order")
        .values_list("story_id", "tag__name", "tag__slug")
    )
    for story_id, name, slug in tags:
        primary.setdefault(story_id, Tag(name=name, slug=slug))
    url = _url_maker(request)
    pattern = _pattern(query)
    results = []
    for pk in ids:
        if pk not in rows:  # unpublished between the two queries
            continue
        _, title, url_path, custom_excerpt, plaintext, excerpt, first, go_live, revised = rows[pk]
        results.append(
            Result(
                id=pk,
                title=title,
                url=url(url_path),
                snippet=passage(pattern, custom_excerpt, plaintext, excerpt),
                published_at=first or go_live or revised or timezone.now(),  # as StoryPage.published_at
                primary_tag=primary.get(pk),
            )
        )
    return results


def _url_maker(request) -> Callable[[str], str]:
    """A story's URL from its url_path, as Page.get_url(request) gives it (relative on the
    request's site, absolute on another), without building the page."""
    current = Site.find_for_request(request)
    roots = Site.get_site_root_paths()

    def url(url_path: str) -> str:
        possible = [root for root in roots if url_path.startswith(root.root_path)]
        if not possible:
            return ""
        chosen = next((root for root in possible if current and root.site_id == current.pk), possible[0])
        path = reverse("wagtail_serve", args=(url_path[len(chosen.root_path) :],))
        if current and chosen.site_id == current.pk:
            return path
        return chosen.root_url + path

    return url


def passage(pattern: re.Pattern | None, custom_excerpt: str, plaintext: str, excerpt: str) -> SafeString:
    """A passage of the story around the first of the reader's words, HTML-escaped, the words in
    <mark>. The standfirst or excerpt when the words are only in the title or tags."""
    for text in (custom_excerpt, plaintext):
        match = pattern.search(text) if pattern and text else None
        if match:
            start = max(0, match.start() - SNIPPET_CHARS // 3)
            start = text.rfind(" ", 0, start) + 1 if start else 0
            end = min(len(text), start + SNIPPET_CHARS)
            end = text.find(" ", end) if text.find(" ", end) != -1 else len(text)
            passage = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
            return highlight(passage, pattern)
    excerpt = excerpt or ""
    short = excerpt[:SNIPPET_CHARS] + ("…" if len(excerpt) > SNIPPET_CHARS else "")
    return highlight(short, pattern)


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


def _pattern(query: ReaderQuery) -> re.Pattern | None:
    words = sorted(set(query.all_words), key=len, reverse=True)
    if not words:
        return None
    # Whole words, or their beginnings (harbour → harbours), whatever the case.
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\w*", re.IGNORECASE)


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
