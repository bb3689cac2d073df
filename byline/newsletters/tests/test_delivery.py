"""Delivery details: temporary and permanent failures, crashes, cancelling and retrying, rendering."""

import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from byline.lib.smtp_sink import Collector, free_port, html_of, text_of
from byline.newsletters import mail, rendering, services
from byline.newsletters.models import Email, Recipient

pytestmark = pytest.mark.django_db


class PickyServer(Collector):
    """Refuses some recipients: `gone@` for good, `busy@` the first time only."""

    def __init__(self):
        super().__init__()
        self.busy_seen = 0
        self.gone = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@") and self.gone:
            return "550 5.1.1 No such mailbox here"
        if address.startswith("busy@"):
            self.busy_seen += 1
            if self.busy_seen == 1:
                return "451 4.3.2 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky_smtp(settings):
    handler = PickyServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def email(newsletter, make_story):
    story = make_story("Council votes on the new bridge", email_newsletter=newsletter)
    return Email.objects.get(story=story)


def test_a_temporary_refusal_is_retried_and_a_permanent_one_fails_with_the_reply(
    picky_smtp, subscribe, email
):
    subscribe("busy@readers.example")
    subscribe("gone@readers.example")
    subscribe("fine@readers.example")
    from byline.newsletters import tasks

    assert tasks.run(email.pk) == Email.SENT
    rows = {row.address: row for row in email.recipients.all()}
    assert rows["busy@readers.example"].state == Recipient.SENT
    assert rows["busy@readers.example"].attempts == 1
    assert rows["gone@readers.example"].state == Recipient.FAILED
    assert rows["gone@readers.example"].reply == "550 5.1.1 No such mailbox here"
    assert rows["fine@readers.example"].state == Recipient.SENT
    assert rows["fine@readers.example"].reply.startswith("250")
    assert sorted(a for m in picky_smtp.messages for a in m["to"]) == [
        "busy@readers.example",
        "fine@readers.example",
    ]


def test_retry_failed_sends_to_the_failed_recipients_only(picky_smtp, subscribe, email, settings):
    subscribe("gone@readers.example")
    subscribe("fine@readers.example")
    services.start(email)
    services.deliver(email)
    services.finish_if_done(email)
    assert services.status_of(email).failed == 1
    assert len(picky_smtp.messages) == 1

    # The mailbox exists now; retrying sends to it and to nobody else.
    picky_smtp.gone = False
    assert services.retry_failed(email) == 1
    services.deliver(email)
    services.finish_if_done(email)
    assert sorted(a for m in picky_smtp.messages for a in m["to"]) == [
        "fine@readers.example",
        "gone@readers.example",
    ]
    email.refresh_from_db()
    assert email.status == Email.SENT


def test_a_server_that_is_down_leaves_rows_pending_for_a_retry(settings, subscribe, email):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.NEWSLETTER_RETRY_SECONDS = 60
    subscribe("ana@readers.example")
    services.start(email)
    services.deliver(email)
    row = email.recipients.get()
    assert row.state == Recipient.PENDING
    assert row.attempts == 1
    assert row.retry_at > timezone.now()
    assert "Connection error" in row.reply
    assert services.finish_if_done(email) == row.retry_at


def test_the_snapshot_happens_once_however_often_it_is_started(smtp, subscribe, email):
    subscribe("ana@readers.example")
    subscribe("ben@readers.example")
    assert services.start(email) is True
    assert services.start(Email.objects.get(pk=email.pk)) is False
    assert email.recipients.count() == 2


def test_rows_of_a_crashed_worker_come_back_after_its_lease(settings, smtp, subscribe, email):
    settings.NEWSLETTER_LEASE_SECONDS = 60
    for n in range(3):
        subscribe(f"reader{n}@readers.example")
    services.start(email)
    claimed = services.claim(email, "dead-worker", 3)
    assert services.mark_in_flight(claimed[0].pk, "dead-worker")
    # The worker dies here: one row in flight, two claimed. Within the lease nothing is taken back.
    assert services.recover_stale(email.pk) == 0
    Recipient.objects.filter(email=email).update(claimed_at=timezone.now() - timedelta(seconds=61))
    assert services.recover_stale(email.pk) == 3
    services.deliver(email)
    assert len(smtp.messages) == 3
    assert list(email.recipients.filter(uncertain=True).values_list("pk", flat=True)) == [claimed[0].pk]
    assert services.status_of(email).uncertain == 1
    # The dead worker's late write changes nothing: the row is no longer its own.
    services.record(claimed[0].pk, "dead-worker", mail.Outcome(sent=False, reply="late"), "x@y.example")
    assert email.recipients.get(pk=claimed[0].pk).state == Recipient.SENT


def test_a_row_taken_back_mid_chunk_is_not_sent_and_the_session_carries_on(smtp, subscribe, email):
    # The sender says MAIL FROM before it knows the row is still its own (the server answers while the
    # ledger is written); a row taken back meanwhile is abandoned, and the same session goes on.
    for n in range(3):
        subscribe(f"reader{n}@readers.example")
    services.start(email)
    chunk = services.claim(email, "slow-worker", 3)
    Recipient.objects.filter(pk=chunk[1].pk).update(claim_token="other-worker")  # its lease ran out
    factory, address = services.factory_for(email)
    sender = services.Sender(email, factory, address, threading.Event(), token="slow-worker")
    transport = mail.new_connection()
    try:
        sender._send_chunk(chunk, transport)
    finally:
        transport.close()
    assert [m["to"] for m in smtp.messages] == [["reader0@readers.example"], ["reader2@readers.example"]]
    rows = {row.pk: row for row in email.recipients.all()}
    assert [rows[item.pk].state for item in chunk] == [Recipient.SENT, Recipient.CLAIMED, Recipient.SENT]
    assert rows[chunk[1].pk].claim_token == "other-worker"
    assert all(rows[item.pk].reply.startswith("250") for item in (chunk[0], chunk[2]))


def test_cancel_suppresses_whoever_has_not_been_sent_to(smtp, subscribe, email):
    for n in range(4):
        subscribe(f"reader{n}@readers.example")
    services.start(email)
    services.claim(email, "worker", 1)
    assert services.cancel(email) == 4
    services.deliver(email)
    assert smtp.messages == []
    email.refresh_from_db()
    assert email.status == Email.CANCELLED
    assert services.status_of(email).suppressed == 4


def test_a_name_cannot_inject_markup_or_headers(smtp, subscribe, publish, newsletter):
    subscribe("eve@readers.example", "<script>alert(1)</script>")
    publish(newsletter)
    message = smtp.messages[0]["message"]
    assert "<script>" not in html_of(message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_of(message)
    assert "Hi <script>alert(1)</script>," in text_of(message)


def test_the_email_is_email_safe(make_story, newsletter, make_image, site):
    from byline.core.models import PublicationSettings

    publication = PublicationSettings.for_site(site)
    publication.postal_address = "12 Quay Street\nPort Town"
    image = make_image("Boats at dawn", width=1600, height=900)
    body = [
        {"type": "rich_text", "value": '<p>The <a href="/about/">harbour</a> reopened.</p>'},
        {"type": "image", "value": {"image": image.pk, "alt": "Boats", "caption": "", "width": "full"}},
        {"type": "html", "value": "<p>Tide table</p><script>steal()</script><iframe src='x'></iframe>"},
    ]
    story = make_story("Harbour reopens", body=body, feature_image=image, feature_image_alt="Quay")
    rendered = rendering.render(story, newsletter, publication)
    html = rendered.html
    assert "Tide table" in html
    assert "<script" not in html and "<iframe" not in html and "steal()" not in html
    assert 'href="http://' in html and 'href="/about/"' not in html
    assert 'style="' in html  # CSS inlined
    assert "prefers-color-scheme: dark" in html
    assert 'width="560"' in html
    assert "srcset" not in html
    assert "12 Quay Street<br>Port Town" in html
    assert "Read on the site" in html and "Read on the site" in rendered.text
    assert "The harbour reopened." in rendered.text
    assert "12 Quay Street" in rendered.text
    assert rendering.placeholder(rendered.marker, "unsubscribe_url") in html


def test_an_embed_becomes_a_linked_thumbnail():
    class Embed:
        url = "https://video.example/watch/42"
        title = "Launch day"
        thumbnail_url = "https://video.example/thumb/42.jpg"

    html = rendering._embed_as_link({"url": Embed(), "caption": "The launch"})
    assert '<a href="https://video.example/watch/42">' in html
    assert 'src="https://video.example/thumb/42.jpg"' in html
    assert "The launch" in html


class RawCollector(Collector):
    """Keeps the bytes exactly as received: a DKIM signature covers them, not a re-serialised copy."""

    async def handle_DATA(self, server, session, envelope):
        self.raw = getattr(self, "raw", []) + [envelope.original_content]
        return await super().handle_DATA(server, session, envelope)


def test_dkim_signs_each_message_including_both_list_unsubscribe_headers(
    settings, tmp_path, subscribe, publish, newsletter
):
    import base64
    import subprocess

    import dkim

    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    smtp = RawCollector()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.NEWSLETTER_DKIM_KEY_FILE = str(key)
    settings.NEWSLETTER_DKIM_SELECTOR = "mail2026"
    subscribe("ana@readers.example", "Ana")
    try:
        publish(newsletter)
    finally:
        controller.stop()
    raw = smtp.raw[0]
    signature = str(smtp.messages[0]["message"]["DKIM-Signature"])
    assert "d=news.example" in signature and "s=mail2026" in signature
    signed = signature.replace(" ", "").replace("\n", "").split("h=")[1].split(";")[0].lower().split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "message-id"} <= set(signed)

    def dns(name, timeout=5):
        assert name == b"mail2026._domainkey.news.example."
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    assert dkim.verify(raw, dnsfunc=dns)
    # Changing the one-click header breaks the signature.
    tampered = raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_the_per_minute_limit_holds_back_the_rest_until_the_minute_is_over(smtp, settings, subscribe, email):
    settings.NEWSLETTER_PER_MINUTE = 2
    for n in range(5):
        subscribe(f"reader{n}@readers.example")
    services.start(email)
    services.deliver(email)
    assert len(smtp.messages) == 2
    come_back = services.finish_if_done(email)
    assert come_back > timezone.now() + timedelta(seconds=50)

    # A minute later two more may go.
    Recipient.objects.filter(state=Recipient.SENT).update(sent_at=timezone.now() - timedelta(seconds=61))
    services.deliver(email)
    assert len(smtp.messages) == 4


def test_the_per_day_limit_counts_every_send(smtp, settings, subscribe, email, newsletter, make_story):
    settings.NEWSLETTER_PER_DAY = 3
    for n in range(2):
        subscribe(f"reader{n}@readers.example")
    services.start(email)
    services.deliver(email)
    second = Email.objects.get(story=make_story("Another story", email_newsletter=newsletter))
    services.start(second)
    services.deliver(second)
    assert len(smtp.messages) == 3
    assert services.status_of(second).pending == 1
