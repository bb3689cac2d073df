"""Phrases through the phrase index (migrations/0002): exact, ranked, and kept in step with
Wagtail's index by every write (save, publish, unpublish, delete, rebuild, import)."""

import random

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from conftest import paragraph_body

pytestmark = pytest.mark.skipif(
    connection.vendor not in ("sqlite", "postgresql"), reason="the phrase index is SQLite's and PostgreSQL's"
)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def titles(client, site):
    def titles(query: str) -> list[str]:
        response = client.get("/search/", {"q": query}, HTTP_HOST=f"{site.hostname}:{site.port}")
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "lxml")
        return [title.get_text(strip=True) for title in soup.select(".search-result__title")]

    return titles


def fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def assert_in_step() -> None:
    """The phrase index holds exactly the pairs of every entry of Wagtail's index, no more."""
    if connection.vendor == "sqlite":
        entries = {row[0] for row in fetch("SELECT id FROM wagtailsearch_indexentry")}
        assert {row[0] for row in fetch("SELECT id FROM search_phrase_fts_docsize")} == entries
        fetch("INSERT INTO search_phrase_fts(search_phrase_fts) VALUES ('integrity-check')")
    else:
        stale = fetch(
            "SELECT entry.id, phrase.entry_id FROM wagtailsearch_indexentry AS entry "
            "FULL JOIN search_phrase_pairs AS phrase ON phrase.entry_id = entry.id "
            "WHERE phrase.pairs IS DISTINCT FROM search_phrase_vector(entry.title, entry.body)"
        )
        assert stale == []  # no entry without its pairs, no pairs without their entry


def phrase_entries(words: str) -> set[int]:
    """Entries the search's phrase query finds, read straight from its SQL."""
    from byline.search.query import parse
    from byline.search.services import search_stories

    results = search_stories(parse(f'"{words}"'))
    if connection.vendor == "sqlite":
        hits = results.hits()
        assert "search_phrase_fts" in hits.tables  # the phrase index answered
        return {row[0] for row in fetch(f"SELECT {hits.entry_id} {hits.source}", hits.params)}  # noqa: S608
    where, params = results._where("entry.id")
    assert "search_phrase_entries" in where
    sql = f"SELECT entry.id FROM wagtailsearch_indexentry AS entry WHERE {where}"  # noqa: S608
    return {row[0] for row in fetch(sql, params)}


def word_index_entries(words: str) -> set[int]:
    """Entries the word index's own phrase query finds (what phrases read before the phrase index)."""
    if connection.vendor == "sqlite":
        sql = "SELECT rowid FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH %s"
        return {row[0] for row in fetch(sql, [f'{{title body}} : "{words}"'])}
    sql = (
        "SELECT id FROM wagtailsearch_indexentry "
        "WHERE title @@ phraseto_tsquery(%s) OR body @@ phraseto_tsquery(%s)"
    )
    return {row[0] for row in fetch(sql, [words, words])}


def test_a_phrase_of_three_words_matches_them_only_together_and_in_order(titles, make_story):
    make_story("Together", body=paragraph_body("The harbour wall collapsed overnight."))
    make_story("Apart", body=paragraph_body("The harbour wall stood; another wall collapsed."))
    make_story("Reversed", body=paragraph_body("It collapsed: the wall, the harbour."))
    assert titles('"harbour wall collapsed"') == ["Together"]
    assert set(titles('"harbour wall"')) == {"Together", "Apart"}
    assert titles('"wall harbour"') == []


def test_phrases_match_exactly_what_the_word_index_matched(db, make_story):
    """Random stories over a small vocabulary: every phrase of two to four words finds the same
    entries through the phrase index as through the word index's phrase query."""
    vocabulary = ["tide", "gauge", "harbour", "quay", "ferry", "night", "crew", "lamp", "storm", "pier"]
    chance = random.Random(6)
    for n in range(40):
        words = [chance.choice(vocabulary) for _ in range(chance.randint(3, 30))]
        title = " ".join(chance.choice(vocabulary) for _ in range(3)).capitalize()
        make_story(f"{title} {n}", body=paragraph_body(" ".join(words).capitalize() + "."))
    tried = 0
    for _ in range(60):
        words = " ".join(chance.choice(vocabulary) for _ in range(chance.randint(2, 4)))
        expected = word_index_entries(words)
        assert phrase_entries(words) == expected, words
        tried += bool(expected)
    assert tried > 20  # most phrases matched something: the comparison meant something


def test_case_and_accents_match_as_words_do(titles, make_story):
    make_story("Menu", body=paragraph_body("A CAFÉ Noir on the quay."))
    assert titles('"café noir"') == ["Menu"]
    # Accents count as they do for words (SQLite's index removes them, PostgreSQL's English does not).
    assert titles('"cafe noir"') == titles("cafe noir")


def test_a_title_phrase_ranks_above_a_body_phrase(titles, make_story):
    make_story("Council notes", body=paragraph_body("The tide gauge at the pier broke again."))
    make_story("The tide gauge is fixed", body=paragraph_body("Engineers came on Tuesday."))
    assert titles('"tide gauge"') == ["The tide gauge is fixed", "Council notes"]


def test_a_phrase_in_the_title_comes_first_then_the_newest(titles, make_story, make_author):
    from datetime import timedelta

    from django.utils import timezone

    desk = [make_author("News Desk")]
    body = paragraph_body("The tide gauge at the pier broke again.")
    for title, hours_ago in (("Older notes", 30), ("Newest notes", 1), ("Middle notes", 12)):
        make_story(title, body=body, authors=desk, published_at=timezone.now() - timedelta(hours=hours_ago))
    make_story("Tide gauge fixed", body=paragraph_body("Engineers came."), authors=desk)
    assert titles('"tide gauge"') == ["Tide gauge fixed", "Newest notes", "Middle notes", "Older notes"]


def test_a_phrase_and_words_together(titles, make_story):
    make_story("Both", body=paragraph_body("The tide gauge broke during the storm."))
    make_story("Phrase only", body=paragraph_body("The tide gauge broke on a calm day."))
    make_story("Words apart", body=paragraph_body("A storm; the gauge measured the tide."))
    assert titles('storm "tide gauge"') == ["Both"]  # as many of each: the phrase index drives
    assert titles('calm "tide gauge"') == ["Phrase only"]  # fewer for the word: Wagtail's index drives
    assert titles('"tide gauge" "calm day"') == ["Phrase only"]


def test_a_phrase_with_a_stop_word_inside(titles, make_story):
    # PostgreSQL's pairs cannot say "harbour of refuge" (the stop word leaves a gap): matched as before.
    make_story("Refuge", body=paragraph_body("A harbour of refuge for the fleet."))
    make_story("Other", body=paragraph_body("The harbour was no refuge for one of the boats."))
    assert titles('"harbour of refuge"') == ["Refuge"]


def test_the_phrase_index_follows_every_write(titles, make_story):
    from wagtail.search.models import IndexEntry

    from byline.search.signals import index_rows
    from byline.stories.models import StoryPage

    story = make_story("Ferry news", body=paragraph_body("The night ferry sails at ten."))
    make_story("Other news", body=paragraph_body("The pier lamp is out."))
    assert titles('"night ferry"') == ["Ferry news"]
    assert_in_step()

    story.body = paragraph_body("The morning ferry sails at six.")
    story.save_revision().publish()
    assert titles('"night ferry"') == [] and titles('"morning ferry"') == ["Ferry news"]
    assert_in_step()

    story.unpublish()
    assert titles('"morning ferry"') == []
    assert_in_step()

    IndexEntry.objects.all().delete()
    assert_in_step()
    call_command("search", "--rebuild", verbosity=0)  # Wagtail's update_index writes the same way
    assert titles('"pier lamp"') == ["Other news"]
    assert_in_step()

    IndexEntry.objects.all().delete()
    index_rows(StoryPage, sorted(StoryPage.objects.values_list("pk", flat=True)))  # after an import
    assert titles('"pier lamp"') == ["Other news"]
    assert_in_step()

    StoryPage.objects.get(pk=story.pk).delete()
    assert titles('"pier lamp"') == ["Other news"]
    assert_in_step()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's tokenizers")
def test_the_phrase_tokens_are_the_word_index_tokens_for_every_character(db):
    """The pairs are made by fts3tokenize(unicode61), the word index by FTS5's unicode61: the same
    tokens for every character of the Basic Multilingual Plane (each between two letters: whether it
    splits the word, and what it becomes)."""
    texts = [f"q{chr(code)}q" for code in range(0x20, 0x10000) if not 0xD800 <= code < 0xE000]
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIRTUAL TABLE temp.words USING fts5(x)")
        cursor.execute("CREATE VIRTUAL TABLE temp.words_seen USING fts5vocab(temp, words, 'instance')")
        cursor.executemany("INSERT INTO temp.words(rowid, x) VALUES (%s, %s)", list(enumerate(texts)))
        cursor.execute('SELECT doc, term FROM temp.words_seen ORDER BY doc, "offset"')
        fts5 = {}
        for doc, term in cursor.fetchall():
            fts5.setdefault(doc, []).append(term)
        different = []
        for n, text in enumerate(texts):
            cursor.execute("SELECT token FROM search_tokens WHERE input = %s ORDER BY position", [text])
            if [row[0] for row in cursor.fetchall()] != fts5.get(n, []):
                different.append(hex(ord(text[1])))
        cursor.execute("DROP TABLE temp.words_seen")
        cursor.execute("DROP TABLE temp.words")
    assert different == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops triggers when it rebuilds a table")
def test_a_trigger_lost_to_a_table_rebuild_is_back_after_migrate(titles, make_story):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_phrase_insert")
    call_command("migrate", verbosity=0)
    make_story("Ferry news", body=paragraph_body("The night ferry sails at ten."))
    assert titles('"night ferry"') == ["Ferry news"]
    assert_in_step()
