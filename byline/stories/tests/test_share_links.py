"""The "Share this post" menu: one plain link per network, each carrying the story's title and
address safely encoded, shown above and below the story."""

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from byline.stories.share import share_links
from conftest import paragraph_body

URL = "https://news.example.org/fish-chips/?from=feed&lang=en#top"
TITLE = "Fish & chips #1: \"quoted\" 'single' 100% 🐟 now"

EXPECTED_TARGETS = {
    "x": ("https", "x.com", "/intent/post"),
    "facebook": ("https", "www.facebook.com", "/sharer/sharer.php"),
    "linkedin": ("https", "www.linkedin.com", "/sharing/share-offsite/"),
    "bluesky": ("https", "bsky.app", "/intent/compose"),
    "threads": ("https", "www.threads.net", "/intent/post"),
    "whatsapp": ("https", "wa.me", "/"),
    "email": ("mailto", "", ""),
}


def by_network(links) -> dict[str, str]:
    return {link["network"]: link["href"] for link in links}


def query(href: str) -> dict[str, str]:
    values = parse_qs(urlsplit(href).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in values.values()), href
    return {key: value[0] for key, value in values.items()}


def test_one_link_per_network_in_menu_order():
    links = share_links(URL, TITLE)
    assert [link["network"] for link in links] == list(EXPECTED_TARGETS)
    assert all(link["label"] for link in links)


@pytest.mark.parametrize("network", list(EXPECTED_TARGETS))
def test_each_link_goes_to_its_network(network):
    parts = urlsplit(by_network(share_links(URL, TITLE))[network])
    assert (parts.scheme, parts.netloc, parts.path) == EXPECTED_TARGETS[network]
    assert parts.fragment == ""  # the story URL's own "#top" is encoded, not a fragment here


def test_links_carry_the_exact_title_and_address():
    links = by_network(share_links(URL, TITLE))
    assert query(links["x"]) == {"text": TITLE, "url": URL}
    assert query(links["facebook"]) == {"u": URL}
    assert query(links["linkedin"]) == {"url": URL}
    for network in ["bluesky", "threads", "whatsapp"]:
        assert query(links[network]) == {"text": f"{TITLE} {URL}"}
    assert query(links["email"]) == {"subject": TITLE, "body": URL}


def test_special_characters_are_percent_encoded_and_spaces_are_percent_20():
    for href in by_network(share_links(URL, TITLE)).values():
        query_string = urlsplit(href).query
        assert "+" not in query_string  # mailto: and some apps show "+" literally
        assert " " not in href and '"' not in href and "'" not in href and "#" not in href
        assert "🐟" not in href
    x = by_network(share_links(URL, TITLE))["x"]
    assert x == (
        "https://x.com/intent/post?text=Fish%20%26%20chips%20%231%3A%20%22quoted%22%20%27single%27"
        "%20100%25%20%F0%9F%90%9F%20now"
        "&url=https%3A%2F%2Fnews.example.org%2Ffish-chips%2F%3Ffrom%3Dfeed%26lang%3Den%23top"
    )


def test_email_link_is_a_plain_mailto():
    email = by_network(share_links(URL, "Hello world"))["email"]
    assert email == (
        "mailto:?subject=Hello%20world&body=https%3A%2F%2Fnews.example.org%2Ffish-chips%2F%3Ffrom"
        "%3Dfeed%26lang%3Den%23top"
    )


def test_story_page_has_two_share_menus_with_the_links(client, make_story):
    story = make_story(TITLE, slug="fish-chips", body=paragraph_body("Text."))
    response = client.get(story.url)
    html = response.content.decode()
    soup = BeautifulSoup(html, "lxml")
    menus = soup.select("[data-share]")
    assert len(menus) == 2
    expected = share_links(f"http://127.0.0.1:8000{story.url}", TITLE)
    for menu in menus:
        assert menu.find(string=lambda text: text and "Share this post" in text)
        links = menu.select("a.share__link")
        assert [a["href"] for a in links] == [link["href"] for link in expected]
        assert all(a["rel"] == ["noopener", "noreferrer"] for a in links)
    # In the markup the "&" between query parameters is written as "&amp;".
    assert "?text=Fish%20%26%20chips" in html
    assert "&amp;url=http%3A%2F%2F127.0.0.1%3A8000%2Ffish-chips%2F" in html
    assert "&url=" not in html
    # The menus' panels have distinct ids for their toggles.
    panel_ids = [menu.select_one(".share__panel")["id"] for menu in menus]
    assert len(set(panel_ids)) == 2
