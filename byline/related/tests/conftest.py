from datetime import timedelta

import pytest
from django.utils import timezone

from byline.stories.models import StoryAuthor, StoryPage, StoryTag
from conftest import paragraph_body


@pytest.fixture
def publish(home, make_author, django_capture_on_commit_callbacks):
    """Publish a story the way the editor does (a revision, then publish), `days` ago, running what
    is queued after commit: `publish("Title", "body text", days=2, tags=[...])`."""

    def make(title, text="", *, days=0, tags=(), authors=None, **fields) -> StoryPage:
        story = StoryPage(title=title, body=paragraph_body(text or title), live=False, **fields)
        home.add_child(instance=story)
        for order, author in enumerate(authors or [make_author()]):
            StoryAuthor.objects.create(story=story, author=author, sort_order=order)
        for order, tag in enumerate(tags):
            StoryTag.objects.create(story=story, tag=tag, sort_order=order)
        story.first_published_at = timezone.now() - timedelta(days=days)
        story.save()
        with django_capture_on_commit_callbacks(execute=True):
            story.save_revision().publish()
        story.refresh_from_db()
        return story

    return make


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit(): ...` runs what the block queued after commit, as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
