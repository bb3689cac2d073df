"""Helpers for the members' tests (the real SMTP server fixture `smtp` is in the root conftest)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from byline.lib.smtp_sink import html_of, text_of


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


LINK = re.compile(r"https?://[^\s\"'<>]+/members/\?token=[A-Za-z0-9_\-%]+")


def link_in(message) -> str:
    """The path and query of the magic link in a received message (the test client has no host)."""
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    assert found.group(0) in html_of(message).replace("&amp;", "&")
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


def token_of(path: str) -> str:
    return path.split("token=", 1)[1]


def sign_in_client(client, member):
    """Sign a test client in as `member`, as services.sign_in would after a redeemed link."""
    from byline.members import services

    session = client.session
    session[services.SESSION_MEMBER_KEY] = member.pk
    session[services.SESSION_GENERATION_KEY] = member.session_generation
    now = int(services._clock())
    session[services.SESSION_SIGNED_IN_KEY] = session[services.SESSION_SEEN_KEY] = now
    session.save()
    return client
