"""Member sessions end after MEMBERS_SESSION_IDLE_DAYS idle and MEMBERS_SESSION_MAX_DAYS in all."""

import pytest
from django.test import Client

from byline.members import services
from byline.members.models import Member
from byline.members.tests.conftest import link_in, token_of

pytestmark = pytest.mark.django_db

DAY = 86400


class Clock:
    def __init__(self, start=1_800_000_000):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, days):
        self.now += days * DAY


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(services, "_clock", clock)
    return clock


@pytest.fixture
def member(db, settings):
    settings.MEMBERS_SESSION_IDLE_DAYS = 30
    settings.MEMBERS_SESSION_MAX_DAYS = 180
    return Member.objects.create(email="reader@example.com")


def signed_in_client(smtp) -> Client:
    client = Client()
    client.post(
        "/members/api/send-magic-link/",
        {"email": "reader@example.com", "emailType": "signin"},
        content_type="application/json",
    )
    assert (
        client.post("/members/", {"token": token_of(link_in(smtp.messages[-1]["message"]))}).status_code
        == 302
    )
    return client


def signed_in(client) -> bool:
    return client.get("/members/api/member/").status_code == 200


def test_a_session_survives_a_short_absence(smtp, clock, member):
    client = signed_in_client(smtp)
    clock.advance(29)
    assert signed_in(client)


def test_an_idle_session_ends(smtp, clock, member):
    client = signed_in_client(smtp)
    clock.advance(30)
    assert not signed_in(client)
    clock.advance(-30)  # and it stays ended: the member was removed from the session
    assert not signed_in(client)


def test_visits_keep_a_session_alive(smtp, clock, member):
    client = signed_in_client(smtp)
    for _ in range(5):
        clock.advance(20)
        assert signed_in(client)


def test_a_session_ends_after_the_absolute_limit_even_when_active(smtp, clock, member):
    client = signed_in_client(smtp)
    for _ in range(8):
        clock.advance(22)  # 176 days, never idle for 30
        assert signed_in(client)
    clock.advance(4)  # 180 days since signing in
    assert not signed_in(client)
    signed_in_client(smtp)  # signing in again starts a new session


def test_last_seen_is_written_at_most_hourly(smtp, clock, member):
    client = signed_in_client(smtp)
    seen = client.session[services.SESSION_SEEN_KEY]
    clock.now += 60
    assert signed_in(client)
    assert client.session[services.SESSION_SEEN_KEY] == seen
    clock.now += services.SEEN_RESOLUTION_SECONDS
    assert signed_in(client)
    assert client.session[services.SESSION_SEEN_KEY] == clock.now


def test_a_session_without_timestamps_is_refused(client, member):
    session = client.session
    session[services.SESSION_MEMBER_KEY] = member.pk
    session[services.SESSION_GENERATION_KEY] = member.session_generation
    session.save()
    assert not signed_in(client)


def test_the_session_cookie_lives_as_long_as_the_idle_limit(settings):
    assert settings.SESSION_COOKIE_AGE == settings.MEMBERS_SESSION_IDLE_DAYS * DAY
