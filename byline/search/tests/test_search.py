"""Site search: ranking, snippets, pages, hostile queries, and what must never show."""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from conftest import paragraph_body


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def host(site):
    return f"{site.hostname}:{site.port}"


@pytest.fixture
def get(client, host):
    def get(params: dict | str, **extra):
        if isinstance(params, str):
            return client.get(f"/search/?{params}", HTTP_HOST=host, **extra)
        return client.get("/search/", params, HTTP_HOST=host, **extra)

    return get


def results(response) -> list[str]:
    soup = BeautifulSoup(response.content, "lxml")
    return [title.get_text(strip=True) for title in soup.select(".search-result__title")]


def json_titles(response) -> list[str]:
    return [item["title"] for item in json.loads(response.content)["results"]]


def test_a_title_match_ranks_above_a_body_match(get, make_story):
    make_story("Council notes", body=paragraph_body("The lighthouse keeper retired after forty years."))
    make_story("The lighthouse reopens", body=paragraph_body("Visitors climbed the tower again."))
    assert results(get({"q": "lighthouse"})) == ["The lighthouse reopens", "Council notes"]


def test_it_searches_standfirst_body_tags_and_authors(get, make_story, make_tag, make_author):
    make_story("One", custom_excerpt="A standfirst about kelp farming")
    make_story("Two", body=paragraph_body("A body about seaweed cooperatives"))
    make_story("Three", tags=[make_tag("Aquaculture")])
    make_story("Four", authors=[make_author("Marisol Quintero")])
    assert results(get({"q": "kelp"})) == ["One"]
    assert results(get({"q": "seaweed"})) == ["Two"]
    assert results(get({"q": "aquaculture"})) == ["Three"]
    assert results(get({"q": "quintero"})) == ["Four"]


def test_every_word_must_match(get, make_story):
    make_story("Harbour dredging", body=paragraph_body("The dredger arrives in spring."))
    make_story("Harbour fees", body=paragraph_body("Mooring fees rise in spring."))
    assert results(get({"q": "harbour dredger"})) == ["Harbour dredging"]


def test_a_quoted_phrase_matches_those_words_together(get, make_story):
    make_story("Together", body=paragraph_body("The tide gauge broke again."))
    make_story("Apart", body=paragraph_body("The gauge measured the tide."))
    assert results(get({"q": '"tide gauge"'})) == ["Together"]


def test_snippets_highlight_the_words_and_escape_the_story_text(get, make_story):
    make_story(
        "Markup in text",
        body=paragraph_body(
            "Someone typed &lt;script&gt;alert(1)&lt;/script&gt; next to the breakwater plan."
        ),
    )
    response = get({"q": "breakwater"})
    soup = BeautifulSoup(response.content, "lxml")
    snippet = soup.select_one(".search-result__snippet")
    assert snippet.select_one("mark").get_text() == "breakwater"
    assert "<script>" in snippet.get_text()  # shown as text…
    assert snippet.select("script") == []  # …never as markup
    item = json.loads(get({"q": "breakwater", "format": "json"}).content)["results"][0]
    assert "&lt;script&gt;" in item["excerpt"] and "<mark>breakwater</mark>" in item["excerpt"]


def test_drafts_members_only_and_email_only_stories_never_show(get, make_story):
    make_story("Public ferry", body=paragraph_body("ferry timetable"))
    make_story("Draft ferry", body=paragraph_body("ferry secret"), live=False)
    make_story("Members ferry", body=paragraph_body("ferry secret"), visibility="members")
    make_story("Emailed ferry", body=paragraph_body("ferry secret"), email_only=True)
    assert results(get({"q": "ferry"})) == ["Public ferry"]
    assert json_titles(get({"q": "ferry", "format": "json"})) == ["Public ferry"]
    assert results(get({"q": "secret"})) == [] and json_titles(get({"q": "secret", "format": "json"})) == []
    for response in (get({"q": "ferry"}), get({"q": "ferry", "format": "json"})):
        for hidden in ("secret", "Draft ferry", "Members ferry", "Emailed ferry"):
            assert hidden not in response.content.decode()


def test_a_draft_of_a_live_story_does_not_leak(get, make_story):
    story = make_story("Budget day", body=paragraph_body("The published text."))
    story.body = paragraph_body("An embargoed figure nobody may see.")
    story.save_revision()  # a draft: the live page keeps the published text
    assert results(get({"q": "embargoed"})) == []
    assert results(get({"q": "published"})) == ["Budget day"]


def test_results_come_twenty_a_page(get, make_story):
    for n in range(45):
        make_story(f"Regatta report {n}")
    first, third = get({"q": "regatta"}), get({"q": "regatta", "page": 3})
    assert len(results(first)) == 20 and len(results(third)) == 5
    assert "45 stories match" in first.content.decode()
    assert set(results(first)).isdisjoint(results(get({"q": "regatta", "page": 2})))
    assert len(results(get({"q": "regatta", "page": "nonsense"}))) == 20
    assert results(get({"q": "regatta", "page": 99})) == results(third)
    # Ranked pages are not in date order: the links say which way, not "newer".
    links = BeautifulSoup(third.content, "lxml").select(".pagination a")
    assert [(link["rel"], link.get_text()) for link in links] == [(["prev"], "Previous matches")]


def test_equal_matches_list_the_newest_first(get, make_story):
    now = timezone.now()
    for n in range(3):
        make_story(f"Lifeboat drill {n}", published_at=now - timedelta(days=10 - n))
    assert results(get({"q": "lifeboat"})) == ["Lifeboat drill 2", "Lifeboat drill 1", "Lifeboat drill 0"]


def test_no_results_suggests_tags(get, make_story, make_tag):
    make_story("Tagged", tags=[make_tag("Fisheries"), make_tag("#internal")])
    response = get({"q": "zeppelin"})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "lxml")
    assert "No stories match" in page.get_text()
    assert [a.get_text() for a in page.select(".search-results__tags a")] == ["Fisheries"]


HOSTILE = [
    "",
    "   ",
    "x" * 1000,
    "harbour " * 200,
    "!!! ??? ... ,,, ;;;",
    '"',
    '""',
    '"unbalanced quote',
    "harbour*",
    "*",
    "NEAR(harbour quay, 2)",
    "harbour NEAR quay",
    "-harbour",
    "harbour AND",
    "AND OR NOT",
    "title:harbour",
    "^harbour",
    "' OR 1=1 --",
    "'; DROP TABLE wagtailsearch_indexentry; --",
    "harbour) OR (1=1",
    "\\",
    "%",
    "_",
    "港口 рыбак 🐟",
    "\u202e\u200b",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_get_results_or_the_empty_page(get, make_story, query):
    make_story("Harbour and quay", body=paragraph_body("The harbour quay."))
    for params in ({"q": query}, {"q": query, "format": "json"}, {"q": query, "page": "2"}):
        response = get(params)
        assert response.status_code == 200, (query, params)
    data = json.loads(get({"q": query, "format": "json"}).content)
    assert isinstance(data["results"], list)


@pytest.mark.parametrize("raw", ["q=%FF%FE%FD", "q=harbour%C3", "q=%00harbour", "q=a&q=b", "q=%E2%80%AE"])
def test_invalid_utf8_and_odd_encodings_in_the_address(get, make_story, raw):
    make_story("Harbour and quay")
    assert get(raw).status_code == 200
    assert get(raw + "&format=json").status_code == 200


def test_only_safe_methods(client, host):
    assert client.post("/search/", {"q": "x"}, HTTP_HOST=host).status_code == 405


def test_too_many_searches_from_one_address_are_refused(get, monkeypatch):
    from byline.lib import ratelimit
    from byline.search import views

    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)  # one window throughout
    monkeypatch.setattr(views, "REQUESTS_PER_MINUTE", 5)
    for _ in range(5):
        assert get({"q": "x", "format": "json"}).status_code == 200
    refused = get({"q": "x", "format": "json"})
    assert refused.status_code == 429 and "error" in json.loads(refused.content)
    assert get({"q": "x"}).status_code == 429


def test_json_gives_what_the_header_shows(get, make_story, make_tag):
    make_story("Pier festival", tags=[make_tag("Events")], body=paragraph_body("A festival on the pier."))
    response = get({"q": "festival", "format": "json"})
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["total"] == 1
    (item,) = data["results"]
    assert set(item) == {"title", "url", "excerpt", "date", "primary_tag"}
    assert item["url"].endswith("/pier-festival/")
    assert item["primary_tag"] == {"name": "Events", "slug": "events", "url": "/tag/events/"}


def test_the_results_page_queries_do_not_grow_with_matches(
    get, make_story, make_tag, django_assert_max_num_queries
):
    tag = make_tag("Harbour")
    for n in range(5):
        make_story(f"Harbour story {n}", tags=[tag])
    get({"q": "harbour"})
    with django_assert_max_num_queries(12):
        get({"q": "harbour"})
    for n in range(25):
        make_story(f"More harbour {n}", tags=[tag])
    with django_assert_max_num_queries(12):
        get({"q": "harbour"})
    with django_assert_max_num_queries(10):
        get({"q": "harbour", "format": "json"})


def test_the_header_has_a_search_box_that_works_without_javascript(client, host, make_story):
    story = make_story("Anything")
    page = BeautifulSoup(client.get(story.url, HTTP_HOST=host).content, "lxml")
    form = page.select_one("header form[role=search]")
    assert form["action"] == "/search/" and form["method"] == "get"
    assert form.select_one("input[name=q]")
    assert form.select_one("label[for=site-search-q]")


def test_rebuild_reindexes_every_story_with_progress(get, make_story, monkeypatch):
    from io import StringIO

    from byline.lib import progress

    monkeypatch.setattr(progress, "QUIET_SECONDS", 0)  # draw even though the rebuild is quick
    from django.core.management import call_command
    from wagtail.search.models import IndexEntry

    make_story("Salt marsh survey", body=paragraph_body("Curlews counted."))
    make_story("Pier lights")
    IndexEntry.objects.all().delete()
    assert results(get({"q": "curlews"})) == []
    out, err = StringIO(), StringIO()
    call_command("search", "--rebuild", stdout=out, stderr=err)
    assert results(get({"q": "curlews"})) == ["Salt marsh survey"]
    assert "2/2" in err.getvalue() and "rebuilt for 2 stories" in out.getvalue()


def test_result_links_are_the_stories_own_urls(get, make_story, host):
    stories = [make_story(f"Ferry timetable {n}") for n in range(3)]
    soup = BeautifulSoup(get({"q": "ferry"}).content, "lxml")
    links = {a.get_text(strip=True): a["href"] for a in soup.select(".search-result__title a")}
    assert links == {story.title: story.get_url() for story in stories}


@pytest.fixture
def fts(db):
    """The class whose limits the SQLite FTS5 and PostgreSQL readings share (PostgresResults
    inherits them), to be lowered for a test; other backends are Wagtail search itself."""
    from byline.search.services import FTSResults, uses_postgres_search, uses_sqlite_fts

    if not (uses_sqlite_fts() or uses_postgres_search()):
        pytest.skip("SQLite FTS5 or PostgreSQL only")
    return FTSResults


def test_a_word_in_most_stories_lists_them_newest_first_and_caps_the_count(get, make_story, fts, monkeypatch):
    FTSResults = fts
    monkeypatch.setattr(FTSResults, "RANKED_MATCHES", 3)
    monkeypatch.setattr(FTSResults, "COUNT_LIMIT", 4)
    now = timezone.now()
    make_story("Tide tables", published_at=now - timedelta(days=30))  # a title match, but oldest
    for n in range(5):
        make_story(f"Notes {n}", body=paragraph_body("tide"), published_at=now - timedelta(days=10 - n))
    make_story("Tide draft", live=False)
    make_story("Tide for members", visibility="members")
    response = get({"q": "tide"})
    # Newest first, even above the title match; pages stop at the count's limit.
    assert results(response) == ["Notes 4", "Notes 3", "Notes 2", "Notes 1"]
    assert "More than 4 stories match" in response.content.decode()
    data = json.loads(get({"q": "tide", "format": "json"}).content)
    assert data["total"] == 4 and data["capped"] is True
    assert json_titles(get({"q": "tide", "format": "json"}))[:2] == ["Notes 4", "Notes 3"]


def test_a_phrase_in_most_stories_lists_them_newest_first(get, make_story, fts, monkeypatch):
    """Phrases alone are read without Wagtail's table on PostgreSQL: the newest-first walk and its
    count must still keep hidden stories out."""
    monkeypatch.setattr(fts, "RANKED_MATCHES", 2)
    now = timezone.now()
    text = paragraph_body("The harbour wall held through the night.")
    for n in range(4):
        make_story(f"Notes {n}", body=text, published_at=now - timedelta(days=10 - n))
    make_story("Harbour wall draft", body=text, live=False)
    make_story("Harbour wall for members", body=text, visibility="members", published_at=now)
    response = get({"q": '"harbour wall"'})
    assert results(response) == ["Notes 3", "Notes 2", "Notes 1", "Notes 0"]
    assert "4 stories match" in response.content.decode()


def test_a_narrower_word_is_ranked_and_counted_exactly(get, make_story, fts, monkeypatch):
    FTSResults = fts
    monkeypatch.setattr(FTSResults, "RANKED_MATCHES", 3)
    now = timezone.now()
    make_story("Tide tables", published_at=now - timedelta(days=30))
    make_story("Notes", body=paragraph_body("tide"), published_at=now)
    response = get({"q": "tide"})
    assert results(response) == ["Tide tables", "Notes"]
    assert "2 stories match" in response.content.decode()


def test_the_count_is_capped_only_when_enough_matches_may_be_shown(get, make_story, fts, monkeypatch):
    """The count may stop at its limit without checking each match when the index's own totals
    prove enough of them are searchable: hidden stories among the matches must not be counted."""
    monkeypatch.setattr(fts, "COUNT_LIMIT", 3)
    for n in range(3):
        make_story(f"Buoy report {n}")
    make_story("Buoy draft", live=False)
    make_story("Buoy for members", visibility="members")
    make_story("Buoy for members, second", visibility="members")
    make_story("Buoy by email", email_only=True)

    data = json.loads(get({"q": "buoy", "format": "json"}).content)
    assert (data["total"], data["capped"]) == (3, False)

    make_story("Buoy report 3")
    data = json.loads(get({"q": "buoy", "format": "json"}).content)
    assert (data["total"], data["capped"]) == (3, True)


def test_the_primary_tag_is_the_first_public_one(get, make_story, make_tag):
    make_story("Quay works", tags=[make_tag("#desk"), make_tag("Harbour"), make_tag("Works")])
    make_story("Quay tour", tags=[make_tag("#only-internal")])
    soup = BeautifulSoup(get({"q": "quay"}).content, "lxml")
    tags = {
        row.select_one(".search-result__title").get_text(strip=True): [a.get_text() for a in row.select("a")][
            :-1
        ]
        for row in soup.select(".search-result")
    }
    assert tags == {"Quay works": ["Harbour"], "Quay tour": []}
    items = {
        item["title"]: item["primary_tag"]
        for item in json.loads(get({"q": "quay", "format": "json"}).content)["results"]
    }
    assert items["Quay works"]["slug"] == "harbour" and items["Quay tour"] is None


def test_result_dates_read_as_the_date_filter_prints_them(get, make_story, settings):
    from datetime import UTC, datetime

    from django.utils import dateformat
    from django.utils.timezone import localtime

    settings.TIME_ZONE = "Pacific/Auckland"  # a day ahead of UTC late in the evening
    when = datetime(2025, 3, 9, 22, 30, tzinfo=UTC)
    make_story("Night ferry", published_at=when)
    time = BeautifulSoup(get({"q": "ferry"}).content, "lxml").select_one(".search-result__date")
    assert time.get_text() == dateformat.format(localtime(when), "j F Y") == "10 March 2025"
    assert time["datetime"] == dateformat.format(localtime(when), "c")
    assert json.loads(get({"q": "ferry", "format": "json"}).content)["results"][0]["date"] == when.isoformat()


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("Keepers said the LIGHTHOUSE lamp failed.", "LIGHTHOUSE"),  # another case
        ("Die Straße zum Leuchtturm: the Lighthouse road.", "Lighthouse"),  # folding makes the text longer
        ("The searchlighthouse beam, then the lighthouse.", "lighthouse"),  # inside a word first
    ],
)
def test_snippets_find_the_words_in_any_case(get, make_story, text, marked):
    # Far enough into the story that the passage, not the excerpt, must have found it.
    make_story("Coast notes", body=paragraph_body("The council met again. " * 60 + text))
    snippet = BeautifulSoup(get({"q": "lighthouse"}).content, "lxml").select_one(".search-result__snippet")
    assert [mark.get_text() for mark in snippet.select("mark")] == [marked]
    assert text in snippet.get_text()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ranking reads the index alone first")
@pytest.mark.parametrize("margin", [0, 1, 3, 20])
def test_a_page_ranked_from_the_index_alone_is_the_page_of_the_full_ranking(
    make_story, make_author, monkeypatch, margin
):
    """Equal texts score alike (ties broken newest first) and hidden stories sit among the best:
    every page read from the index's best entries matches the ranking of every match."""
    from byline.search.query import parse
    from byline.search.services import FTSResults

    desk = [make_author("News Desk")]
    for n in range(14):  # two texts, seven stories each: long runs of equal scores
        body = paragraph_body("The ferry sails at dawn. " * (1 + n % 2))
        # Dates neither in nor against the order of writing (the index's own order).
        published = timezone.now() - timedelta(hours=(n * 5) % 14)
        make_story("Ferry timetable", body=body, authors=desk, published_at=published)
    for hidden in ({"visibility": "members"}, {"email_only": True}):
        body = paragraph_body("The ferry sails at dawn. ")
        make_story("Ferry timetable", body=body, authors=desk, **hidden)
    monkeypatch.setattr(FTSResults, "RANK_MARGIN", margin)
    results = FTSResults(parse("ferry timetable"))
    full = results._ranked_joined(100, 0)
    assert len(full) == 14
    for size in (1, 4, 5):
        for start in range(0, 15, size):
            assert results._ranked(size, start) == full[start : start + size], (size, start)
