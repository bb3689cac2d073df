"""Sending through an email provider's batch API (django-anymail's Mailgun backend) against a real HTTP
server on localhost that records each API call and answers the way Mailgun's messages API does."""

import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.db import connection, connections

from byline.members.services import read_unsubscribe_token
from byline.newsletters import services
from byline.newsletters.models import Email, Recipient

pytestmark = pytest.mark.django_db


def form_fields(content_type: str, body: bytes) -> dict[str, list[str]]:
    """The fields of a form post, urlencoded or multipart, as {name: [values]}."""
    if content_type.startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields = {}
        for part in message.iter_parts():
            fields.setdefault(part.get_param("name", header="content-disposition"), []).append(
                part.get_content()
            )
        return fields
    return parse_qs(body.decode(), keep_blank_values=True)


class FakeMailgun(ThreadingHTTPServer):
    """Mailgun's `POST /v3/<domain>/messages`, recording every call. `answers` scripts the calls in order
    ("ok", "503", or "slow": answer after `slow_seconds`); later calls are answered "ok". An address in
    `rejects` makes any call that includes it a 400, as Mailgun does for an invalid recipient."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), MailgunHandler)
        self.calls, self.answers, self.rejects = [], [], set()
        self.slow_seconds = 0.0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v3"

    def delivered(self) -> list[str]:
        """Every address the provider accepted a message for, once per acceptance."""
        return [address for call in self.calls if call["status"] == 200 for address in call["to_addresses"]]


class MailgunHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the standard library's name)
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = form_fields(self.headers["Content-Type"], body)
        variables = json.loads(fields.get("recipient-variables", ["{}"])[0])
        addresses = list(variables) or [to.rpartition("<")[2].rstrip(">") for to in fields["to"]]
        with server.lock:
            answer = server.answers.pop(0) if server.answers else "ok"
            status = 200
            if answer == "503":
                status = 503
            elif server.rejects & set(addresses):
                status = 400
            server.calls.append(
                {"path": self.path, "fields": fields, "variables": variables, "to_addresses": addresses,
                 "status": status, "answer": answer}
            )  # fmt: skip
        if answer == "slow":
            time.sleep(server.slow_seconds)
        if status == 200:
            reply = {"id": f"<batch{len(server.calls)}@news.example>", "message": "Queued. Thank you."}
        elif status == 400:
            reply = {"message": "'to' parameter is not a valid address. please check documentation"}
        else:
            reply = {"message": "Service temporarily unavailable"}
        payload = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def mailgun(settings):
    server = FakeMailgun()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_API_URL": server.url, "REQUESTS_TIMEOUT": 5}
    settings.NEWSLETTER_ESP_BATCH_SIZE = 3
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def email(newsletter, make_story):
    story = make_story("Night ferry timetable changes", email_newsletter=newsletter)
    return Email.objects.get(story=story)


def readers(subscribe, count: int):
    return [subscribe(f"reader{n}@readers.example", f"Reader{n} Example") for n in range(count)]


def states(email) -> dict[str, str]:
    return dict(Recipient.objects.filter(email=email).values_list("address", "state"))


def test_a_send_goes_in_batches_with_each_readers_own_details(mailgun, subscribe, email, newsletter):
    members = readers(subscribe, 7)
    services.start(email)
    assert services.deliver(email) == 7

    assert [len(call["to_addresses"]) for call in mailgun.calls] == [3, 3, 1]
    assert all(call["path"] == "/v3/news.example/messages" for call in mailgun.calls)
    first = mailgun.calls[0]["fields"]
    # One body for the batch, with the provider's merge fields where each reader's details go.
    assert "%recipient.name%" in first["text"][0]
    assert 'href="%recipient.unsubscribe_url_html%"' in first["html"][0]
    assert first["h:List-Unsubscribe"] == ["%recipient.h:List-Unsubscribe%"]
    assert first["h:List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
    assert first["h:Precedence"] == ["bulk"]
    assert first["h:Reply-To"] == ["letters@news.example"]
    variables = {
        **mailgun.calls[0]["variables"],
        **mailgun.calls[1]["variables"],
        **mailgun.calls[2]["variables"],
    }
    for number, member in enumerate(members):
        mine = variables[member.email]
        link = mine["unsubscribe_url"]
        assert mine["name"] == f"Reader{number}"
        assert read_unsubscribe_token(link.rstrip("/").rpartition("/")[2]) == (member, newsletter)
        assert mine["unsubscribe_url_html"] == link.replace("&", "&amp;")
        assert mine["h:List-Unsubscribe"].startswith(f"<{link}>, <mailto:letters@news.example?")
    assert sorted(mailgun.delivered()) == sorted(member.email for member in members)
    rows = Recipient.objects.filter(email=email)
    assert {row.state for row in rows} == {Recipient.SENT}
    assert {row.reply for row in rows if row.address == members[6].email} == {"queued <batch3@news.example>"}
    services.finish_if_done(email)
    assert Email.objects.get(pk=email.pk).status == Email.SENT


def test_a_server_error_puts_the_batch_back_and_it_is_retried_once(mailgun, subscribe, email):
    readers(subscribe, 4)
    mailgun.answers = ["503"]
    services.start(email)
    services.deliver(email)

    assert [call["status"] for call in mailgun.calls] == [503, 200, 200]
    assert set(states(email).values()) == {Recipient.SENT}
    assert sorted(mailgun.delivered()) == sorted(states(email))  # each reader exactly once
    retried = Recipient.objects.filter(email=email, attempts=1)
    assert retried.count() == 3
    assert not Recipient.objects.filter(email=email, uncertain=True).exists()


def test_no_answer_in_time_sends_the_batch_again_marked_uncertain(mailgun, subscribe, email, settings):
    readers(subscribe, 2)
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.3}
    mailgun.answers, mailgun.slow_seconds = ["slow"], 1.0
    services.start(email)
    services.deliver(email)

    # The provider took the first call after all: both readers were sent twice, and both rows say so.
    assert sorted(mailgun.delivered()) == sorted(list(states(email)) * 2)
    assert set(states(email).values()) == {Recipient.SENT}
    uncertain = set(Recipient.objects.filter(email=email, uncertain=True).values_list("address", flat=True))
    assert uncertain == set(states(email))


def test_a_rejected_batch_is_tried_one_by_one_and_only_the_bad_address_fails(mailgun, subscribe, email):
    readers(subscribe, 2)
    subscribe("nobody@invalid.example")
    mailgun.rejects = {"nobody@invalid.example"}
    services.start(email)
    services.deliver(email)

    assert [len(call["to_addresses"]) for call in mailgun.calls] == [3, 1, 1, 1]
    assert states(email) == {
        "reader0@readers.example": Recipient.SENT,
        "reader1@readers.example": Recipient.SENT,
        "nobody@invalid.example": Recipient.FAILED,
    }
    failed = Recipient.objects.get(email=email, state=Recipient.FAILED)
    assert failed.reply.startswith("400 ")
    assert "not a valid address" in failed.reply


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the SQLite test database is in memory with a shared cache, which refuses a second writing "
    "thread outright; PostgreSQL (CI) runs this, and tests/e2e/test_send_crash.py runs two workers on SQLite",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # flushes: restore the migrated rows
def test_two_workers_share_a_send_without_a_duplicate(mailgun, subscribe, newsletter, make_story, settings):
    readers(subscribe, 24)
    # Created without queueing: the test suite's immediate task backend would send it on publish.
    email, _ = services.email_for(make_story("Two presses, one edition"), newsletter)
    settings.NEWSLETTER_ESP_BATCH_SIZE = 2
    mailgun.answers, mailgun.slow_seconds = ["slow"] * 12, 0.05  # calls overlap between the workers
    services.start(email)

    def worker():
        try:
            services.deliver(email, connections=1)
        finally:
            connections.close_all()  # each worker thread has its own database connection

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    delivered = mailgun.delivered()
    assert sorted(delivered) == sorted(states(email))
    assert len(delivered) == len(set(delivered)) == 24
    assert set(states(email).values()) == {Recipient.SENT}
    assert [len(call["to_addresses"]) for call in mailgun.calls] == [2] * 12


def test_a_test_send_goes_through_the_provider(mailgun, newsletter, make_story):
    story = make_story("Harbour lights switched on", email_newsletter=None)
    outcome = services.send_test(story, newsletter, "editor@news.example")

    assert outcome.sent
    (call,) = mailgun.calls
    assert call["to_addresses"] == ["editor@news.example"]
    assert call["fields"]["subject"] == ["[Test] Harbour lights switched on"]
    assert call["variables"]["editor@news.example"]["name"] == "there"
