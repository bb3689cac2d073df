"""Search and social metadata in every page's head: title, description, canonical link, OpenGraph,
X card, and schema.org JSON-LD (NewsArticle on stories, WebSite on the home page)."""

import json
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from byline.core.models import PublicationSettings
from byline.stories.models import StandalonePage
from conftest import paragraph_body

ROOT = "http://127.0.0.1:8000"  # the test site's address (BYLINE_URL)


class Head:
    """The parts of a page's <head> that search engines and social networks read."""

    def __init__(self, response):
        assert response.status_code == 200
        self.html = response.content.decode()
        self.soup = BeautifulSoup(self.html, "lxml")

    @property
    def title(self) -> str:
        return self.soup.title.get_text()

    def meta(self, key: str) -> str | None:
        tag = self.soup.find("meta", attrs={"property": key}) or self.soup.find("meta", attrs={"name": key})
        return tag.get("content") if tag else None

    @property
    def canonical(self) -> str | None:
        link = self.soup.find("link", rel="canonical")
        return link.get("href") if link else None

    def jsonld(self) -> list[dict]:
        scripts = self.soup.find_all("script", type="application/ld+json")
        return [json.loads(script.string) for script in scripts]


@pytest.fixture
def publication(site) -> PublicationSettings:
    settings, _ = PublicationSettings.objects.update_or_create(
        site=site, defaults={"name": "The Harbour Gazette", "description": "News from the quay"}
    )
    return settings


@pytest.fixture
def pages(publication, home, make_story, make_author, make_tag, make_image):
    author = make_author("Ada Lovelace", bio="Covers the harbour.", website="https://ada.example")
    tag = make_tag("Local", description="Stories from the quay.")
    story = make_story(
        "Boats return",
        authors=[author],
        tags=[tag],
        feature_image=make_image(),
        body=paragraph_body("The boats are back in the harbour."),
    )
    about = StandalonePage(title="About", body=paragraph_body("We are a newsroom."))
    home.add_child(instance=about)
    about.save_revision().publish()
    return {
        "home": "/",
        "story": story.url,
        "tag": "/tag/local/",
        "author": "/author/ada-lovelace/",
        "about": about.url,
    }


@pytest.mark.parametrize("kind", ["home", "story", "tag", "author", "about"])
def test_every_page_type_has_the_metadata_search_and_social_need(client, pages, kind):
    url = pages[kind]
    head = Head(client.get(url))
    assert head.title.strip()
    assert head.meta("description")
    assert head.canonical == f"{ROOT}{url}"
    assert head.meta("og:title")
    assert head.meta("og:description")
    assert head.meta("og:url") == f"{ROOT}{url}"
    assert head.meta("og:type") == {"story": "article", "author": "profile"}.get(kind, "website")
    assert head.meta("og:site_name") == "The Harbour Gazette"
    assert head.meta("twitter:card") in ("summary", "summary_large_image")


def test_author_without_a_bio_still_has_a_social_description(client, publication, make_story, make_author):
    make_story(authors=[make_author("Grace Hopper")])
    head = Head(client.get("/author/grace-hopper/"))
    assert head.meta("description") == "Grace Hopper"
    assert head.meta("og:description") == "Grace Hopper"
    assert head.meta("twitter:description") == "Grace Hopper"


def test_story_page_metadata_defaults(client, pages):
    head = Head(client.get(pages["story"]))
    assert head.title == "Boats return — The Harbour Gazette"
    assert head.meta("description") == "The boats are back in the harbour."
    assert head.meta("og:title") == "Boats return"
    assert head.meta("twitter:card") == "summary_large_image"
    assert head.meta("og:image").startswith(f"{ROOT}/media/")
    assert head.meta("twitter:image").startswith(f"{ROOT}/media/")
    assert head.meta("article:tag") == "Local"


def test_story_carries_a_news_article(client, pages, publication, make_image):
    publication.logo = make_image("Logo", width=400, height=100)
    publication.save()
    head = Head(client.get(pages["story"]))
    (article,) = head.jsonld()
    url = f"{ROOT}{pages['story']}"
    assert article["@context"] == "https://schema.org"
    assert article["@type"] == "NewsArticle"
    assert article["headline"] == "Boats return"
    assert article["url"] == url
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert article["image"].startswith(f"{ROOT}/media/")
    assert article["description"] == "The boats are back in the harbour."
    published = datetime.fromisoformat(article["datePublished"])
    modified = datetime.fromisoformat(article["dateModified"])
    assert published.tzinfo is not None and modified >= published
    assert article["author"] == [
        {
            "@type": "Person",
            "name": "Ada Lovelace",
            "url": f"{ROOT}/author/ada-lovelace/",
            "sameAs": ["https://ada.example"],
        }
    ]
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization"
    assert publisher["name"] == "The Harbour Gazette"
    assert publisher["logo"]["@type"] == "ImageObject"
    assert publisher["logo"]["url"].startswith(f"{ROOT}/media/")
    assert article["keywords"] == "Local"


def test_publisher_has_no_logo_when_the_site_has_none(client, pages):
    (article,) = Head(client.get(pages["story"])).jsonld()
    assert "logo" not in article["publisher"]


def test_every_author_is_a_person_in_order(client, publication, make_story, make_author):
    story = make_story(authors=[make_author("Ada Lovelace"), make_author("Grace Hopper")])
    (article,) = Head(client.get(story.url)).jsonld()
    assert [(a["@type"], a["name"]) for a in article["author"]] == [
        ("Person", "Ada Lovelace"),
        ("Person", "Grace Hopper"),
    ]


def test_home_carries_a_website(client, pages):
    (website,) = Head(client.get("/")).jsonld()
    assert website["@type"] == "WebSite"
    assert website["name"] == "The Harbour Gazette"
    assert website["url"] == f"{ROOT}/"
    assert website["description"] == "News from the quay"


def test_seo_overrides_win(client, publication, make_story):
    story = make_story(
        "Boats return",
        seo_title="Boats return to the harbour after ten years",
        search_description="The fleet is back.",
        og_title="The boats are back!",
        og_description="Ten years later.",
        twitter_title="Boats: back",
        canonical_url="https://partner.example/boats",
    )
    head = Head(client.get(story.url))
    assert head.title == "Boats return to the harbour after ten years — The Harbour Gazette"
    assert head.meta("description") == "The fleet is back."
    assert head.meta("og:title") == "The boats are back!"
    assert head.meta("og:description") == "Ten years later."
    assert head.meta("twitter:title") == "Boats: back"
    assert head.canonical == "https://partner.example/boats"
    # One address for the story everywhere: social networks and search engines agree.
    assert head.meta("og:url") == "https://partner.example/boats"
    (article,) = head.jsonld()
    assert article["description"] == "The fleet is back."
    assert article["mainEntityOfPage"]["@id"] == "https://partner.example/boats"


def test_search_description_is_the_social_description_when_there_is_no_og_one(
    client, publication, make_story
):
    story = make_story("Boats", search_description="The fleet is back.")
    head = Head(client.get(story.url))
    assert head.meta("og:description") == "The fleet is back."
    assert head.meta("twitter:description") == "The fleet is back."


def test_a_title_cannot_break_out_of_the_json_ld(client, publication, make_story):
    title = 'Breaking </script><script>alert("x")</script> & <!-- news'
    story = make_story(title, slug="breaking", body=paragraph_body("Text."))
    head = Head(client.get(story.url))
    (article,) = head.jsonld()
    assert article["headline"] == title
    assert '<script>alert("x")' not in head.html
    # Scripts from files (theme, comments, search) are fine; the only inline one is the JSON-LD.
    inline = [script for script in head.soup.find_all("script") if not script.get("src")]
    assert [script.get("type") for script in inline] == ["application/ld+json"]


def test_a_title_with_markup_is_escaped_in_meta_tags(client, publication, make_story):
    story = make_story('Quotes " and <tags>', slug="quotes", body=paragraph_body("Text."))
    head = Head(client.get(story.url))
    assert head.meta("og:title") == 'Quotes " and <tags>'
    assert "<tags>" not in head.html
