"""Every public page is loaded in a fixed number of SQL queries, whatever the size of the archive,
the number of a story's authors and tags, or the number of images in its body.

Each page is requested once first so image renditions exist and are cached (a cold rendition is a
one-off write, not a per-request cost), then measured.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from byline.comments.models import CommentSettings
from byline.core.models import PublicationSettings, view_restrictions_exist
from byline.stories.models import StoryPage
from conftest import paragraph_body

# Measured when these tests were written, with a logo, a featured story, tag images and author
# photos. Every page: 2 for the publication's settings and logo (with renditions), 1 for the site.
# Listings: the featured story's id or the tag/author (+ renditions of its image), the page of ids
# (count, slice), then 6 to load the cards (see StoryQuerySet.for_cards). Story: 5 more for
# Wagtail's routing, 5 for the story itself (feature image, authors with photos, tags, body images,
# all their renditions) and 8 for the related stories. A page over its bound is a regression.
# The story page includes the comments section: its settings, count and first page of threads.
BOUNDS = {"home": 14, "story": 26, "tag": 15, "author": 15}


def count_queries(client, url: str) -> int:
    # Warm renditions and caches: twice, because the settings cached by the first request are
    # forgotten when it makes the logo's renditions.
    for _ in range(2):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def image_block(image) -> dict:
    return {"type": "image", "value": {"image": image.pk, "alt": "", "caption": "", "width": "regular"}}


@pytest.fixture
def newsroom(make_story, make_author, make_tag, make_image):
    """Adds `count` stories, each with one to three authors (with photos), one to three tags and a
    feature image, to the same tag and author pools; returns the newest."""
    photo = make_image("Portrait", width=200, height=200)
    cover = make_image("Cover")
    authors = [make_author(photo=photo) for _ in range(3)]
    tags = [make_tag(f"Topic {n}", feature_image=cover) for n in range(3)]
    logo = make_image("Logo", width=400, height=100)
    PublicationSettings.objects.update_or_create(site=Site.objects.get(), defaults={"logo": logo})
    state = {"added": 0}

    def add(count: int) -> StoryPage:
        story = None
        for _ in range(count):
            state["added"] += 1
            n = state["added"]
            # Published by hand rather than through revisions: the page is served the same way
            # and the archive is built several times faster.
            story = make_story(
                live=False,
                authors=authors[: 1 + n % 3],
                tags=tags[: 1 + n % 3],
                feature_image=cover,
                featured=n == 2,
                body=paragraph_body("Some words.") + [image_block(cover), image_block(photo)],
            )
            when = timezone.now() - timedelta(hours=100 - n)
            dated = StoryPage.objects.filter(pk=story.pk)
            dated.update(live=True, last_published_at=when)
            dated.date_as_published(when)
        return story

    add.authors = authors
    add.tags = tags
    return add


def measure(client, newsroom, newest: StoryPage) -> dict[str, int]:
    return {
        "home": count_queries(client, "/"),
        "story": count_queries(client, newest.url),
        "tag": count_queries(client, newsroom.tags[0].get_absolute_url()),
        "author": count_queries(client, newsroom.authors[0].get_absolute_url()),
    }


def test_page_queries_do_not_grow_with_the_number_of_stories(client, newsroom):
    small = measure(client, newsroom, newsroom(5))
    large = measure(client, newsroom, newsroom(25))  # 30 stories, two pages of each listing
    assert large == small
    for page, count in large.items():
        assert count <= BOUNDS[page], f"{page}: {count} queries"


def test_story_page_queries_do_not_grow_with_its_authors_tags_or_images(
    client, make_story, make_author, make_tag, make_image
):
    photo = make_image("Portrait", width=200, height=200)
    images = [make_image(f"Picture {n}", width=300, height=200) for n in range(5)]
    for _ in range(5):  # enough others for a full related-stories block under both stories
        make_story(feature_image=images[1])

    def story(size: int) -> StoryPage:
        return make_story(
            authors=[make_author(photo=photo) for _ in range(size)],
            tags=[make_tag(f"Tag {size}-{n}") for n in range(size)],
            feature_image=images[0],
            body=paragraph_body("Words.")
            + [image_block(image) for image in images[:size]]
            + [{"type": "gallery", "value": {"images": [i.pk for i in images[:size]], "caption": ""}}],
        )

    one = count_queries(client, story(1).url)
    five = count_queries(client, story(5).url)
    assert five == one
    assert five <= BOUNDS["story"]


def test_second_page_of_the_home_page_costs_no_more_than_the_first(client, newsroom):
    newsroom(20)
    assert count_queries(client, "/page/2/") <= count_queries(client, "/")


def test_query_counts_do_not_depend_on_the_rendition_cache(client, newsroom):
    """Renditions are prefetched, not looked up image by image when the cache has lost them."""
    newest = newsroom(8)
    warm = measure(client, newsroom, newest)
    for url in ["/", newest.url, "/tag/topic-0/", newsroom.authors[0].get_absolute_url()]:
        cache.clear()
        Site.get_site_root_paths()  # Wagtail's own per-site cache is not what this is about
        # Nor are the site settings, cached on purpose (byline.core.models.CachedSiteSettingMixin).
        PublicationSettings.cached_for_site(Site.objects.get())
        CommentSettings.cached_for_site(Site.objects.get())
        view_restrictions_exist()  # and whether any page is private (ViewRestrictionsMixin)
        with CaptureQueriesContext(connection) as context:
            client.get(url)
        # A listing's count is cached too (StoryPage listings' cached_count): read once again.
        recount = 1 if page_of(url) != "story" else 0
        assert len(context.captured_queries) == warm[page_of(url)] + recount, url


def page_of(url: str) -> str:
    if url == "/":
        return "home"
    return url.split("/")[1] if url.startswith(("/tag/", "/author/")) else "story"


def test_feed_queries_do_not_grow_with_the_stories_in_it(client, newsroom):
    """A feed renders the full text of 15 stories: their body images are loaded together."""
    feeds = ["/rss/", "/tag/topic-0/rss/", "/author/author-number1/rss/"]
    newsroom(3)
    few = [count_queries(client, url) for url in feeds]
    newsroom(15)
    assert [count_queries(client, url) for url in feeds] == few
