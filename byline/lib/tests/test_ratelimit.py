from unittest import mock

import pytest
from django.core.cache import cache

from byline.lib import ratelimit


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_it_allows_up_to_the_limit_then_refuses():
    results = [ratelimit.hit("test", "a@example.com", limit=3, window=3600) for _ in range(5)]
    assert results == [True, True, True, False, False]


def test_keys_and_scopes_are_counted_apart():
    for _ in range(2):
        assert ratelimit.hit("test", "one", limit=2, window=3600)
    assert not ratelimit.hit("test", "one", limit=2, window=3600)
    assert ratelimit.hit("test", "two", limit=2, window=3600)
    assert ratelimit.hit("other", "one", limit=2, window=3600)


def test_keys_are_case_insensitive():
    assert ratelimit.hit("test", "A@Example.com", limit=1, window=3600)
    assert not ratelimit.hit("test", "a@example.com", limit=1, window=3600)


def test_a_new_window_starts_a_new_count():
    with mock.patch("byline.lib.ratelimit.time.time", return_value=7200.0):
        assert ratelimit.hit("test", "k", limit=1, window=3600)
        assert not ratelimit.hit("test", "k", limit=1, window=3600)
    with mock.patch("byline.lib.ratelimit.time.time", return_value=10800.0):
        assert ratelimit.hit("test", "k", limit=1, window=3600)


def test_reset_forgets_the_count():
    assert ratelimit.hit("test", "k", limit=1, window=3600)
    ratelimit.reset("test", "k", window=3600)
    assert ratelimit.hit("test", "k", limit=1, window=3600)


def test_the_cache_key_does_not_reveal_the_address():
    assert "someone@example.com" not in ratelimit._cache_key("test", "someone@example.com", 3600)


def test_it_recovers_when_the_counter_expires_between_add_and_incr():
    with (
        mock.patch.object(ratelimit.cache, "add", side_effect=[False, True]),
        mock.patch.object(ratelimit.cache, "incr", side_effect=ValueError),
    ):
        assert ratelimit.hit("test", "k", limit=1, window=3600)


def _request(remote="203.0.113.9", forwarded=None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_ignores_forwarded_for_when_no_proxy_is_trusted(settings):
    settings.BYLINE_TRUSTED_PROXIES = 0
    assert ratelimit.client_ip(_request(forwarded="198.51.100.7")) == "203.0.113.9"


def test_client_ip_takes_the_address_the_trusted_proxy_saw(settings):
    settings.BYLINE_TRUSTED_PROXIES = 1
    # The reader forged the first entry; nginx appended the real one.
    request = _request(remote="10.0.0.2", forwarded="1.2.3.4, 198.51.100.7")
    assert ratelimit.client_ip(request) == "198.51.100.7"


def test_client_ip_counts_hops_from_the_right_behind_two_proxies(settings):
    settings.BYLINE_TRUSTED_PROXIES = 2
    request = _request(remote="10.0.0.2", forwarded="1.2.3.4, 198.51.100.7, 192.0.2.10")
    assert ratelimit.client_ip(request) == "198.51.100.7"


def test_client_ip_falls_back_when_the_header_is_short_or_malformed(settings):
    settings.BYLINE_TRUSTED_PROXIES = 2
    assert ratelimit.client_ip(_request(remote="10.0.0.2", forwarded="198.51.100.7")) == "10.0.0.2"
    assert ratelimit.client_ip(_request(remote="10.0.0.2", forwarded="evil, 192.0.2.10")) == "10.0.0.2"
    assert ratelimit.client_ip(_request(remote="10.0.0.2")) == "10.0.0.2"


def test_client_ip_normalises_ipv6(settings):
    settings.BYLINE_TRUSTED_PROXIES = 1
    request = _request(remote="10.0.0.2", forwarded="2001:DB8:0:0:0:0:0:1")
    assert ratelimit.client_ip(request) == "2001:db8::1"
