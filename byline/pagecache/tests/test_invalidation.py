"""Purges are exact and immediate: a change makes stale exactly the pages that show it."""

import pytest

from byline.comments.models import CommentSettings
from byline.comments.services import post_comment
from byline.core.models import PublicationSettings
from byline.members.models import Member
from byline.pagecache import store
from byline.related.models import RelatedStory

pytestmark = pytest.mark.usefixtures("page_cache")


@pytest.fixture
def newsroom(make_story, make_tag, make_author):
    harbour, weather = make_tag("Harbour"), make_tag("Weather")
    ada, ben = make_author("Ada Quill"), make_author("Ben Ink")
    bridge = make_story("The bridge reopens", tags=[harbour], authors=[ada])
    storm = make_story("A storm is coming", tags=[weather], authors=[ben])
    ferry = make_story("The ferry timetable", tags=[harbour], authors=[ben])
    # The ferry story's related block lists the bridge story.
    RelatedStory.objects.create(story_id=ferry.pk, related_id=bridge.pk, position=0, score=1.0)
    return {
        "bridge": bridge,
        "storm": storm,
        "ferry": ferry,
        "harbour": harbour,
        "weather": weather,
        "ada": ada,
    }


def warm(client, *paths):
    for path in paths:
        assert client.get(path).status_code == 200, path
        assert client.get(path)["X-Cache"] == "HIT", path


def cached(client, path) -> bool:
    return client.get(path)["X-Cache"] == "HIT"


def edit(story, committed, **fields):
    for name, value in fields.items():
        setattr(story, name, value)
    with committed():
        story.save_revision().publish()


def test_editing_a_story_purges_its_page_the_listings_and_the_related_blocks_showing_it(
    client, newsroom, committed
):
    bridge, storm, ferry = newsroom["bridge"], newsroom["storm"], newsroom["ferry"]
    harbour, weather = newsroom["harbour"], newsroom["weather"]
    paths = [bridge.url, storm.url, ferry.url, "/", "/rss/", "/sitemap.xml"]
    paths += [harbour.get_absolute_url(), weather.get_absolute_url(), newsroom["ada"].get_absolute_url()]
    warm(client, *paths)

    edit(bridge, committed, title="The bridge reopens at last")

    assert "reopens at last" in client.get(bridge.url).content.decode()
    assert "reopens at last" in client.get(ferry.url).content.decode()  # its related block
    for path in ("/", "/rss/", harbour.get_absolute_url(), newsroom["ada"].get_absolute_url()):
        assert "reopens at last" in client.get(path).content.decode(), path
    # Pages that do not show the bridge story stay cached.
    assert cached(client, storm.url)
    assert cached(client, weather.get_absolute_url())


def test_moving_a_story_to_another_tag_purges_both_archives(client, newsroom, committed):
    from byline.stories.models import StoryTag

    bridge, weather = newsroom["bridge"], newsroom["weather"]
    warm(client, weather.get_absolute_url(), newsroom["harbour"].get_absolute_url())
    bridge.story_tags.clear()
    bridge.story_tags.add(StoryTag(tag=weather, sort_order=0))
    edit(bridge, committed)
    assert "The bridge reopens" in client.get(weather.get_absolute_url()).content.decode()
    assert "The bridge reopens" not in client.get(newsroom["harbour"].get_absolute_url()).content.decode()


def test_a_new_story_appears_at_once_on_the_pages_that_list_it(
    client, newsroom, home, make_author, committed
):
    from byline.stories.models import StoryAuthor, StoryPage, StoryTag
    from conftest import paragraph_body

    harbour = newsroom["harbour"]
    warm(
        client, "/", harbour.get_absolute_url(), newsroom["weather"].get_absolute_url(), newsroom["storm"].url
    )
    story = StoryPage(title="Harbour fees rise", body=paragraph_body("Fees."), live=False)
    home.add_child(instance=story)
    StoryAuthor.objects.create(story=story, author=make_author(), sort_order=0)
    StoryTag.objects.create(story=story, tag=harbour, sort_order=0)
    with committed():
        story.save_revision().publish()

    assert "Harbour fees rise" in client.get("/").content.decode()
    assert "Harbour fees rise" in client.get(harbour.get_absolute_url()).content.decode()
    assert "Harbour fees rise" in client.get("/rss/").content.decode()
    assert cached(client, newsroom["weather"].get_absolute_url())
    assert cached(client, newsroom["storm"].url)


def test_unpublishing_a_story_takes_it_off_every_page_at_once(client, newsroom, committed):
    bridge, ferry = newsroom["bridge"], newsroom["ferry"]
    warm(client, bridge.url, ferry.url, "/", newsroom["storm"].url)
    with committed():
        bridge.unpublish()
    assert client.get(bridge.url).status_code == 404
    assert "The bridge reopens" not in client.get(ferry.url).content.decode()
    assert "The bridge reopens" not in client.get("/").content.decode()
    assert cached(client, newsroom["storm"].url)


def test_deleting_a_story_takes_it_off_every_page_at_once(client, newsroom, committed):
    bridge, ferry = newsroom["bridge"], newsroom["ferry"]
    url = bridge.url
    warm(client, url, ferry.url, "/", newsroom["harbour"].get_absolute_url())
    with committed():
        bridge.delete()
    assert client.get(url).status_code == 404
    assert "The bridge reopens" not in client.get(ferry.url).content.decode()
    assert "The bridge reopens" not in client.get(newsroom["harbour"].get_absolute_url()).content.decode()


def test_a_new_comment_purges_only_its_story(client, newsroom, committed, site):
    bridge, ferry = newsroom["bridge"], newsroom["ferry"]
    site_settings = CommentSettings.for_site(site)
    warm(client, bridge.url, ferry.url, "/", f"/comments/{bridge.pk}/")
    member = Member.objects.create(email="reader@example.com", name="Rita Reader")
    with committed():
        post_comment(
            member=member,
            story=bridge,
            text="Finally, the long way round is over.",
            site_settings=site_settings,
        )
    assert "the long way round is over" in client.get(bridge.url).content.decode()
    assert "the long way round is over" in client.get(f"/comments/{bridge.pk}/").content.decode()
    assert cached(client, ferry.url)  # lists the bridge story, not its comments
    assert cached(client, "/")


def test_renaming_a_tag_purges_its_archive_and_the_stories_showing_it(client, newsroom, committed):
    harbour = newsroom["harbour"]
    warm(client, harbour.get_absolute_url(), newsroom["bridge"].url, newsroom["storm"].url)
    harbour.name = "Harbour and docks"
    with committed():
        harbour.save()
    assert "Harbour and docks" in client.get(newsroom["bridge"].url).content.decode()
    assert "Harbour and docks" in client.get(harbour.get_absolute_url()).content.decode()
    assert cached(client, newsroom["storm"].url)


def test_changing_the_publication_settings_purges_everything(client, newsroom, site, committed):
    warm(client, "/", newsroom["storm"].url, newsroom["weather"].get_absolute_url())
    publication = PublicationSettings.for_site(site)
    publication.name = "The Quayside Courier"
    with committed():
        publication.save()
    for path in ("/", newsroom["storm"].url, newsroom["weather"].get_absolute_url()):
        answer = client.get(path)
        assert answer["X-Cache"] == "MISS" and "The Quayside Courier" in answer.content.decode(), path


def test_a_purge_landing_while_a_page_renders_keeps_that_page_out_of_the_cache(db):
    import time

    began = time.time()
    store.bump(["story:1"])  # the change commits while the page is being rendered
    assert store.save("pc:p:test", 200, [], b"old", {"story:1"}, began) is None
    assert store.lookup("pc:p:test") is None
    # Rendered well after the purge: stored, and stale again at the next purge.
    assert store.save("pc:p:test", 200, [], b"new", {"story:1"}, time.time() + 2) is not None
    assert store.lookup("pc:p:test").body == b"new"
    store.bump(["story:1"])
    assert store.lookup("pc:p:test") is None


def test_a_refreshed_related_list_purges_the_story_showing_it(client, newsroom, committed):
    from byline.related import services

    ferry, storm = newsroom["ferry"], newsroom["storm"]
    warm(client, ferry.url, storm.url)
    with committed():
        services.store_list(ferry.pk, [(storm.pk, 1.0)])
    assert "A storm is coming" in client.get(ferry.url).content.decode()
    assert cached(client, storm.url)
