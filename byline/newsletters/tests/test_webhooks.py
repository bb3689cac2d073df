"""Bounce and complaint webhooks from providers (anymail) switch off a member's email, once."""

import base64
import json

import pytest

from byline.members.models import Member
from byline.newsletters.models import DeliveryEvent

pytestmark = pytest.mark.django_db

URL = "/webhooks/email/postmark/tracking/"


def bounce(email="ana@readers.example", kind="HardBounce", event_id=4323372036854775807, record="Bounce"):
    return {
        "RecordType": record, "Type": kind, "ID": event_id, "Email": email,
        "BouncedAt": "2026-11-27T03:00:00Z", "Description": "The mailbox does not exist.",
        "Details": "smtp;550 5.1.1 unknown user", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    }  # fmt: skip


def post(client, payload, secret="hook:s3cret-value"):  # noqa: S107
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        URL, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )


@pytest.fixture
def configured(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret-value"}


def test_a_hard_bounce_disables_the_members_email_once(client, configured):
    member = Member.objects.create(email="ana@readers.example")
    assert post(client, bounce()).status_code == 200
    assert post(client, bounce()).status_code == 200
    member.refresh_from_db()
    assert member.email_disabled
    assert DeliveryEvent.objects.count() == 1
    event = DeliveryEvent.objects.get()
    assert (event.provider, event.event_type, event.recipient) == ("Postmark", "bounced", member.email)


def test_a_complaint_disables_the_members_email(client, configured):
    member = Member.objects.create(email="ben@readers.example")
    payload = bounce("Ben@Readers.example", kind="SpamComplaint", record="SpamComplaint", event_id=42)
    assert post(client, payload).status_code == 200
    member.refresh_from_db()
    assert member.email_disabled


def test_a_temporary_bounce_changes_nothing(client, configured):
    member = Member.objects.create(email="ana@readers.example")
    assert post(client, bounce(kind="Transient")).status_code == 200
    member.refresh_from_db()
    assert not member.email_disabled
    assert not DeliveryEvent.objects.exists()


def test_a_wrong_secret_is_refused(client, configured):
    member = Member.objects.create(email="ana@readers.example")
    assert post(client, bounce(), secret="hook:guess").status_code == 400
    member.refresh_from_db()
    assert not member.email_disabled


def test_without_a_secret_the_webhooks_are_off(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    member = Member.objects.create(email="ana@readers.example")
    assert post(client, bounce()).status_code == 404
    member.refresh_from_db()
    assert not member.email_disabled
