"""Helpers for the comments tests: members, signed-in clients, comments."""

import pytest
from django.core.cache import cache
from django.test import Client

from byline.comments.models import Comment, CommentSettings
from byline.members.models import Member
from byline.members.tests.conftest import sign_in_client


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, member: Member) -> Client:
    return sign_in_client(client, member)


@pytest.fixture
def make_member(db):
    counter = {"n": 0}

    def make(name=None, email=None):
        counter["n"] += 1
        return Member.objects.create(
            email=email or f"member{counter['n']}@example.com", name=name or f"Reader Number{counter['n']}"
        )

    return make


@pytest.fixture
def member_client(make_member):
    """`member_client(member=None)`: a test client signed in as a (new) member; `.member` is who."""

    def make(member=None):
        member = member or make_member()
        client = sign_in(Client(enforce_csrf_checks=False), member)
        client.member = member
        return client

    return make


@pytest.fixture
def comment_settings(site):
    return CommentSettings.for_site(site)


@pytest.fixture
def story(make_story):
    return make_story("The ferry timetable changes")


@pytest.fixture
def make_comment(story, make_member):
    def make(text="A thought about the ferry.", *, member=None, on=None, parent=None, **fields):
        return Comment.objects.create(
            story=on or story,
            member=member or make_member(),
            parent=parent,
            in_reply_to=parent,
            html=f"<p>{text}</p>",
            **fields,
        )

    return make
