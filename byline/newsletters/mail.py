"""Newsletter messages as bytes, and the connections that hand them to the mail server.

Each message is assembled from pieces prepared once per send (headers, MIME skeleton, the rendered
bodies split at their markers): per recipient only the personal parts are filled in and the bodies
quoted-printable encoded. `SMTPConnection` keeps one SMTP session open for many messages and reports
each server's reply; `DjangoConnection` hands messages to any other Django email backend.
"""

import binascii
import contextlib
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from html import escape
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection

from byline.newsletters.rendering import FIELDS, Personaliser, greeting_name

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


def _qp_run(text: str) -> bytes:
    """`text` quoted-printable and ending in a soft line break ("=" CRLF, which decodes to nothing), so
    runs encoded separately join into one valid body: the fixed parts are encoded once per send."""
    if not text:
        return b""
    *lines, last = _qp(text).split(b"\r\n")
    # binascii can leave a line at 77 characters (an escaped trailing tab); the last line needs room
    # for its "=".
    return b"".join(_wrap(line, 76) + b"\r\n" for line in lines) + _wrap(last, 75) + b"=\r\n"


def _wrap(line: bytes, width: int) -> bytes:
    """`line` cut by soft line breaks into pieces of at most `width` characters, never inside "=XX"."""
    pieces = []
    while len(line) > width:
        cut = width - 1  # room for the "="
        while b"=" in line[cut - 2 : cut]:
            cut -= 1
        pieces.append(line[:cut] + b"=")
        line = line[cut:]
    pieces.append(line)
    return b"\r\n".join(pieces)


class EncodedBody:
    """A rendered body's fixed pieces quoted-printable encoded once; `fill` encodes only the personal
    values and joins (the pieces alternate: fixed text, field name, fixed text, …)."""

    def __init__(self, personaliser: Personaliser):
        self.html = personaliser.html
        self.pieces = [
            _qp_run(piece) if index % 2 == 0 else piece for index, piece in enumerate(personaliser.pieces)
        ]

    def fill(self, values: dict) -> bytes:
        return self.join(encoded_values(values, html=self.html))

    def join(self, encoded: dict) -> bytes:
        """The body with each field's already encoded value (`encoded_values`) in its place."""
        pieces = self.pieces.copy()
        for index in range(1, len(pieces), 2):
            pieces[index] = encoded[pieces[index]]
        return b"".join(pieces)


def encoded_values(values: dict, *, html: bool, plain: dict | None = None) -> dict:
    """Each personal value quoted-printable encoded (HTML-escaped first for an HTML body). `plain`, the
    same values encoded for the text body, is reused where escaping changes nothing (the unsubscribe
    URL, most names), so a value is encoded once per message, not once per body."""
    encoded = {}
    for field, value in values.items():
        if not html:
            encoded[field] = _qp_run(value)
            continue
        escaped = escape(value)
        encoded[field] = plain[field] if plain is not None and escaped == value else _qp_run(escaped)
    return encoded


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
        self.personalisers = (
            Personaliser(email.text, email.marker, html=False),
            Personaliser(email.html, email.marker, html=True),
        )
        self.text, self.html = (EncodedBody(personaliser) for personaliser in self.personalisers)
        self.from_header = _address(sender_name, sender_email)
        self.reply_to = reply_to
        # "=_" can never occur in quoted-printable text, so this boundary cannot collide with a body.
        self.boundary = "=_byline_" + secrets.token_hex(12)
        newsletter = email.newsletter
        mailto = reply_to or sender_email
        self.mailto = f"mailto:{mailto}?subject={quote('Unsubscribe from ' + newsletter.name)}"
        # The list headers every copy carries (the personal List-Unsubscribe is added per recipient).
        self.list_headers = {
            "List-Id": f"{_header(newsletter.name)} <{newsletter.slug}.{self.domain}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
        }
        lines = [
            f"From: {self.from_header}",
            f"Subject: {_header(email.subject)}",
            *(f"{name}: {value}" for name, value in self.list_headers.items()),
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

    def values_for(self, person: Person) -> dict:
        return {
            "name": greeting_name(person.name),
            "unsubscribe_url": self.unsubscribe_url(person.member_uuid),
        }

    def list_unsubscribe(self, unsubscribe_url: str) -> str:
        return f"<{unsubscribe_url}>, <{self.mailto}>"

    def build(self, person: Person) -> bytes:
        raw = self._assemble(person)
        return self.signer.sign(raw) if self.signer else raw

    def _assemble(self, person: Person) -> bytes:
        values = self.values_for(person)
        unsubscribe = values["unsubscribe_url"]
        head = (
            f"{self.fixed_headers}\r\n"
            f"To: {_address(person.name, person.address)}\r\n"
            f"Date: {formatdate()}\r\n"
            f"Message-ID: {self.message_id(person.member_uuid)}\r\n"
            f"List-Unsubscribe: <{unsubscribe}>,\r\n <{self.mailto}>\r\n"
            "\r\n"
        ).encode()
        part = f"--{self.boundary}\r\n".encode()
        plain = encoded_values(values, html=False)
        return b"".join(
            [
                head,
                part,
                PLAIN_PART_HEADERS,
                self.text.join(plain),
                b"\r\n",
                part,
                HTML_PART_HEADERS,
                self.html.join(encoded_values(values, html=True, plain=plain)),
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
    rejected: bool = False  # a provider refused the whole request (for a batch: try one by one)


# An address made only of these characters is quoted by smtplib as itself in angle brackets; checking
# that is far cheaper than smtplib's full parse (email.utils.parseaddr), which stays for anything else.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


def _envelope_address(address: str) -> str:
    """`address` as MAIL FROM / RCPT TO take it: what `smtplib.quoteaddr` gives, quicker for plain ones."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _data_payload(raw: bytes) -> bytes:
    """What follows DATA: the message with lines starting with "." doubled (RFC 5321 4.5.2), then the
    terminating "." line: the bytes `smtplib.SMTP.data` sends. Its regular expression scans every byte
    of every message (about 75 µs for 9 kB, as long as all the rest of building one); a line starting
    with "." is rare in quoted-printable text, so a plain search settles almost every message."""
    if raw.startswith(b"."):
        raw = b"." + raw
    if b"\n." in raw:
        raw = raw.replace(b"\n.", b"\n..")
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    return raw + b".\r\n"


class SMTPConnection:
    """One kept-alive SMTP session; reconnects on the next message after the server drops it.

    A message goes in two calls so the caller's own work overlaps the server's: `begin` sends MAIL FROM
    without waiting for the answer, and `send` reads it and carries on (RCPT, DATA). Nothing is handed
    over before the message's data: a session that dies after `begin` leaves the server nothing.
    """

    def __init__(self):
        self.smtp = None
        self.awaiting_mail_reply = False

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
                if self.awaiting_mail_reply:
                    self.smtp.getreply()
                self.smtp.quit()
            self.smtp = None
        self.awaiting_mail_reply = False

    def begin(self, sender: str) -> None:
        """Send MAIL FROM for the next message and return at once; `send` or `abandon` follows."""
        try:
            self._mail_from(sender)
        except (smtplib.SMTPException, OSError):
            self.smtp = None  # `send` opens a fresh session and says what went wrong

    def _mail_from(self, sender: str) -> None:
        self.open()
        self.smtp.putcmd("mail", f"FROM:{_envelope_address(sender)}")
        self.awaiting_mail_reply = True

    def abandon(self) -> None:
        """Drop the message `begin` started (its row is no longer ours): nothing was handed over."""
        if not self.awaiting_mail_reply:
            return
        self.awaiting_mail_reply = False
        try:
            self.smtp.getreply()
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.smtp = None

    def send(self, sender: str, to: str, raw: bytes, meanwhile=None) -> Outcome:
        """Hand one message over. `meanwhile()` runs while the server takes in the data (its longest
        step), for the caller's work that needs no answer: building the next message."""
        handed_over = False
        try:
            if not self.awaiting_mail_reply:
                self._mail_from(sender)
            self.awaiting_mail_reply = False
            smtp = self.smtp
            code, reply = smtp.getreply()
            if code != 250:
                return self._refused(code, reply)
            smtp.putcmd("rcpt", f"TO:{_envelope_address(to)}")
            code, reply = smtp.getreply()
            if code not in (250, 251):
                return self._refused(code, reply)
            handed_over = True
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                return self._refused(code, reply)
            smtp.send(_data_payload(raw))
            if meanwhile is not None:
                meanwhile()
            code, reply = smtp.getreply()
            if code != 250:
                return self._refused(code, reply)
            return Outcome(sent=True, reply=f"{code} {reply.decode('utf-8', 'replace')}")
        except (smtplib.SMTPException, OSError) as error:  # timeouts are OSErrors
            self.smtp = None  # the session is in an unknown state: start afresh next time
            self.awaiting_mail_reply = False
            return Outcome(sent=False, reply=f"Connection error: {error}"[:500], uncertain=handed_over)

    def _refused(self, code: int, reply: bytes) -> Outcome:
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.smtp = None
        text = f"{code} {reply.decode('utf-8', 'replace')}"[:500]
        return Outcome(sent=False, reply=text, permanent=500 <= code < 600)


class ESPConnection:
    """A django-anymail backend (Mailgun, Postmark, SES, …): the provider builds and signs the messages.

    `send_batch` sends a chunk in one API call with each recipient's details as merge data where the
    provider substitutes them into inline content (`MERGE_FIELDS`), else one call per recipient with the
    content filled in here. Every recipient's outcome is returned, in order. What an error means:
    - the provider answered with an error status: nobody was sent to. 429 and 5xx are temporary; any
      other 4xx rejects the request (for a batch, often one bad address), so a batch is then tried
      one recipient at a time and only the rejected ones fail;
    - no answer (timeout, dropped connection) or an unreadable one: the call may have been accepted,
      so every recipient of it is retried and flagged uncertain.
    """

    # How each provider writes a per-recipient field in inline content; `{}` is the field's name.
    MERGE_FIELDS = {"anymail.backends.mailgun.EmailBackend": "%recipient.{}%"}

    def __init__(self):
        self.connection = get_connection(fail_silently=False)
        self.merge_field = self.MERGE_FIELDS.get(settings.EMAIL_BACKEND)

    def open(self):
        self.connection.open()

    def close(self):
        self.connection.close()

    def send_batch(self, factory: MessageFactory, people: list[Person]) -> list[Outcome]:
        if self.merge_field:
            outcomes = self._call(self._merged(factory, people), people)
            if len(people) > 1 and any(outcome.rejected for outcome in outcomes):
                return [self._call(self._single(factory, person), [person])[0] for person in people]
            return outcomes
        return [self._call(self._single(factory, person), [person])[0] for person in people]

    def _message(self, factory: MessageFactory, to: list[str], text: str, html: str, headers: dict):
        from anymail.message import AnymailMessage

        reply_to = [factory.reply_to] if factory.reply_to else None
        message = AnymailMessage(
            subject=factory.email.subject, body=text, from_email=factory.from_header, to=to,
            reply_to=reply_to, headers={**factory.list_headers, **headers},
        )  # fmt: skip
        message.attach_alternative(html, "text/html")
        return message

    def _merged(self, factory: MessageFactory, people: list[Person]):
        """One message for the batch: the provider fills each recipient's fields (`*_html` escaped)."""
        text, html = factory.personalisers
        field = self.merge_field.format
        message = self._message(
            factory,
            [_address(person.name, person.address) for person in people],
            text.fill({name: field(name) for name in FIELDS}),
            html.fill({name: field(name + "_html") for name in FIELDS}),
            {},
        )
        message.merge_global_data = {}
        message.merge_data, message.merge_headers = {}, {}
        for person in people:
            values = factory.values_for(person)
            message.merge_data[person.address] = {
                **values, **{name + "_html": escape(value) for name, value in values.items()},
            }  # fmt: skip
            message.merge_headers[person.address] = {
                "List-Unsubscribe": factory.list_unsubscribe(values["unsubscribe_url"])
            }
        return message

    def _single(self, factory: MessageFactory, person: Person):
        values = factory.values_for(person)
        text, html = (personaliser.fill(values) for personaliser in factory.personalisers)
        headers = {"List-Unsubscribe": factory.list_unsubscribe(values["unsubscribe_url"])}
        return self._message(factory, [_address(person.name, person.address)], text, html, headers)

    def _call(self, message, people: list[Person]) -> list[Outcome]:
        from anymail.exceptions import AnymailError, AnymailRecipientsRefused

        try:
            self.connection.send_messages([message])
        except AnymailRecipientsRefused:
            pass  # every recipient was refused: their statuses say so, below
        except AnymailError as error:
            return [_failure(error)] * len(people)
        except Exception as error:  # a configuration error, say: retried, and shown in the status view
            return [Outcome(sent=False, reply=f"Not sent: {error}"[:500])] * len(people)
        statuses = message.anymail_status.recipients
        return [_outcome(statuses.get(person.address)) for person in people]


def _outcome(status) -> Outcome:
    if status is None:  # the provider did not mention this recipient: it may or may not have it
        return Outcome(sent=False, reply="The provider did not report this recipient.", uncertain=True)
    reply = f"{status.status} {status.message_id or ''}".strip()[:500]
    if status.status in ("rejected", "invalid", "failed"):
        return Outcome(sent=False, reply=reply, permanent=True)
    return Outcome(sent=True, reply=reply)


def _failure(error) -> Outcome:
    code = getattr(error, "status_code", None)
    reply = " ".join(str(error).split())[:500]
    if code is None or 200 <= code < 300:  # no answer, or an unreadable one: it may have gone
        return Outcome(sent=False, reply=f"No clear answer from the provider: {reply}"[:500], uncertain=True)
    if code == 429 or code >= 500:
        return Outcome(sent=False, reply=f"{code} {reply}"[:500])
    return Outcome(sent=False, reply=f"{code} {reply}"[:500], permanent=True, rejected=True)


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

    def begin(self, sender: str) -> None:
        pass  # a Django backend takes a whole message at once

    def abandon(self) -> None:
        pass

    def send(self, sender: str, to: str, raw: bytes, meanwhile=None) -> Outcome:
        try:
            self.connection.send_messages([_RawMessage(raw, sender, to)])
        except Exception as error:
            return Outcome(sent=False, reply=str(error)[:500])
        if meanwhile is not None:
            meanwhile()
        return Outcome(sent=True, reply="Accepted")


def new_connection():
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return SMTPConnection()
    if settings.EMAIL_BACKEND.startswith("anymail."):
        return ESPConnection()
    return DjangoConnection()
