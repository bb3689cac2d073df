"""The SMTP session's own envelope and DATA handling: the bytes smtplib would send, built more cheaply."""

import smtplib

import pytest
from aiosmtpd.controller import Controller

from byline.lib.smtp_sink import free_port
from byline.newsletters import mail


class RawSink:
    """Keeps each message's bytes as the server received them (dot-stuffing undone)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Kept"


@pytest.fixture
def raw_sink(settings):
    sink = RawSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield sink
    finally:
        controller.stop()


def test_lines_starting_with_a_dot_arrive_as_they_were_built(raw_sink):
    messages = [
        b".A first line that starts with a dot\r\n\r\n.\r\n..two\r\nplain\r\n",
        b"Subject: no dots at all\r\n\r\nbody\r\n",
        b"Subject: no final line break\r\n\r\n.last",
    ]
    session = mail.SMTPConnection()
    try:
        for raw in messages:
            session.begin("desk@news.example")
            outcome = session.send("desk@news.example", "reader@readers.example", raw)
            assert outcome.sent, outcome.reply
            assert outcome.reply == "250 Kept"
    finally:
        session.close()
    assert [content for _, _, content in raw_sink.received] == [
        messages[0],
        messages[1],
        messages[2] + b"\r\n",
    ]
    assert raw_sink.received[0][:2] == ("desk@news.example", ["reader@readers.example"])


@pytest.mark.parametrize("raw", [b".x\r\n", b"a\r\n.b\r\n..c\r\n", b"a\n.b\r\n", b"no dot", b"a.\r\n.", b""])
def test_the_data_sent_is_what_smtplib_sends(raw):
    expected = smtplib._quote_periods(raw)
    expected += b"" if expected.endswith(b"\r\n") else b"\r\n"
    assert mail._data_payload(raw) == expected + b".\r\n"


@pytest.mark.parametrize(
    "address",
    [
        "reader@readers.example", "o'neil+news@mail.example.ie", "a.b-c_d@sub.example.org",
        ".lead@example.com", "two..dots@example.com", "Ana <ana@example.com>", "quoted\"@example.com",
        "ünïcode@example.com", "no-at-sign", "<>", "a b@example.com",
    ],
)  # fmt: skip
def test_envelope_addresses_are_what_smtplib_sends(address):
    assert mail._envelope_address(address) == smtplib.quoteaddr(address)


def test_a_message_refused_after_its_data_fails_for_good_and_the_session_goes_on(settings):
    class RefusingData:
        async def handle_DATA(self, server, session, envelope):
            return "554 5.6.0 Not this one"

    controller = Controller(RefusingData(), hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    session = mail.SMTPConnection()
    try:
        outcome = session.send("desk@news.example", "reader@readers.example", b"Subject: x\r\n\r\nbody\r\n")
        assert not outcome.sent
        assert outcome.permanent
        assert outcome.reply == "554 5.6.0 Not this one"
        # The session is still usable for the next message.
        assert session.smtp is not None
    finally:
        session.close()
        controller.stop()
