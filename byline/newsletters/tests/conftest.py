"""Helpers for the newsletter tests: a newsletter, its subscribers, and publishing with callbacks run."""

import pytest

from byline.members.models import Member
from byline.newsletters.models import Newsletter


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.NEWSLETTER_RETRY_SECONDS = 0
    settings.NEWSLETTER_CONNECTIONS = 1


@pytest.fixture
def newsletter(db):
    return Newsletter.objects.create(
        name="The Weekly Ledger", sender_name="Ledger Desk", sender_email="desk@news.example",
        reply_to="letters@news.example",
    )  # fmt: skip


@pytest.fixture
def subscribe(newsletter):
    def make(email, name="", *, to=None, **fields):
        member = Member.objects.create(email=email, name=name, **fields)
        member.newsletters.add(to or newsletter)
        return member

    return make


@pytest.fixture
def publish(make_story, django_capture_on_commit_callbacks):
    """Publish a story emailed to a newsletter, running what is queued on commit (the send)."""

    def run(newsletter, title="A harbour reopens after the storm", **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return make_story(title, email_newsletter=newsletter, **fields)

    return run
