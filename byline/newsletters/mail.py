"""Newsletter messages as bytes, and the connections that hand them to the mail server.

Each message is assembled from pieces prepared once per send (headers, MIME skeleton, the rendered
bodies split at their markers): per recipient only the personal parts are filled in and the bodies
quoted-printable encoded. `SMTPConnection` keeps one SMTP session open for many messages and reports
each server's reply; `DjangoConnection` hands messages to any other Django email backend.
"""

import binascii
import contextlib
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection

from byline.newsletters.rendering import Personaliser, greeting_name

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
PLAIN_PART_HEADERS = (
    b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)
HTML_PART_HEADERS = (
    b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)


def _header(value: str) -> str:
    """A header value safe on the wire: RFC 2047-encoded when it is not plain ASCII."""
    value = " ".join(str(value).split())
    if value.isascii():
        return value
    return Header(value, "utf-8").encode().replace("\n", "\r\n")


def _address(name: str, address: str) -> str:
    return formataddr((" ".join((name or "").split()), address), charset="utf-8")


def _qp(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@dataclass
class Person:
    """What one recipient's message needs to know about them."""

    member_uuid: str
    address: str
    name: str


class MessageFactory:
    """Everything about one send that is the same for every recipient, prepared once."""

    def __init__(self, email, *, sender_name: str, sender_email: str, reply_to: str, unsubscribe_url):
        self.email = email
        self.sender_email = sender_email
        self.unsubscribe_url = unsubscribe_url  # (member_uuid) -> absolute one-click URL
        self.domain = sender_email.rpartition("@")[2] or "localhost"
        self.html = Personaliser(email.html, email.marker, html=True)
        self.text = Personaliser(email.text, email.marker, html=False)
        # "=_" can never occur in quoted-printable text, so this boundary cannot collide with a body.
        self.boundary = "=_byline_" + secrets.token_hex(12)
        newsletter = email.newsletter
        mailto = reply_to or sender_email
        self.mailto = f"mailto:{mailto}?subject={quote('Unsubscribe from ' + newsletter.name)}"
        lines = [
            f"From: {_address(sender_name, sender_email)}",
            f"Subject: {_header(email.subject)}",
            f"List-Id: {_header(newsletter.name)} <{newsletter.slug}.{self.domain}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "Precedence: bulk",
            "Auto-Submitted: auto-generated",
            "X-Auto-Response-Suppress: OOF, AutoReply",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"',
        ]
        if reply_to:
            lines.insert(1, f"Reply-To: {reply_to}")
        self.fixed_headers = "\r\n".join(lines)
        self.signer = DKIMSigner.from_settings(self.domain)

    def message_id(self, member_uuid: str) -> str:
        # The same for every attempt at one member, so a receiving server can drop a duplicate.
        return f"<{self.email.uuid.hex}.{member_uuid.replace('-', '')}@{self.domain}>"

    def build(self, person: Person) -> bytes:
        raw = self._assemble(person)
        return self.signer.sign(raw) if self.signer else raw

    def _assemble(self, person: Person) -> bytes:
        unsubscribe = self.unsubscribe_url(person.member_uuid)
        values = {"name": greeting_name(person.name), "unsubscribe_url": unsubscribe}
        head = (
            f"{self.fixed_headers}\r\n"
            f"To: {_address(person.name, person.address)}\r\n"
            f"Date: {formatdate()}\r\n"
            f"Message-ID: {self.message_id(person.member_uuid)}\r\n"
            f"List-Unsubscribe: <{unsubscribe}>,\r\n <{self.mailto}>\r\n"
            "\r\n"
        ).encode()
        part = f"--{self.boundary}\r\n".encode()
        return b"".join(
            [
                head,
                part,
                PLAIN_PART_HEADERS,
                _qp(self.text.fill(values)),
                b"\r\n",
                part,
                HTML_PART_HEADERS,
                _qp(self.html.fill(values)),
                f"\r\n--{self.boundary}--\r\n".encode(),
            ]
        )


class DKIMSigner:
    """Signs each message with the key in settings, covering both List-Unsubscribe headers (RFC 8058)."""

    HEADERS = [
        b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"list-id",
        b"list-unsubscribe", b"list-unsubscribe-post", b"mime-version", b"content-type",
    ]  # fmt: skip

    def __init__(self, selector: str, domain: str, private_key: bytes):
        self.selector = selector.encode()
        self.domain = domain.encode()
        self.private_key = private_key

    @classmethod
    def from_settings(cls, sender_domain: str):
        path = getattr(settings, "NEWSLETTER_DKIM_KEY_FILE", "")
        if not path:
            return None
        try:
            key = Path(path).read_bytes()
        except OSError as error:
            raise ImproperlyConfigured(f"NEWSLETTER_DKIM_KEY_FILE cannot be read: {error}") from None
        selector = getattr(settings, "NEWSLETTER_DKIM_SELECTOR", "") or "byline"
        return cls(selector, getattr(settings, "NEWSLETTER_DKIM_DOMAIN", "") or sender_domain, key)

    def sign(self, raw: bytes) -> bytes:
        import dkim

        signature = dkim.sign(
            raw, self.selector, self.domain, self.private_key,
            canonicalize=(b"relaxed", b"relaxed"), include_headers=self.HEADERS,
        )  # fmt: skip
        return signature + raw


@dataclass
class Outcome:
    sent: bool
    reply: str
    permanent: bool = False  # a failure that retrying will not fix
    uncertain: bool = False  # the connection broke after the message was handed over


class SMTPConnection:
    """One kept-alive SMTP session; reconnects on the next message after the server drops it."""

    def __init__(self):
        self.smtp = None

    def open(self):
        if self.smtp is not None:
            return
        host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 30
        if settings.EMAIL_USE_SSL:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if settings.EMAIL_USE_TLS:
                smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo_or_helo_if_needed()
        if settings.EMAIL_HOST_USER:
            smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        self.smtp = smtp

    def close(self):
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None

    def send(self, sender: str, to: str, raw: bytes) -> Outcome:
        handed_over = False
        try:
            self.open()
            smtp = self.smtp
            code, reply = smtp.mail(sender)
            if code != 250:
                return self._refused(code, reply)
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                return self._refused(code, reply)
            handed_over = True
            code, reply = smtp.data(raw)
            if code != 250:
                return self._refused(code, reply)
            return Outcome(sent=True, reply=f"{code} {reply.decode('utf-8', 'replace')}")
        except (smtplib.SMTPException, OSError) as error:  # timeouts are OSErrors
            self.smtp = None  # the session is in an unknown state: start afresh next time
            return Outcome(sent=False, reply=f"Connection error: {error}"[:500], uncertain=handed_over)

    def _refused(self, code: int, reply: bytes) -> Outcome:
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.smtp = None
        text = f"{code} {reply.decode('utf-8', 'replace')}"[:500]
        return Outcome(sent=False, reply=text, permanent=500 <= code < 600)


class _RawMessage(EmailMessage):
    """A ready-made message for Django's other backends (console, locmem, file)."""

    def __init__(self, raw: bytes, sender: str, to: str):
        import email
        from email import policy

        self._parsed = email.message_from_bytes(raw, policy=policy.SMTP)
        super().__init__(subject=str(self._parsed["Subject"]), from_email=sender, to=[to])

    def message(self, **kwargs):
        return self._parsed


class DjangoConnection:
    def __init__(self):
        self.connection = get_connection(fail_silently=False)

    def open(self):
        self.connection.open()

    def close(self):
        self.connection.close()

    def send(self, sender: str, to: str, raw: bytes) -> Outcome:
        try:
            self.connection.send_messages([_RawMessage(raw, sender, to)])
        except Exception as error:
            return Outcome(sent=False, reply=str(error)[:500])
        return Outcome(sent=True, reply="Accepted")


def new_connection():
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return SMTPConnection()
    return DjangoConnection()
