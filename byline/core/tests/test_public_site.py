"""The publication around every page: its settings in the header and footer, robots.txt, the
accent-colour stylesheet and the error pages."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from byline.core.models import PublicationSettings


@pytest.fixture
def publication(site) -> PublicationSettings:
    settings, _ = PublicationSettings.objects.update_or_create(
        site=site,
        defaults={
            "name": "The Harbour Gazette",
            "description": "News from the quay",
            "accent_colour": "#1a73e8",
            "x_handle": "@harbour",
            "footer_text": "Independent since 1898",
            "navigation": [{"type": "link", "value": {"label": "About us", "url": "/about/"}}],
        },
    )
    return settings


def test_header_and_footer_show_the_publication(client, publication):
    soup = BeautifulSoup(client.get("/").content, "lxml")
    assert soup.select_one(".site-brand").get_text(strip=True) == "The Harbour Gazette"
    nav = soup.select(".site-nav a")
    assert [(a.get_text(), a["href"]) for a in nav] == [("About us", "/about/")]
    footer = soup.select_one(".site-footer")
    assert "Independent since 1898" in footer.get_text()
    assert footer.find("a", href="https://x.com/harbour")
    assert footer.find("a", href="/rss/")


def test_every_page_links_its_feed(client, publication):
    soup = BeautifulSoup(client.get("/").content, "lxml")
    link = soup.find("link", type="application/rss+xml")
    assert link["href"] == "/rss/"
    assert link["title"] == "The Harbour Gazette"


def test_404_page_has_the_publications_header(client, publication):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    soup = BeautifulSoup(response.content, "lxml")
    assert soup.title.get_text() == "Page not found — The Harbour Gazette"
    assert soup.select_one(".site-brand").get_text(strip=True) == "The Harbour Gazette"


def test_robots_txt_keeps_crawlers_out_of_private_areas(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    for path in ["/admin/", "/ghost/", "/account/", "/members/"]:
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "max-age=3600" in response["Cache-Control"]


def test_publication_css_sets_the_accent_colour(client, publication):
    response = client.get("/assets/publication.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response.content.decode() == ":root { --accent: #1a73e8; }\n"


def test_publication_css_ignores_a_malformed_colour(client, publication):
    # Settings can be written without form validation (imports, the shell): never echo CSS.
    PublicationSettings.objects.filter(pk=publication.pk).update(
        accent_colour="red;}x{"
    )  # 7 characters: fits the column
    css = client.get("/assets/publication.css").content.decode()
    assert css == ":root { --accent: #c2410c; }\n"


def test_site_endpoints_refuse_post(client, db):
    assert client.post("/robots.txt").status_code == 405
    assert client.post("/assets/publication.css").status_code == 405


def test_publication_settings_are_loaded_once_per_page(client, publication):
    client.get("/")  # warm Wagtail's site cache
    with CaptureQueriesContext(connection) as context:
        client.get("/")
    settings_queries = [q for q in context.captured_queries if "core_publicationsettings" in q["sql"]]
    # Read once, then kept in Django's cache until they change (CachedSiteSettingMixin).
    assert len(settings_queries) == 0
