"""The page cache from a reader's side: what is served from it, what never is, and the headers."""

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("page_cache")


@pytest.fixture
def story(make_story):
    return make_story("The harbour bridge reopens")


def test_a_second_anonymous_read_is_served_from_the_cache_without_a_query(
    client, story, django_assert_num_queries
):
    first = client.get(story.url)
    assert first.status_code == 200 and first["X-Cache"] == "MISS"
    with django_assert_num_queries(0):
        second = client.get(story.url)
    assert second["X-Cache"] == "HIT"
    assert second.content == first.content
    assert "The harbour bridge reopens" in second.content.decode()


def test_a_cached_page_keeps_the_security_headers(client, story):
    client.get(story.url)
    hit = client.get(story.url)
    assert hit["X-Cache"] == "HIT"
    assert "default-src 'self'" in hit["Content-Security-Policy"]
    assert hit["X-Frame-Options"] == "DENY"
    assert hit["Content-Type"].startswith("text/html")
    assert "Set-Cookie" not in hit


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "messages"])
def test_a_reader_with_a_session_csrf_or_messages_cookie_never_gets_or_fills_the_cache(client, story, cookie):
    client.get(story.url)  # stored for anonymous readers
    signed = Client()
    signed.cookies[cookie] = "x" * 32
    answer = signed.get(story.url)
    assert answer.status_code == 200
    assert "X-Cache" not in answer  # went through Django


def test_a_request_with_a_cookie_does_not_store_what_it_gets(story):
    signed = Client()
    signed.cookies["sessionid"] = "whatever"
    signed.get(story.url)
    assert Client().get(story.url)["X-Cache"] == "MISS"


def test_an_authorization_header_bypasses_the_cache(client, story):
    client.get(story.url)
    assert "X-Cache" not in client.get(story.url, HTTP_AUTHORIZATION="Basic eDp5")


def test_head_is_answered_from_the_cache_without_a_body(client, story):
    client.get(story.url)
    head = client.head(story.url)
    assert head.status_code == 200 and head["X-Cache"] == "HIT"
    assert head.content == b""


def test_post_is_never_cached(client, story):
    client.get(story.url)
    answer = client.post(story.url)
    assert "X-Cache" not in answer


def test_tracking_parameters_share_the_page_and_unknown_parameters_bypass_it(client, story):
    client.get(story.url)
    assert client.get(story.url + "?utm_source=social&fbclid=abc")["X-Cache"] == "HIT"
    assert "X-Cache" not in client.get(story.url + "?anything=else")


def test_a_forged_host_is_refused_and_never_keys_a_page(client, story):
    assert client.get(story.url, HTTP_HOST="evil.example").status_code == 400
    poisoned = client.get(story.url, HTTP_X_FORWARDED_HOST="evil.example")
    assert "evil.example" not in poisoned.content.decode()
    again = client.get(story.url)
    assert again["X-Cache"] == "HIT" and "evil.example" not in again.content.decode()


def test_admin_pages_and_private_prefixes_are_never_cached(client, story):
    for path in ("/admin/login/", "/account/", "/search/?q=bridge"):
        client.get(path)
        assert "X-Cache" not in client.get(path), path


def test_missing_pages_are_not_stored(client, home):
    client.get("/no-such-story/")
    answer = client.get("/no-such-story/")
    assert answer.status_code == 404 and "X-Cache" not in answer


def test_cached_pages_carry_an_etag_and_answer_304_when_unchanged(client, story, settings):
    settings.PAGECACHE_CDN_SECONDS = 120
    first = client.get(story.url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag and modified
    assert "s-maxage=120" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert client.get(story.url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(story.url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(story.url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_cache_switched_off_serves_everything_through_django(client, story, settings):
    settings.PAGECACHE_ENABLED = False
    client.get(story.url)
    assert "X-Cache" not in client.get(story.url)


def test_feeds_and_sitemaps_are_cached_too(client, story):
    for path in ("/rss/", "/sitemap.xml", "/"):
        assert client.get(path).status_code == 200
        assert client.get(path)["X-Cache"] == "HIT", path
