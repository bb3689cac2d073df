"""The four related stories under a story: most shared tags first, newest first among equals,
topped up with the latest stories."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline.related.engine import related_stories


@pytest.fixture
def tags(make_tag):
    return {name: make_tag(name) for name in ["Local", "Harbour", "Politics", "#wire"]}


@pytest.fixture
def story_at(make_story):
    """make_story with a publication time `hours` ago, so order is explicit."""
    now = timezone.now()

    def make(title, hours, **fields):
        return make_story(title, published_at=now - timedelta(hours=hours), **fields)

    return make


def titles(stories) -> list[str]:
    return [story.title for story in stories]


def test_most_shared_tags_first_then_newest(story_at, tags):
    local, harbour, politics = tags["Local"], tags["Harbour"], tags["Politics"]
    story = story_at("The story", 0, tags=[local, harbour, politics])
    story_at("One tag, new", 1, tags=[local])
    story_at("Three tags, old", 50, tags=[politics, harbour, local])
    story_at("Two tags, newer", 5, tags=[harbour, politics])
    story_at("Two tags, older", 10, tags=[local, harbour])
    story_at("One tag, old", 40, tags=[politics])
    assert titles(related_stories(story)) == [
        "Three tags, old",
        "Two tags, newer",
        "Two tags, older",
        "One tag, new",
    ]


def test_never_itself_drafts_or_members_only(story_at, tags):
    local = tags["Local"]
    story = story_at("The story", 0, tags=[local])
    story_at("Draft", 1, tags=[local], live=False)
    story_at("For members", 2, tags=[local], visibility="members")
    story_at("Public", 3, tags=[local])
    assert titles(related_stories(story)) == ["Public"]


def test_topped_up_with_the_latest_stories(story_at, tags):
    story = story_at("The story", 0, tags=[tags["Local"]])
    story_at("Shares a tag", 30, tags=[tags["Local"]])
    for hours in [1, 2, 3, 4]:
        story_at(f"Latest {hours}", hours, tags=[tags["Politics"]])
    assert titles(related_stories(story)) == ["Shares a tag", "Latest 1", "Latest 2", "Latest 3"]


def test_a_story_without_tags_gets_the_latest(story_at):
    story = story_at("The story", 3)
    for hours in [1, 2, 4, 5, 6]:
        story_at(f"Latest {hours}", hours)
    assert titles(related_stories(story)) == ["Latest 1", "Latest 2", "Latest 4", "Latest 5"]


def test_internal_tags_do_not_make_stories_related(story_at, tags):
    story = story_at("The story", 0, tags=[tags["#wire"], tags["Local"]])
    story_at("Same wire, newer", 1, tags=[tags["#wire"]])
    story_at("Same topic, older", 9, tags=[tags["Local"]])
    assert titles(related_stories(story)) == ["Same topic, older", "Same wire, newer"]


def test_no_story_twice(story_at, tags):
    story = story_at("The story", 0, tags=[tags["Local"], tags["Harbour"]])
    story_at("Both tags", 1, tags=[tags["Local"], tags["Harbour"]])
    story_at("Other", 2)
    assert titles(related_stories(story)) == ["Both tags", "Other"]


def test_alone_on_the_site_there_is_nothing_related(story_at):
    assert related_stories(story_at("The only story", 0)) == []


def test_related_stories_come_ready_for_their_cards(story_at, tags, make_author, make_image):
    story = story_at("The story", 0, tags=[tags["Local"]])
    author = make_author("Ada Lovelace", photo=make_image("Ada"))
    story_at("Related", 1, tags=[tags["Local"]], authors=[author], feature_image=make_image())
    (related,) = related_stories(story)
    # Authors, tags and images were loaded with the stories, not one by one afterwards.
    with CaptureQueriesContext(connection) as context:
        assert related.authors[0].photo.prefetched_renditions is not None
        assert related.primary_tag.name == "Local"
        assert related.feature_image.prefetched_renditions is not None
    assert context.captured_queries == []


def test_story_page_shows_four_related_cards(client, story_at, tags, site):
    story = story_at("The story", 0, tags=[tags["Local"]])
    for hours in range(1, 7):
        story_at(f"Other {hours}", hours, tags=[tags["Local"]])
    host = f"{site.hostname}:{site.port}"
    soup = BeautifulSoup(client.get(story.url, HTTP_HOST=host).content, "lxml")
    cards = soup.select(".related .card__title")
    assert [card.get_text(strip=True) for card in cards] == ["Other 1", "Other 2", "Other 3", "Other 4"]
