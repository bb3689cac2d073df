"""/sitemap.xml (an index, as Ghost's), its four sections, the Google News sitemap and robots.txt."""

from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from byline.stories.models import StandalonePage
from conftest import paragraph_body

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
ROOT = "http://127.0.0.1:8000"  # the test site's address (BYLINE_URL)


def xml(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)  # noqa: S314  (our own output)


def locations(root) -> list[str]:
    return [loc.text for loc in root.findall(".//sm:loc", NS)]


@pytest.fixture
def about(home) -> StandalonePage:
    page = StandalonePage(title="About", body=paragraph_body("Us."))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_index_lists_the_four_sections(client, make_story):
    make_story()
    index = xml(client, "/sitemap.xml")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    assert sorted(locations(index)) == [
        f"{ROOT}/sitemap-{section}.xml" for section in ["authors", "pages", "posts", "tags"]
    ]


def test_the_index_gives_each_page_section_the_date_of_its_newest_change(client, make_story):
    from byline.stories.models import StoryPage

    make_story(), make_story()
    newest = max(StoryPage.objects.values_list("last_published_at", flat=True))
    index = xml(client, "/sitemap.xml")
    dates = {
        entry.findtext("sm:loc", namespaces=NS): entry.findtext("sm:lastmod", namespaces=NS)
        for entry in index.findall("sm:sitemap", NS)
    }
    assert datetime.fromisoformat(dates[f"{ROOT}/sitemap-posts.xml"]) == newest


def test_the_index_reads_no_story_rows_once_counted_and_follows_the_next_publish(
    client, make_story, django_assert_num_queries
):
    from byline.stories.models import StoryPage

    make_story()
    xml(client, "/sitemap.xml")
    with django_assert_num_queries(1):  # sizes and newest dates come from the listing cache
        xml(client, "/sitemap.xml")

    later = make_story(published_at=timezone.now() + timedelta(minutes=5))
    later.refresh_from_db()
    index = xml(client, "/sitemap.xml")
    dates = {
        entry.findtext("sm:loc", namespaces=NS): entry.findtext("sm:lastmod", namespaces=NS)
        for entry in index.findall("sm:sitemap", NS)
    }
    newest = max(StoryPage.objects.values_list("last_published_at", flat=True))
    assert datetime.fromisoformat(dates[f"{ROOT}/sitemap-posts.xml"]) == newest


def test_posts_sitemap_has_live_stories_only_with_absolute_urls_and_lastmod(client, make_story, about):
    published = make_story("Published")
    members = make_story("For members", visibility="members")
    make_story("Draft", live=False)
    root = xml(client, "/sitemap-posts.xml")
    assert sorted(locations(root)) == sorted([f"{ROOT}{published.url}", f"{ROOT}{members.url}"])
    for url in root.findall("sm:url", NS):
        lastmod = url.findtext("sm:lastmod", namespaces=NS)
        assert lastmod
        datetime.fromisoformat(lastmod)


def test_an_unpublished_story_leaves_the_posts_sitemap(client, make_story):
    story = make_story("Withdrawn")
    story.unpublish()
    assert locations(xml(client, "/sitemap-posts.xml")) == []


def test_pages_sitemap_has_the_home_page_and_standalone_pages_but_no_stories(client, make_story, about):
    make_story("A story")
    assert sorted(locations(xml(client, "/sitemap-pages.xml"))) == [f"{ROOT}/", f"{ROOT}/about/"]


def test_tags_sitemap_has_public_tags_with_live_stories(client, make_story, make_tag):
    make_story(tags=[make_tag("Local"), make_tag("#wire")])
    make_story(tags=[make_tag("Unused yet")], live=False)
    make_tag("Empty")
    assert locations(xml(client, "/sitemap-tags.xml")) == [f"{ROOT}/tag/local/"]


def test_authors_sitemap_has_authors_of_live_stories(client, make_story, make_author):
    make_story(authors=[make_author("Ada Lovelace"), make_author("Grace Hopper")])
    make_story(authors=[make_author("Draft Writer")], live=False)
    assert locations(xml(client, "/sitemap-authors.xml")) == [
        f"{ROOT}/author/ada-lovelace/",
        f"{ROOT}/author/grace-hopper/",
    ]


def test_news_sitemap_has_only_the_last_48_hours(client, make_story):
    now = timezone.now()
    fresh = make_story("Fresh & new", published_at=now - timedelta(hours=47))
    make_story("Stale", published_at=now - timedelta(hours=49))
    make_story("Members only", published_at=now - timedelta(hours=1), visibility="members")
    root = xml(client, "/sitemap-news.xml")
    (url,) = root.findall("sm:url", NS)
    assert url.findtext("sm:loc", namespaces=NS) == f"{ROOT}{fresh.url}"
    assert url.findtext("news:news/news:title", namespaces=NS) == "Fresh & new"
    assert url.findtext("news:news/news:publication/news:name", namespaces=NS) == "Byline"
    published = datetime.fromisoformat(url.findtext("news:news/news:publication_date", namespaces=NS))
    assert published == fresh.first_published_at


def test_robots_txt_points_at_the_absolute_sitemap(client):
    response = client.get("/robots.txt")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {ROOT}/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines


def test_sitemaps_answer_head_and_refuse_post(client):
    assert client.head("/sitemap.xml").status_code == 200
    assert client.post("/sitemap.xml").status_code == 405


def test_news_sitemap_names_the_publications_language(client, make_story, settings):
    settings.LANGUAGE_CODE = "fr"
    make_story("Le port rouvre")
    root = xml(client, "/sitemap-news.xml")
    assert root.findtext(".//news:language", namespaces=NS) == "fr"


def test_email_only_stories_are_in_no_sitemap(client, make_story, make_tag, make_author):
    only_sent = make_tag("Letters")
    writer = make_author("Letter Writer")
    on_site = make_story("On the site")
    sent = make_story("Sent by email only", email_only=True, tags=[only_sent], authors=[writer])
    assert locations(xml(client, "/sitemap-posts.xml")) == [f"{ROOT}{on_site.url}"]
    assert sent.url not in client.get("/sitemap-news.xml").content.decode()
    assert "/tag/letters/" not in client.get("/sitemap-tags.xml").content.decode()
    assert "/author/letter-writer/" not in client.get("/sitemap-authors.xml").content.decode()


def test_story_addresses_are_wagtails_own_unicode_slugs_included(client, make_story, rf, site):
    """The posts sitemap writes addresses from url_path alone: they must be what Wagtail gives."""
    from byline.stories.models import StoryPage

    make_story("Plain words")
    make_story("Café au lait, déjà vu", slug="café-déjà-vu")
    make_story("Ampersand & co", slug="ampersand-co")
    request = rf.get("/", HTTP_HOST=f"{site.hostname}:{site.port}")
    expected = sorted(story.get_full_url(request) for story in StoryPage.objects.live())
    assert sorted(locations(xml(client, "/sitemap-posts.xml"))) == expected
    assert any("caf%C3%A9-d%C3%A9j%C3%A0-vu" in url for url in expected)


def test_without_append_slash_the_addresses_lose_their_trailing_slash(client, make_story, settings):
    settings.WAGTAIL_APPEND_SLASH = False
    make_story("No slash", slug="no-slash")
    assert locations(xml(client, "/sitemap-posts.xml")) == [f"{ROOT}/no-slash"]


def test_the_urlset_writer_writes_what_djangos_sitemap_template_does(settings):
    """UrlsetXml replaces django/contrib/sitemaps/templates/sitemap.xml: the same bytes for the same
    URLs (escaping, dates in the site's time zone, optional fields, alternates)."""
    from django.template.loader import get_template

    from byline.stories.sitemaps import UrlsetXml

    settings.TIME_ZONE = "Pacific/Auckland"  # 23:30 UTC is already the next day there
    urlset = [
        {"location": "http://example.com/a/?x=1&y=<2>", "lastmod": datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
         "changefreq": "", "priority": "", "alternates": []},
        {"location": "http://example.com/b/", "lastmod": None, "changefreq": "daily", "priority": "0.5",
         "alternates": [{"lang_code": "fr", "location": "http://example.com/fr/b/"}]},
        {"location": "http://example.com/c/", "lastmod": date(2025, 1, 2)},
    ]  # fmt: skip
    django_template = get_template("sitemap.xml").render({"urlset": urlset})
    assert UrlsetXml().render({"urlset": urlset}) == django_template
    assert "<lastmod>2026-03-02</lastmod>" in django_template
