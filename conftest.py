"""Fixtures shared by every app's tests: a publication with authors, tags, images and stories."""

import io
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Site

from byline.core.models import HomePage
from byline.lib.smtp_sink import Collector, free_port
from byline.stories.models import Author, StoryAuthor, StoryPage, StoryTag, Tag


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Make serialized_rollback work in the browser tests.

    Playwright's sync API runs in greenlets, and Django keeps one connection object per context, so
    tests that drive a browser get a fresh connection object lacking the serialized copy of the rows the
    migrations made (site, home page, locale, collections); serialized_rollback would then restore nothing
    once a live-server test has flushed the tables. Keeping the copy on the connection class fixes that.
    """
    from django.db import connections

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            type(connection)._test_serialized_contents = contents
    yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: what one test's requests cached (site settings, for
    one) must not outlive the rows its rollback removed."""
    from django.core.cache import cache

    from byline.pagecache.store import forget_memo

    cache.clear()
    forget_memo()  # this process's memo of the cache (generations, and what is tagged with them)


@pytest.fixture
def make_image(db):
    def make(title="Test image", width=1600, height=900, colour=(40, 90, 160)):
        file = ImageFile(io.BytesIO(_png(width, height, colour)), name=f"{title[:20]}.png")
        return get_image_model().objects.create(title=title, file=file)

    return make


@pytest.fixture
def home(db) -> HomePage:
    return HomePage.objects.get(depth=2)


@pytest.fixture
def site(db) -> Site:
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def make_author(db):
    counter = {"n": 0}

    def make(name=None, **fields):
        counter["n"] += 1
        name = name or f"Author Number{counter['n']}"
        return Author.objects.create(name=name, **fields)

    return make


@pytest.fixture
def make_tag(db):
    def make(name, **fields):
        return Tag.objects.create(name=name, **fields)

    return make


def paragraph_body(*paragraphs: str) -> list:
    return [{"type": "rich_text", "value": "".join(f"<p>{text}</p>" for text in paragraphs)}]


@pytest.fixture
def make_story(home, make_author):
    """Publish a story under the home page: `make_story("Title", tags=[...], authors=[...])`."""
    counter = {"n": 0}

    def make(
        title=None,
        *,
        authors=None,
        tags=(),
        body=None,
        published_at=None,
        live=True,
        **fields,
    ) -> StoryPage:
        counter["n"] += 1
        title = title or f"Story number {counter['n']}"
        story = StoryPage(
            title=title,
            live=live,
            body=body if body is not None else paragraph_body(f"The text of {title.lower()}."),
            **fields,
        )
        home.add_child(instance=story)
        for order, author in enumerate(authors or [make_author()]):
            StoryAuthor.objects.create(story=story, author=author, sort_order=order)
        for order, tag in enumerate(tags):
            StoryTag.objects.create(story=story, tag=tag, sort_order=order)
        if live:
            story.save_revision().publish()
            when = published_at or timezone.now() - timedelta(minutes=counter["n"])
            StoryPage.objects.filter(pk=story.pk).date_as_published(when)
        story.refresh_from_db()
        return story

    return make


@pytest.fixture
def smtp(settings):
    """Start an SMTP server and point Django's SMTP backend at it; yields the collector of messages."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield collector
    finally:
        controller.stop()
