"""The searchable stories by index entry (migrations/0003 on SQLite, 0004 on PostgreSQL): kept exact
by triggers through every write that changes what search may show, and restored after a migrate."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from wagtail.search.models import IndexEntry

from byline.search.services import public_stories
from byline.search.signals import index_rows
from byline.stories.models import StoryPage
from conftest import paragraph_body

pytestmark = pytest.mark.skipif(
    connection.vendor not in ("sqlite", "postgresql"), reason="the search of SQLite and PostgreSQL reads it"
)


def fetch(sql: str, params=()) -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(cursor.fetchall())


def stored() -> set[tuple]:
    return fetch("SELECT entry_id, page_id, CAST(published AS TEXT) FROM search_story_entries")


def expected() -> set[tuple]:
    """The table's definition, from the ORM: each index entry of a story search may show."""
    from django.contrib.contenttypes.models import ContentType

    stories = {str(story.pk): story for story in public_stories()}
    entries = IndexEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(StoryPage), object_id__in=list(stories)
    )
    with connection.cursor() as cursor:  # the date as the page row holds it, as text
        cursor.execute("SELECT id, CAST(first_published_at AS TEXT) FROM wagtailcore_page")
        dates = dict(cursor.fetchall())
    return {(entry.pk, int(entry.object_id), dates[int(entry.object_id)]) for entry in entries}


def assert_in_step() -> None:
    assert stored() == expected()


def test_publishing_and_every_change_of_what_readers_may_see(make_story):
    story = make_story("Ferry news", body=paragraph_body("The night ferry sails at ten."))
    make_story("Pier news")
    make_story("Draft news", live=False)
    assert len(stored()) == 2
    assert_in_step()

    for change in (
        {"visibility": "members"},
        {"visibility": "public"},
        {"email_only": True},
        {"email_only": False},
    ):
        for field, value in change.items():
            setattr(story, field, value)
        story.save_revision().publish()
        shown = story.visibility == "public" and not story.email_only
        assert (story.pk in {row[1] for row in stored()}) == shown
        assert_in_step()

    # A bulk change that skips save() (a date back-dated, a queryset update) is seen too.
    StoryPage.objects.filter(pk=story.pk).date_as_published(timezone.now() - timedelta(days=3))
    assert_in_step()
    StoryPage.objects.filter(pk=story.pk).update(visibility="paid")
    assert story.pk not in {row[1] for row in stored()}
    StoryPage.objects.filter(pk=story.pk).update(visibility="public")
    assert_in_step()

    story.unpublish()
    assert story.pk not in {row[1] for row in stored()}
    assert_in_step()
    story.save_revision().publish()
    assert_in_step()

    StoryPage.objects.get(pk=story.pk).delete()
    assert story.pk not in {row[1] for row in stored()}
    assert_in_step()


def test_the_index_being_emptied_rebuilt_or_written_in_bulk(make_story):
    for n in range(3):
        make_story(f"Harbour report {n}")
    assert len(stored()) == 3

    IndexEntry.objects.all().delete()
    assert stored() == set()
    call_command("search", "--rebuild", verbosity=0)
    assert len(stored()) == 3
    assert_in_step()

    IndexEntry.objects.all().delete()
    index_rows(StoryPage, sorted(StoryPage.objects.values_list("pk", flat=True)))  # after an import
    assert len(stored()) == 3
    assert_in_step()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django's flush truncates tables on PostgreSQL")
def test_the_index_truncated_as_between_tests(make_story):
    make_story("Harbour report")
    assert len(stored()) == 1
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own transaction defers foreign keys
        cursor.execute("TRUNCATE wagtailsearch_indexentry")
    assert stored() == set()


def test_an_entry_pointed_at_another_story(make_story):
    """A raw rewrite of an entry's object id (nothing in Wagtail does it; an import script might)."""
    from django.contrib.contenttypes.models import ContentType

    kept, hidden = make_story("Tide tables"), make_story("Members' tide tables", visibility="members")
    IndexEntry.objects.filter(object_id=str(hidden.pk)).delete()
    entry = IndexEntry.objects.get(
        content_type=ContentType.objects.get_for_model(StoryPage), object_id=str(kept.pk)
    )
    IndexEntry.objects.filter(pk=entry.pk).update(object_id=str(hidden.pk))
    assert stored() == set()
    IndexEntry.objects.filter(pk=entry.pk).update(object_id=str(kept.pk))
    assert {row[1] for row in stored()} == {kept.pk}
    assert_in_step()


def test_search_shows_only_what_the_table_holds(client, site, make_story):
    """The search reads the table: a story taken out of it by a raw change is out of the results."""
    story = make_story("Lighthouse keeper retires")
    make_story("Lighthouse reopens")

    def titles():
        response = client.get("/search/", {"q": "lighthouse"}, HTTP_HOST=f"{site.hostname}:{site.port}")
        soup = BeautifulSoup(response.content, "lxml")
        return {title.get_text(strip=True) for title in soup.select(".search-result__title")}

    assert titles() == {"Lighthouse keeper retires", "Lighthouse reopens"}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wagtailcore_page SET live = %s WHERE id = %s", [False, story.pk])
    assert titles() == {"Lighthouse reopens"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite counts the rows triggers change")
def test_a_save_that_changes_nothing_search_reads_writes_nothing_more(make_story):
    """Every full save names live, the publication date, visibility and email-only; the triggers
    rewrite a story's rows only when one of them changed."""
    story = make_story("Harbour lights")

    def rows_changed(sql: str) -> int:
        before = connection.connection.total_changes  # triggers' changes included
        with connection.cursor() as cursor:
            cursor.execute(sql, [story.pk])
        return connection.connection.total_changes - before

    page, story_row = (
        "UPDATE wagtailcore_page SET {} WHERE id = %s",
        "UPDATE stories_storypage SET {} WHERE page_ptr_id = %s",
    )
    # The updated row alone, nothing written by a trigger.
    assert rows_changed(page.format("live = live, first_published_at = first_published_at")) == 1
    assert rows_changed(story_row.format("visibility = visibility, email_only = email_only")) == 1
    # A real change still rewrites the story's rows.
    assert rows_changed(story_row.format("email_only = 1")) > 1
    assert story.pk not in {row[1] for row in stored()}
    assert rows_changed(story_row.format("email_only = 0")) > 1
    assert rows_changed(page.format("first_published_at = '2020-01-01 00:00:00'")) > 1
    assert {row[1:] for row in stored()} == {(story.pk, "2020-01-01 00:00:00")}
    assert_in_step()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops triggers when it rebuilds a table")
def test_triggers_lost_to_a_table_rebuild_are_back_after_migrate_and_the_table_refilled(make_story):
    story = make_story("Harbour lights")
    with connection.cursor() as cursor:
        # What SQLite's table rebuild does to triggers no model declares; then a change they miss.
        cursor.execute("DROP TRIGGER search_story_update")
        hide = "UPDATE stories_storypage SET visibility = 'members' WHERE page_ptr_id = %s"
        cursor.execute(hide, [story.pk])
    assert stored() != expected()

    call_command("migrate", verbosity=0)

    assert_in_step()
    assert fetch("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'search_story_update'")
    StoryPage.objects.filter(pk=story.pk).update(visibility="public")
    assert story.pk in {row[1] for row in stored()}
