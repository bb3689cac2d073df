"""Fixtures for the public-site tests of the stories app."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from byline.stories.models import StoryPage


@pytest.fixture
def client(site) -> Client:
    """A reader's browser, arriving at the site's own address (the host of BYLINE_URL), as in
    production, so URLs built from the request and from the Site agree."""
    host = site.hostname if site.port in (80, 443) else f"{site.hostname}:{site.port}"
    return Client(HTTP_HOST=host)


@pytest.fixture
def make_stories(make_story):
    """Many live stories quickly, for listings: `make_stories(16, tags=[...])`, newest first.

    They are marked live directly instead of being published through revisions: the site serves
    them the same way, and an archive of them is built several times faster.
    """

    def make(count: int, *, title="Story {n:02}", **fields) -> list[StoryPage]:
        now = timezone.now()
        stories = []
        for n in range(count):
            story = make_story(title.format(n=n), live=False, **fields)
            when = now - timedelta(minutes=n + 1)
            dated = StoryPage.objects.filter(pk=story.pk)
            dated.update(live=True, last_published_at=when)
            dated.date_as_published(when)
            story.refresh_from_db()
            stories.append(story)
        return stories

    return make
