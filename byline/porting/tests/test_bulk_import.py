"""An archive import writes its stories in batches (page_batch.py) and catches up once at the end:
the stories are stored as Wagtail would store them, search and related lists work afterwards, no
webhook fires per story, and the editor can open and publish an imported story."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from wagtail.models import Page, PageLogEntry, ReferenceIndex
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from byline.api import services as api_services
from byline.api.models import Webhook
from byline.api.tests.test_webhooks import Receiver
from byline.porting import page_batch, services
from byline.porting.models import ImportedSource
from byline.porting.tests.conftest import minimal_export, post
from byline.related.models import RelatedStory
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db

WORDS = ["harbour", "ferry", "lighthouse", "market", "council", "bridge", "festival", "storm"]


def archive(count: int) -> dict:
    posts = [
        post(
            f"story-{n}",
            title=f"Story {n} about the {WORDS[n % len(WORDS)]}",
            html=f"<p>The {WORDS[n % len(WORDS)]} and the {WORDS[(n + 3) % len(WORDS)]} again.</p>"
            "<p>A second paragraph with more words in it.</p>",
            updated_at="2025-01-03T03:04:05.000Z",
        )
        for n in range(count)
    ]
    users = [
        {"id": "u1", "name": "Ada Writer", "slug": "ada"},
        {"id": "u2", "name": "Bo Reporter", "slug": "bo"},
    ]
    tags = [{"id": "t1", "name": "Harbour", "slug": "harbour"}, {"id": "t2", "name": "Town", "slug": "town"}]
    posts_authors = [
        {"post_id": p["id"], "author_id": f"u{1 + n % 2}", "sort_order": 0} for n, p in enumerate(posts)
    ]
    posts_tags = [{"post_id": p["id"], "tag_id": "t1", "sort_order": 0} for p in posts] + [
        {"post_id": p["id"], "tag_id": "t2", "sort_order": 1} for p in posts[::2]
    ]
    return minimal_export(*posts, users=users, tags=tags, posts_authors=posts_authors, posts_tags=posts_tags)


@pytest.fixture
def import_archive(write_export, django_capture_on_commit_callbacks):
    def run(count: int, batch_size: int | None = None, monkeypatch=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.import_ghost(write_export(archive(count)))

    return run


def test_batched_stories_are_stored_as_wagtail_stores_pages(import_archive, site, monkeypatch):
    monkeypatch.setattr(page_batch, "BATCH_SIZE", 3)  # several batches, so paths continue across them
    home = site.root_page
    report = import_archive(7)
    assert report.get("story", "created") == 7
    stories = list(StoryPage.objects.child_of(home).order_by("path"))
    assert [story.slug for story in stories] == [f"story-{n}" for n in range(7)]
    home.refresh_from_db()
    assert home.numchild == Page.objects.child_of(home).count() == 7
    for story in stories:
        assert story.get_parent().pk == home.pk
        assert story.url_path == f"{home.url_path}story-{story.slug.split('-')[1]}/"
        assert story.url == f"/{story.slug}/"
        assert story.locale_id == home.locale_id
        assert story.draft_title == story.title
        assert story.live and not story.has_unpublished_changes
        assert story.first_published_at.isoformat() == "2025-01-02T03:04:05+00:00"
        assert story.last_published_at.isoformat() == "2025-01-03T03:04:05+00:00"
    # treebeard's own check finds nothing wrong with the tree
    assert Page.find_problems() == ([], [], [], [], [])
    # derived fields by Byline's rules, computed once
    story = stories[0]
    assert story.plaintext.startswith("The harbour and the market again.")
    assert story.word_count == 14
    derived = (story.plaintext, story.excerpt, story.reading_time, story.word_count)
    story.refresh_derived_fields()  # what a save through Wagtail would store
    assert (story.plaintext, story.excerpt, story.reading_time, story.word_count) == derived
    assert story.excerpt.startswith("The harbour and the market again.")
    assert [a.slug for a in story.authors] == ["ada"] and [t.slug for t in story.tags] == ["harbour", "town"]
    assert ImportedSource.objects.get(page=story).original_id == "id-story-0"
    assert PageLogEntry.objects.filter(page=story, action="wagtail.create").count() == 1
    assert client_status(story) == 200


def client_status(story) -> int:
    from django.test import Client

    site = story.get_site()
    return Client().get(story.url, HTTP_HOST=f"{site.hostname}:{site.port}").status_code


def test_a_page_added_after_an_import_goes_after_the_imported_ones(import_archive, site):
    import_archive(3)
    home = site.root_page.specific
    later = home.add_child(instance=StoryPage(title="Written later", slug="written-later"))
    assert later.path > StoryPage.objects.get(slug="story-2").path
    assert Page.find_problems() == ([], [], [], [], [])


def test_search_finds_imported_stories_after_the_import(import_archive, site, client):
    cache.clear()  # search is rate limited per address
    import_archive(8)
    response = client.get(
        "/search/", {"q": "lighthouse", "format": "json"}, HTTP_HOST=f"{site.hostname}:{site.port}"
    )
    titles = [item["title"] for item in json.loads(response.content)["results"]]
    # in the title of one, in the body of the other; the title match first
    assert titles == ["Story 2 about the lighthouse", "Story 7 about the storm"]


def test_imported_stories_have_related_lists_after_the_import(import_archive):
    import_archive(6)
    story = StoryPage.objects.get(slug="story-0")
    assert RelatedStory.objects.filter(story=story).count() >= 3


def test_the_reference_index_knows_the_imported_stories(import_archive):
    import_archive(2)
    story = StoryPage.objects.get(slug="story-0")
    assert ReferenceIndex.get_references_for_object(story).exists()  # its author and tag links


def test_nothing_is_announced_for_a_dry_run(write_export, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.import_ghost(write_export(archive(3)), dry_run=True)
    assert callbacks == []
    assert not StoryPage.objects.filter(slug="story-0").exists()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    settings.WEBHOOK_RETRY_SECONDS = 0
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_an_import_sends_no_webhook_per_story(import_archive, receiver, django_capture_on_commit_callbacks):
    integration = api_services.add_integration("Newsroom tools")
    for event in ("post.added", "post.published", "tag.added", "site.changed"):
        Webhook.objects.create(integration=integration, event=event, target_url=receiver.url)
    import_archive(4)
    assert receiver.received == []
    # the same hooks do fire for a story saved by hand: the silence above is the import's doing
    story = StoryPage.objects.get(slug="story-0")
    with django_capture_on_commit_callbacks(execute=True):
        story.title = "Edited by hand"
        story.save_revision().publish()
    assert receiver.received


def test_an_imported_story_opens_in_the_editor_and_can_be_published(import_archive, client):
    import_archive(2)
    story = StoryPage.objects.get(slug="story-1")
    editor = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(editor)
    edit_url = f"/admin/pages/{story.pk}/edit/"
    page = client.get(edit_url)
    assert page.status_code == 200
    assert "Story 1 about the ferry" in page.content.decode()

    author_link, tag_link = story.story_authors.get(), story.story_tags.get()
    authors = [{"id": author_link.pk, "author": author_link.author_id}]
    data = nested_form_data(
        {
            "title": "Story 1, revised",
            "slug": story.slug,
            "custom_excerpt": "",
            "body": streamfield([("rich_text", rich_text("<p>The ferry runs again from Monday.</p>"))]),
            "story_authors": inline_formset(authors, initial=1),
            "story_tags": inline_formset([{"id": tag_link.pk, "tag": tag_link.tag_id}], initial=1),
            "pinned_related": inline_formset([]),
            "visibility": "public",
            "comments": "open",
            "action-publish": "action-publish",
        }
    )
    response = client.post(edit_url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    story = StoryPage.objects.get(pk=story.pk)
    assert story.title == "Story 1, revised" and story.live
    assert story.live_revision is not None
    assert story.plaintext == "The ferry runs again from Monday."
    assert story.first_published_at.isoformat() == "2025-01-02T03:04:05+00:00"  # the original date stays


def test_listing_counts_are_forgotten_once_the_import_commits(import_archive):
    from byline.stories.models import cached_count

    assert cached_count(StoryPage.objects.live(), "porting-test") == 0
    import_archive(3)
    assert cached_count(StoryPage.objects.live(), "porting-test") == 3
