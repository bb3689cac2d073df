"""Every public URL answers with the right status; bad ones get the theme's 404 page, never a 500."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import Client, RequestFactory

from byline.stories.models import StandalonePage, StoryAuthor
from conftest import paragraph_body

NOT_FOUND_TEXT = "The page you asked for isn’t here."
SERVER_ERROR_TEXT = "We couldn’t show this page just now."


def card_titles(response) -> list[str]:
    soup = BeautifulSoup(response.content, "lxml")
    return [title.get_text(strip=True) for title in soup.select("article.card .card__title")]


def assert_not_found(response):
    assert response.status_code == 404
    assert NOT_FOUND_TEXT in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def about(home) -> StandalonePage:
    page = StandalonePage(title="About", body=paragraph_body("We are a newsroom."))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def archive(make_stories, make_author, make_tag):
    """Sixteen stories by one author under one tag: two pages of every listing."""
    author = make_author("Ada Lovelace")
    tag = make_tag("Local")
    return {"author": author, "tag": tag, "stories": make_stories(16, authors=[author], tags=[tag])}


def test_every_public_url_answers(client, archive, about):
    story = archive["stories"][0]
    expected = {
        "/": 200,
        "/page/2/": 200,
        "/tag/local/": 200,
        "/tag/local/page/2/": 200,
        "/author/ada-lovelace/": 200,
        "/author/ada-lovelace/page/2/": 200,
        story.url: 200,
        about.url: 200,
        "/rss/": 200,
        "/tag/local/rss/": 200,
        "/author/ada-lovelace/rss/": 200,
        "/sitemap.xml": 200,
        "/sitemap-posts.xml": 200,
        "/sitemap-pages.xml": 200,
        "/sitemap-tags.xml": 200,
        "/sitemap-authors.xml": 200,
        "/sitemap-news.xml": 200,
        "/robots.txt": 200,
        "/assets/publication.css": 200,
    }
    answers = {url: client.get(url).status_code for url in expected}
    assert answers == expected


def test_content_types_of_the_machine_readable_urls(client, make_story):
    make_story()
    assert client.get("/rss/")["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert client.get("/sitemap.xml")["Content-Type"].startswith("application/xml")
    assert client.get("/sitemap-news.xml")["Content-Type"].startswith("application/xml")
    assert client.get("/robots.txt")["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get("/assets/publication.css")["Content-Type"] == "text/css; charset=utf-8"


def test_ghost_admin_address_redirects_to_ours(client):
    response = client.get("/ghost/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_redirects_readers_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_page_one_redirects_to_the_listing_itself(client, make_story, make_author, make_tag):
    make_story(authors=[make_author("Ada Lovelace")], tags=[make_tag("Local")])
    for listing in ["/", "/tag/local/", "/author/ada-lovelace/"]:
        response = client.get(f"{listing}page/1/")
        assert response.status_code == 301, listing
        assert response["Location"] == listing


# ----- bad addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/no-such-story/",
        "/tag/no-such-tag/",
        "/tag/no-such-tag/rss/",
        "/author/no-such-author/",
        "/author/no-such-author/rss/",
        "/page/0/",
        "/page/abc/",
        "/page/-1/",
        "/page/9999/",
        "/page/99999999999999999999999999/",
        "/sitemap-nope.xml",
        "/rss/page/2/",
        "/" + "a" * 3000 + "/",
        "/%E2%98%83/",
        "/%ff%fe%00/",
        "/caf%C3%A9/tag/",
        "/..%2f..%2fetc%2fpasswd",
        "/tag/%3Cscript%3E/",
    ],
)
def test_bad_addresses_get_the_theme_404_page(client, url):
    assert_not_found(client.get(url))


def test_a_tag_past_its_last_page_or_at_page_zero_is_404(client, make_story, make_tag):
    make_story(tags=[make_tag("Local")])
    assert_not_found(client.get("/tag/local/page/0/"))
    assert_not_found(client.get("/tag/local/page/2/"))
    assert_not_found(client.get("/author/no-one/page/2/"))


def test_page_past_the_end_is_404(client, make_story):
    make_story()
    assert_not_found(client.get("/page/2/"))


def test_internal_tag_has_no_page_and_no_feed(client, make_story, make_tag):
    make_story(tags=[make_tag("#newsletter")])
    assert_not_found(client.get("/tag/hash-newsletter/"))
    assert_not_found(client.get("/tag/hash-newsletter/rss/"))


def test_draft_story_is_404(client, make_story):
    draft = make_story("Not ready yet", live=False)
    assert_not_found(client.get(f"/{draft.slug}/"))


def test_the_404_page_keeps_search_engines_away(client):
    response = client.get("/no-such-story/")
    assert '<meta name="robots" content="noindex">' in response.content.decode()


# ----- the 500 page -------------------------------------------------------------------------------


@pytest.mark.urls("byline.stories.tests.urls_failing")
def test_a_failing_page_gets_the_500_page_and_leaks_nothing(db):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert SERVER_ERROR_TEXT in html
    for leak in ["Traceback", "RuntimeError", "hunter2", "SECRET_KEY", settings.SECRET_KEY, "DEBUG"]:
        assert leak not in html


# ----- the home page ------------------------------------------------------------------------------


def test_home_lists_fifteen_stories_newest_first(client, make_stories):
    stories = make_stories(17)
    first = card_titles(client.get("/"))
    second = card_titles(client.get("/page/2/"))
    assert first == [story.title for story in stories[:15]]
    assert second == [story.title for story in stories[15:]]


def test_home_leads_with_the_featured_story(client, make_story):
    for n in range(3):
        make_story(f"Story {n}")
    make_story("The big one", featured=True)
    soup = BeautifulSoup(client.get("/").content, "lxml")
    assert soup.select_one(".featured .card__title").get_text(strip=True) == "The big one"
    assert card_titles(client.get("/")) == ["The big one", "Story 0", "Story 1", "Story 2"]


def test_no_story_shows_on_two_home_pages_when_one_is_featured(client, make_stories, make_story):
    stories = make_stories(19) + [make_story("Featured, older than page 1", featured=True)]
    shown = card_titles(client.get("/")) + card_titles(client.get("/page/2/"))
    assert sorted(shown) == sorted(story.title for story in stories)


def test_home_never_lists_drafts(client, make_story):
    make_story("Published one")
    make_story("Draft one", live=False)
    assert card_titles(client.get("/")) == ["Published one"]


def test_internal_tags_are_never_shown(client, make_story, make_tag):
    story = make_story("Tagged", tags=[make_tag("#from-the-wire"), make_tag("Local")])
    for url in ["/", story.url, "/tag/local/"]:
        html = client.get(url).content.decode()
        assert "from-the-wire" not in html, url
    soup = BeautifulSoup(client.get("/").content, "lxml")
    assert soup.select_one(".card__tag").get_text(strip=True) == "Local"


def test_members_only_stories_are_listed_with_the_others(client, make_story):
    """Listings show every live story; what members-only hides is the story's feed entry."""
    make_story("For members", visibility="members")
    assert card_titles(client.get("/")) == ["For members"]


def test_tag_and_author_pages_list_only_their_stories(client, make_story, make_author, make_tag):
    ada, bob = make_author("Ada Lovelace"), make_author("Bob Woodward")
    local, world = make_tag("Local"), make_tag("World")
    make_story("Ada local", authors=[ada], tags=[local])
    make_story("Bob world", authors=[bob], tags=[world])
    make_story("Both", authors=[bob, ada], tags=[world, local])
    assert card_titles(client.get("/tag/local/")) == ["Ada local", "Both"]
    assert card_titles(client.get("/author/bob-woodward/")) == ["Bob world", "Both"]


# ----- previews -----------------------------------------------------------------------------------


def test_a_preview_shows_the_authors_being_edited(make_story, make_author, site, admin_user):
    """The story page loads its authors in one query, but not over a preview's unsaved ones."""
    story = make_story("Draft changes", authors=[make_author("Ada Lovelace")])
    story.story_authors = [StoryAuthor(author=make_author("Grace Hopper"))]
    request = RequestFactory().get(story.url, HTTP_HOST=f"{site.hostname}:{site.port}")
    request.user = admin_user
    response = story.serve_preview(request, "")
    html = response.render().content.decode() if hasattr(response, "render") else response.content
    assert "Grace Hopper" in html
    assert "Ada Lovelace" not in html
