"""RSS 2.0 at /rss/, /tag/<slug>/rss/ and /author/<slug>/rss/, shaped like Ghost's feed."""

from datetime import timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from byline.core.models import PublicationSettings
from byline.stories.feeds import absolute_urls
from byline.stories.models import StandalonePage
from conftest import paragraph_body

NS = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
    "atom": "http://www.w3.org/2005/Atom",
}
ROOT = "http://127.0.0.1:8000"  # the test site's address (BYLINE_URL)


def feed(client, url="/rss/") -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    return ElementTree.fromstring(response.content)  # noqa: S314  (our own output)


def items(rss) -> list[ElementTree.Element]:
    return rss.findall("./channel/item")


def titles(rss) -> list[str]:
    return [item.findtext("title") for item in items(rss)]


def image_block(image) -> dict:
    return {"type": "image", "value": {"image": image.pk, "alt": "Boats", "caption": "", "width": "regular"}}


def test_feed_is_rss_2_with_the_publication_as_channel(client, site, make_story):
    PublicationSettings.objects.update_or_create(
        site=site, defaults={"name": "The Harbour Gazette", "description": "News from the quay"}
    )
    make_story()
    rss = feed(client)
    assert rss.tag == "rss"
    assert rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") == "The Harbour Gazette"
    assert channel.findtext("description") == "News from the quay"
    assert channel.findtext("link") == f"{ROOT}/"
    assert channel.findtext("ttl") == "60"
    assert channel.find("atom:link", NS).get("href") == f"{ROOT}/rss/"


def test_feed_has_the_fifteen_newest_stories_newest_first(client, make_story):
    now = timezone.now()
    # Published out of order on purpose: the feed sorts by publication date.
    for n in [3, 17, 1, 8, 12, 5, 16, 2, 9, 14, 4, 11, 6, 15, 7, 10, 13]:
        make_story(f"{n} hours ago", published_at=now - timedelta(hours=n))
    rss = feed(client)
    assert titles(rss) == [f"{n} hours ago" for n in range(1, 16)]
    dates = [parsedate_to_datetime(item.findtext("pubDate")) for item in items(rss)]
    assert dates == sorted(dates, reverse=True)


def test_an_item_carries_link_guid_date_and_excerpt(client, make_story):
    story = make_story("Boats return", custom_excerpt="They are back.")
    (item,) = items(feed(client))
    assert item.findtext("link") == f"{ROOT}{story.url}"
    guid = item.find("guid")
    assert guid.text == str(story.pk)
    assert guid.get("isPermaLink") == "false"
    assert item.findtext("description") == "They are back."
    assert parsedate_to_datetime(item.findtext("pubDate")) == story.first_published_at.replace(microsecond=0)


def test_content_encoded_has_the_full_html_with_absolute_urls(client, make_story, make_image, about):
    image = make_image("Boats")
    body = paragraph_body('Read <a href="/about/">about us</a> and <strong>more</strong>.')
    story = make_story("Full text", body=body + [image_block(image)], feature_image=make_image())
    html = items(feed(client))[0].findtext("content:encoded", namespaces=NS)
    assert "<strong>more</strong>" in html
    assert f'href="{ROOT}/about/"' in html
    assert 'src="/' not in html and 'href="/' not in html
    # Every candidate of a srcset, not just the first, is absolute.
    srcsets = [part.split('"')[0] for part in html.split('srcset="')[1:]]
    assert srcsets
    for srcset in srcsets:
        for candidate in srcset.split(","):
            assert candidate.strip().startswith(f"{ROOT}/media/"), candidate
    # Like Ghost, the feature image comes first.
    assert html.startswith(f'<img src="{ROOT}/media/')
    assert story.feature_image.get_rendition("width-1200").url in html


@pytest.fixture
def about(home):
    page = StandalonePage(title="About", body=paragraph_body("Us."))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_feature_image_is_media_content(client, make_story, make_image):
    story = make_story(feature_image=make_image())
    media = items(feed(client))[0].find("media:content", NS)
    assert media.get("medium") == "image"
    assert media.get("url") == ROOT + story.feature_image.get_rendition("width-1200").url


def test_a_story_without_feature_image_has_no_media_content(client, make_story):
    make_story()
    assert items(feed(client))[0].find("media:content", NS) is None


def test_every_author_is_a_dc_creator_once(client, make_story, make_author):
    make_story(authors=[make_author("Ada Lovelace"), make_author("Grace Hopper")])
    item = items(feed(client))[0]
    creators = [creator.text for creator in item.findall("dc:creator", NS)]
    assert creators == ["Ada Lovelace", "Grace Hopper"]


def test_categories_are_the_public_tags_in_order(client, make_story, make_tag):
    make_story(tags=[make_tag("World"), make_tag("#wire"), make_tag("Local")])
    item = items(feed(client))[0]
    assert [category.text for category in item.findall("category")] == ["World", "Local"]


def test_members_only_stories_are_left_out_of_feeds(client, make_story, make_author, make_tag):
    author, tag = make_author("Ada Lovelace"), make_tag("Local")
    make_story("Open to all", authors=[author], tags=[tag])
    make_story("For members", authors=[author], tags=[tag], visibility="members")
    for url in ["/rss/", "/tag/local/rss/", "/author/ada-lovelace/rss/"]:
        assert titles(feed(client, url)) == ["Open to all"], url


def test_drafts_are_left_out_of_feeds(client, make_story):
    make_story("Published")
    make_story("Draft", live=False)
    assert titles(feed(client)) == ["Published"]


def test_tag_feed_has_only_the_tags_stories(client, site, make_story, make_tag):
    local, world = make_tag("Local"), make_tag("World")
    make_story("Quay", tags=[local])
    make_story("Abroad", tags=[world])
    make_story("Both", tags=[world, local])
    rss = feed(client, "/tag/local/rss/")
    assert titles(rss) == ["Quay", "Both"]
    assert rss.find("channel").findtext("title") == "Local · Byline"
    assert rss.find("channel").findtext("link") == f"{ROOT}/tag/local/"


def test_author_feed_has_only_the_authors_stories(client, make_story, make_author):
    ada, bob = make_author("Ada Lovelace"), make_author("Bob Woodward")
    make_story("By Ada", authors=[ada])
    make_story("By Bob", authors=[bob])
    make_story("By both", authors=[bob, ada])
    rss = feed(client, "/author/ada-lovelace/rss/")
    assert titles(rss) == ["By Ada", "By both"]
    assert rss.find("channel").findtext("title") == "Ada Lovelace · Byline"


def test_feed_escapes_titles_and_markup(client, make_story):
    make_story("Fish & chips <b>now</b> ]]> done")
    assert titles(feed(client)) == ["Fish & chips <b>now</b> ]]> done"]


def test_only_root_relative_urls_are_made_absolute():
    html = (
        '<a href="/a/">a</a><img src=\'/b.png\' srcset="/c.png 1x, https://cdn.example/d.png 2x">'
        '<a href="//cdn.example/e">e</a><a href="https://x.com/">x</a><p>src="/text"</p>'
    )
    assert absolute_urls(html, "https://news.example.org") == (
        '<a href="https://news.example.org/a/">a</a>'
        "<img src='https://news.example.org/b.png' "
        'srcset="https://news.example.org/c.png 1x, https://cdn.example/d.png 2x">'
        '<a href="//cdn.example/e">e</a><a href="https://x.com/">x</a><p>src="/text"</p>'
    )
