"""Publishing a story with a newsletter chosen sends it to every subscriber once, over real SMTP."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from byline.lib.smtp_sink import html_of, text_of
from byline.members.models import Member
from byline.members.services import read_unsubscribe_token
from byline.newsletters import services
from byline.newsletters.models import Email, Newsletter, Recipient
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db


def received_by(smtp):
    return sorted(address for item in smtp.messages for address in item["to"])


def test_every_subscriber_gets_exactly_one_message(smtp, newsletter, subscribe, publish):
    ana = subscribe("ana@readers.example", "Ana Lima")
    subscribe("ben@readers.example")
    other = Newsletter.objects.create(name="Sports Desk")
    subscribe("cy@readers.example", to=other)
    subscribe("dee@readers.example", email_disabled=True)
    Member.objects.create(email="nolist@readers.example")

    story = publish(newsletter)

    assert received_by(smtp) == ["ana@readers.example", "ben@readers.example"]
    email = Email.objects.get(story=story)
    assert email.status == Email.SENT
    assert email.recipient_count == 2
    assert set(email.recipients.values_list("state", flat=True)) == {Recipient.SENT}
    ana_message = next(m["message"] for m in smtp.messages if m["to"] == [ana.email])
    assert "Hi Ana," in text_of(ana_message)
    assert "Hi Ana," in html_of(ana_message)
    ben_message = next(m["message"] for m in smtp.messages if m["to"] == ["ben@readers.example"])
    assert "Hi there," in text_of(ben_message)


def test_the_message_carries_every_header_a_bulk_email_needs(smtp, newsletter, subscribe, publish):
    ana = subscribe("ana@readers.example", "Ana Lima")
    ben = subscribe("ben@readers.example")
    story = publish(newsletter, email_subject="Ledger: the harbour reopens")
    messages = {item["to"][0]: item["message"] for item in smtp.messages}
    message = messages[ana.email]

    assert message["From"] == "Ledger Desk <desk@news.example>"
    assert message["To"] == "Ana Lima <ana@readers.example>"
    assert message["Reply-To"] == "letters@news.example"
    assert message["Subject"] == "Ledger: the harbour reopens"
    assert message["Precedence"] == "bulk"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "The Weekly Ledger <the-weekly-ledger.news.example>"
    email = Email.objects.get(story=story)
    assert message["Message-ID"] == f"<{email.uuid.hex}.{ana.uuid.hex}@news.example>"
    assert messages[ben.email]["Message-ID"] != message["Message-ID"]

    url, mailto = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert mailto.startswith("mailto:letters@news.example?subject=")
    assert url.startswith("http") and "/unsubscribe/" in url
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (ana, newsletter)
    # The footer's link is the same personal link, in both parts.
    assert url in text_of(message)
    assert url in html_of(message)
    ben_url = re.findall(r"<([^>]+)>", str(messages[ben.email]["List-Unsubscribe"]))[0]
    assert read_unsubscribe_token(ben_url.rstrip("/").rsplit("/", 1)[1]) == (ben, newsletter)


def test_a_second_publish_does_not_send_again(
    smtp, newsletter, subscribe, publish, django_capture_on_commit_callbacks
):
    subscribe("ana@readers.example")
    story = publish(newsletter)
    assert len(smtp.messages) == 1

    story.title = "A harbour reopens after the storm (updated)"
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()
        story.save_revision().publish()
    assert len(smtp.messages) == 1
    assert Email.objects.filter(story=story).count() == 1


def test_a_story_without_a_newsletter_sends_nothing(smtp, newsletter, subscribe, publish):
    subscribe("ana@readers.example")
    publish(None)
    assert smtp.messages == []
    assert not Email.objects.exists()


def test_an_archived_newsletter_sends_nothing(smtp, newsletter, subscribe, publish):
    subscribe("ana@readers.example")
    newsletter.status = Newsletter.ARCHIVED
    newsletter.save()
    publish(newsletter)
    assert smtp.messages == []


def test_a_scheduled_story_is_emailed_when_it_goes_live(
    smtp, newsletter, subscribe, make_story, django_capture_on_commit_callbacks
):
    subscribe("ana@readers.example")
    story = make_story("Tomorrow's tide tables", live=False, email_newsletter=newsletter)
    story.go_live_at = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()
    assert not StoryPage.objects.get(pk=story.pk).live
    assert smtp.messages == []
    assert not Email.objects.exists()

    real_now = timezone.now
    later = mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + timedelta(minutes=61))
    with later, django_capture_on_commit_callbacks(execute=True):
        call_command("publish_scheduled")
    assert StoryPage.objects.get(pk=story.pk).live
    assert received_by(smtp) == ["ana@readers.example"]


def test_an_email_only_story_is_sent_but_not_on_the_site(smtp, newsletter, subscribe, publish, client):
    subscribe("ana@readers.example")
    story = publish(newsletter, title="Only for our subscribers", email_only=True)
    assert received_by(smtp) == ["ana@readers.example"]
    assert client.get(story.url).status_code == 404
    assert story not in StoryPage.objects.published()
    assert "Only for our subscribers" not in client.get("/").content.decode()


def test_members_who_join_after_the_snapshot_are_not_included(smtp, newsletter, subscribe, make_story):
    subscribe("ana@readers.example")
    story = make_story(email_newsletter=newsletter)  # on-commit callbacks not run: the send waits
    email = Email.objects.get(story=story)
    assert services.start(email)
    subscribe("late@readers.example")
    services.deliver(email)
    assert received_by(smtp) == ["ana@readers.example"]


def test_one_click_unsubscribe_suppresses_the_member_before_the_next_chunk(
    smtp, settings, newsletter, subscribe, publish, make_story, monkeypatch
):
    settings.NEWSLETTER_CHUNK_SIZE = 1
    subscribe("ana@readers.example")
    ben = subscribe("ben@readers.example")
    publish(newsletter, title="First story")
    header = next(m["message"] for m in smtp.messages if m["to"] == [ben.email])["List-Unsubscribe"]
    one_click = re.findall(r"<(http[^>]+)>", str(header))[0]
    smtp.messages.clear()

    story = make_story("Second story", email_newsletter=newsletter)
    email = Email.objects.get(story=story)
    services.start(email)
    real_claim = services.claim
    calls = []

    def claim_after_the_first_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # between the first chunk (ana) and the next one, ben clicks in his mail app
            response = Client(enforce_csrf_checks=True).post(
                one_click.replace("http://127.0.0.1:8000", ""), {"List-Unsubscribe": "One-Click"}
            )
            assert response.status_code == 200
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(services, "claim", claim_after_the_first_chunk)
    services.deliver(email)
    assert received_by(smtp) == ["ana@readers.example"]
    row = email.recipients.get(member=ben)
    assert row.state == Recipient.SUPPRESSED
    assert "Unsubscribed" in row.reply


def test_a_member_deleted_or_bounced_after_the_snapshot_is_suppressed(
    smtp, newsletter, subscribe, make_story
):
    subscribe("ana@readers.example")
    ben = subscribe("ben@readers.example")
    cy = subscribe("cy@readers.example")
    email = Email.objects.get(story=make_story(email_newsletter=newsletter))
    services.start(email)
    ben.delete()
    Member.objects.filter(pk=cy.pk).update(email_disabled=True)
    services.deliver(email)
    assert received_by(smtp) == ["ana@readers.example"]
    assert email.recipients.filter(state=Recipient.SUPPRESSED).count() == 2
    assert services.status_of(email).suppressed == 2
