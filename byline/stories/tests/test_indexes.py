"""The hot queries of the public site and the API use indexes on the big tables, checked with
PostgreSQL's EXPLAIN on an archive of a few thousand stories (ANALYZEd, so the planner knows its
size). Each test requests a real page, captures the SQL it sends and explains every statement that
reads the big tables, so the check follows the code rather than a copy of its queries.

Runs on PostgreSQL only (DATABASE_URL=postgres://…); SQLite's planner is another story.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from treebeard.mp_tree import MP_Node
from wagtail.models import Page

from byline.api import services as api_services
from byline.stories.models import Author, StoryAuthor, StoryTag, Tag

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")

ARCHIVE = 4000
TAGS = 20
AUTHORS = 10
BIG_TABLES = ("wagtailcore_page", "stories_storypage", "stories_storytag", "stories_storyauthor")


def copy_row(table: str, pk_column: str, pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def insert(table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[row[column] for column in columns] for row in rows])


@pytest.fixture
def archive(home, make_story):
    """ARCHIVE live stories written in bulk (copies of one published story's rows, as the benchmark
    does), each with one of TAGS tags and one of AUTHORS authors, then ANALYZE."""
    template = make_story("Template")
    page_row = copy_row("wagtailcore_page", "id", template.pk)
    story_row = copy_row("stories_storypage", "page_ptr_id", template.pk)
    tags = Tag.objects.bulk_create(Tag(name=f"Beat {n}", slug=f"beat-{n}") for n in range(TAGS))
    authors = Author.objects.bulk_create(
        Author(name=f"Writer {n}", slug=f"writer-{n}") for n in range(AUTHORS)
    )
    first_id = Page.objects.order_by("-id").values_list("id", flat=True).first() + 1
    offset = home.numchild + 1
    now = timezone.now()
    pages, stories, tag_links, author_links = [], [], [], []
    for n in range(ARCHIVE):
        pk = first_id + n
        slug = f"dispatch-{n}"
        when = now - timedelta(hours=n + 1)
        pages.append(
            {
                **page_row,
                "id": pk,
                "path": home.path + MP_Node._int2str(offset + n).rjust(MP_Node.steplen, "0"),
                "numchild": 0,
                "title": f"Dispatch {n}",
                "draft_title": f"Dispatch {n}",
                "slug": slug,
                "url_path": f"{home.url_path}{slug}/",
                "translation_key": str(uuid.uuid4()),
                "first_published_at": when,
                "last_published_at": when,
                "latest_revision_id": None,
                "live_revision_id": None,
            }
        )
        stories.append({**story_row, "page_ptr_id": pk, "listed_at": when})
        tag_links.append(StoryTag(story_id=pk, tag_id=tags[n % TAGS].pk, sort_order=0, listed_at=when))
        author_links.append(
            StoryAuthor(story_id=pk, author_id=authors[n % AUTHORS].pk, sort_order=0, listed_at=when)
        )
    insert("wagtailcore_page", pages)
    insert("stories_storypage", stories)
    Page.objects.filter(pk=home.pk).update(numchild=offset + ARCHIVE)
    StoryTag.objects.bulk_create(tag_links)
    StoryAuthor.objects.bulk_create(author_links)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tag": tags[3], "author": authors[4], "story": f"/dispatch-{ARCHIVE // 2}/"}


# Nodes that read all of their input before giving a row: a LIMIT above them stops nothing below.
READS_ALL_INPUT = {"Sort", "Aggregate", "Hash", "Group", "Unique", "SetOp", "WindowAgg"}


def whole_table_reads(plan: dict, partial: set[str], strict: bool = True, under_limit: bool = False):
    """Big tables a plan reads from end to end: a Seq Scan (with sequential scans made the last
    resort, that means no index serves the query); when `strict`, also an index scan with no
    condition, unless it is an ordered walk stopped by a LIMIT (the newest-first listing is one)
    or a scan of a partial index (which holds only the rows wanted)."""
    if plan["Node Type"] == "Limit":
        under_limit = True
    elif plan["Node Type"] in READS_ALL_INPUT:
        under_limit = False
    table = plan.get("Relation Name")
    kind = plan["Node Type"]
    if table in BIG_TABLES and (
        kind == "Seq Scan"
        or (
            strict
            and kind in ("Index Scan", "Index Only Scan")
            and "Index Cond" not in plan
            and plan.get("Index Name") not in partial
            and not under_limit
        )
    ):
        yield table
    for child in plan.get("Plans", []):
        yield from whole_table_reads(child, partial, strict, under_limit)


def sequential_scans(
    client, url: str, counts: bool = True, strict: bool = True, **params
) -> dict[str, list[str]]:
    """Every big table the queries of `url` read from end to end (see whole_table_reads), with
    the SQL that did it, leaving out COUNT queries when `counts` is false."""
    assert client.get(url, params).status_code == 200  # warm: renditions, settings, counts
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params).status_code == 200, url
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        # A few thousand rows fit in a few pages, where a Seq Scan is the planner's right choice;
        # at 100,000 it is not. Making it the last resort asks the question this test is about:
        # is there an index that serves the query? (Without one, PostgreSQL still scans.)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '% WHERE %'")
        partial = {name for (name,) in cursor.fetchall()}
        for query in context.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in BIG_TABLES):
                continue
            if not counts and sql.lstrip().upper().startswith("SELECT COUNT("):
                continue
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
            for table in whole_table_reads(plan, partial, strict):
                found.setdefault(table, []).append(sql[:300])
    return found


def test_the_home_page_reads_its_stories_through_indexes(client, archive):
    assert sequential_scans(client, "/") == {}


def test_a_deep_page_of_the_home_reads_through_indexes(client, archive):
    # Stories 286 to 300 of 4,000: as deep into this archive as page 500 is into 100,000.
    assert sequential_scans(client, "/page/20/") == {}


# Tag and author archives walk their links newest first (StoryTag/StoryAuthor.listed_at, the
# story's listing date copied onto its links), as the home walks the stories.
def test_a_tag_archive_and_its_deep_pages_read_through_indexes(client, archive):
    tag = archive["tag"].get_absolute_url()
    assert sequential_scans(client, tag) == {}
    assert sequential_scans(client, f"{tag}page/10/") == {}


def test_an_author_archive_and_its_deep_pages_read_through_indexes(client, archive):
    author = archive["author"].get_absolute_url()
    assert sequential_scans(client, author) == {}
    assert sequential_scans(client, f"{author}page/20/") == {}


def test_a_story_is_found_by_its_address_through_indexes(client, archive):
    assert sequential_scans(client, archive["story"]) == {}


def test_the_feeds_read_through_indexes(client, archive):
    assert sequential_scans(client, "/rss/") == {}
    assert sequential_scans(client, f"{archive['tag'].get_absolute_url()}rss/", strict=False) == {}


def test_api_posts_browse_with_a_tag_filter_reads_through_indexes(client, archive):
    key = api_services.add_integration("Front end").content_key
    posts = "/ghost/api/content/posts/"
    assert sequential_scans(client, posts, key=key, include="tags,authors") == {}
    assert sequential_scans(client, posts, key=key, page=20) == {}  # deep: a walk of the listing index
    assert sequential_scans(client, posts, key=key, filter="visibility:public", page=20) == {}
    # One tag's posts walk the tag's links newest first, as its archive page does: no sort of the tag.
    tagged = sequential_scans(client, posts, key=key, filter=f"tag:{archive['tag'].slug}", page=5)
    assert tagged == {}


def test_api_tags_and_authors_count_their_posts_through_the_links_index(client, archive):
    key = api_services.add_integration("Theme").content_key
    for resource in ("tags", "authors"):
        url = f"/ghost/api/content/{resource}/"
        assert sequential_scans(client, url, key=key, include="count.posts", limit="all") == {}


def test_the_story_sitemap_reads_through_indexes(client, archive):
    # A sitemap page lists up to 50,000 stories by design (a walk of the tree's path index), and
    # Django's sitemap framework counts them to split the pages: that count reads the live pages
    # whole, once per sitemap request (crawlers fetch sitemaps now and then; the page cache keeps
    # them). So this checks that an index serves each query, not that it reads a few rows.
    assert sequential_scans(client, "/sitemap-posts.xml", counts=False, strict=False) == {}


def test_the_check_sees_a_missing_index(client, archive):
    """Without the index in the listing order (StoryPage.listed_at), the home page sorts every
    listed story to show 15 (PostgreSQL's DDL is transactional: the index is back after the test)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX stories_listed_newest_first")
    assert "stories_storypage" in sequential_scans(client, "/page/3/")


def test_api_tags_and_authors_count_their_stories_through_indexes(client, archive):
    """count.posts is counted for the returned tags only (a subquery per row, through the tag's
    index); joining the live pages is the archives' trade-off (see above), hence not strict."""
    key = api_services.add_integration("Front end").content_key
    for resource in ("tags", "authors"):
        url = f"/ghost/api/content/{resource}/"
        scans = sequential_scans(client, url, strict=False, key=key, include="count.posts", limit=5)
        assert scans == {}
