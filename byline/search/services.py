"""Site search: public, live stories through Wagtail search (SQLite FTS5 or PostgreSQL full text),
snippets with the reader's words highlighted, and tags to suggest when nothing matched."""

import html
import re
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.utils.safestring import SafeString, mark_safe
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
    a title match would not outrank a body match); elsewhere it is Wagtail search itself, which on
    PostgreSQL weighs the title above the body.
    """
    if uses_sqlite_fts():
        return FTSResults(query)
    parts = [Phrase(" ".join(phrase)) for phrase in query.phrases]
    if query.words:
        parts.append(PlainText(" ".join(query.words), operator="and"))
    expression = parts[0] if len(parts) == 1 else And(parts)
    return public_stories().search(expression, order_by_relevance=True)


def uses_sqlite_fts() -> bool:
    from wagtail.search.backends import get_search_backend

    return type(get_search_backend()).__name__ == "SQLiteSearchBackend"


def match_expression(query: ReaderQuery) -> str:
    """An FTS5 MATCH string built only from words (letters, digits), each quoted: nothing a reader
    types can become an operator."""
    phrases = [" ".join(phrase) for phrase in query.phrases] + list(query.words)
    return "{title body} : (" + " AND ".join(f'"{phrase}"' for phrase in phrases) + ")"


class FTSResults:
    """Stories matching a query in Wagtail's SQLite FTS5 index, ranked by BM25 with the title
    weighing TITLE_WEIGHT times the body. Slicing runs one query for the page, len() one count."""

    TITLE_WEIGHT = 5.0

    def __init__(self, query: ReaderQuery):
        self.match = match_expression(query)
        self._count = None

    def _sql(self, select: str, tail: str = "") -> str:
        from django.contrib.contenttypes.models import ContentType
        from wagtail.models import Page
        from wagtail.search.models import IndexEntry

        entries = IndexEntry._meta.db_table
        self.content_type = ContentType.objects.get_for_model(StoryPage).pk
        # CROSS JOIN fixes SQLite's join order: the full-text match drives, then primary-key
        # lookups; left to itself the planner may walk every page and probe the index for each.
        return (
            f"SELECT {select} FROM {entries}_fts AS fts "  # noqa: S608  (table names, no input)
            f"CROSS JOIN {entries} AS entry CROSS JOIN {Page._meta.db_table} AS page "
            f"CROSS JOIN {StoryPage._meta.db_table} AS story "
            f"WHERE {entries}_fts MATCH %s AND entry.id = fts.rowid AND entry.content_type_id = %s "
            "AND page.id = CAST(entry.object_id AS INTEGER) AND story.page_ptr_id = page.id AND page.live "
            f"AND story.visibility = 'public' AND NOT story.email_only {tail}"
        )

    def count(self) -> int:
        if self._count is None:
            sql = self._sql("COUNT(*)")
            with connection.cursor() as cursor:
                cursor.execute(sql, [self.match, self.content_type])
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop
        limit = -1 if stop is None else max(stop - start, 0)
        # bm25() is lower for better matches; the weights follow the columns: autocomplete, body, title.
        sql = self._sql(
            "page.id",
            f"ORDER BY bm25({_fts_table()}, 0.0, 1.0, {self.TITLE_WEIGHT}), "
            "page.first_published_at DESC, page.id DESC LIMIT %s OFFSET %s",
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.match, self.content_type, limit, start])
            ids = [row[0] for row in cursor.fetchall()]
        return [StoryPage(pk=pk, id=pk) for pk in ids]


def _fts_table() -> str:
    from wagtail.search.models import IndexEntry

    return f"{IndexEntry._meta.db_table}_fts"


def load_results(stories) -> list[StoryPage]:
    """The page's stories with their tags, in a fixed number of queries."""
    ids = [story.pk for story in stories]
    tags = Prefetch("story_tags", queryset=StoryTag.objects.select_related("tag").order_by("sort_order"))
    # The body stays behind: results show the stored plain text, never the blocks.
    loaded = StoryPage.objects.filter(pk__in=ids).defer("body").prefetch_related(tags).in_bulk()
    return [loaded[pk] for pk in ids if pk in loaded]


def snippet(story: StoryPage, query: ReaderQuery) -> SafeString:
    """A passage of the story around the first of the reader's words, HTML-escaped, the words in
    <mark>. The standfirst or excerpt when the words are only in the title or tags."""
    pattern = _pattern(query)
    for text in (story.custom_excerpt, story.plaintext):
        match = pattern.search(text) if pattern and text else None
        if match:
            start = max(0, match.start() - SNIPPET_CHARS // 3)
            start = text.rfind(" ", 0, start) + 1 if start else 0
            end = min(len(text), start + SNIPPET_CHARS)
            end = text.find(" ", end) if text.find(" ", end) != -1 else len(text)
            passage = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
            return highlight(passage, pattern)
    excerpt = story.excerpt or ""
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


def as_json(story: StoryPage, query: ReaderQuery, url: Callable[[StoryPage], str]) -> dict:
    tag = story.primary_tag
    return {
        "title": story.title,
        "url": url(story),
        "excerpt": str(snippet(story, query)),
        "date": story.published_at.isoformat(),
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
