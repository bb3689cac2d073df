"""Sign-up and sign-in by magic link, and member sessions.

Plain functions with explicit arguments: the views, the API and commands call these; nothing here
reads a request except the session helpers at the bottom.

Decisions (see CONTEXT.md beside this file):
- Sign-up for an address that already has an account sends a sign-in link; sign-in for an address with
  no account sends an email saying so, with a sign-up link. Either way the HTTP answer is the same, so
  the endpoint never tells a stranger who is a member.
- A link is spent by one atomic conditional UPDATE (unused and unexpired), so two concurrent redeems
  cannot both win.
"""

import base64
import hashlib
import hmac
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_str

from byline.lib import ratelimit
from byline.lib.tokens import new_token, token_hash
from byline.members import emails
from byline.members.models import Label, Member, SignInToken

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 191
REDIRECT_MAX_LENGTH = 500
SESSION_MEMBER_KEY = "member_id"
SESSION_GENERATION_KEY = "member_generation"
SESSION_SIGNED_IN_KEY = "member_signed_in_at"  # epoch seconds, for the absolute timeout
SESSION_SEEN_KEY = "member_seen_at"  # epoch seconds, for the idle timeout
# The last-seen time is written back at most this often, so most requests do not save the session.
SEEN_RESOLUTION_SECONDS = 3600
UNSUBSCRIBE_SALT = "byline.unsubscribe"

_email_validator = EmailValidator(message="Enter a valid email address, like name@example.com.")


class InvalidLink(Exception):
    """A magic link that cannot be used: unknown, expired or already used. The message is for readers."""


class EmailInUse(Exception):
    """The new address of an email change already belongs to a member."""


def _clock() -> float:
    """Seconds since the epoch; the session timeout tests patch this."""
    return time.time()


def normalise_email(value) -> str:
    """The address as stored: trimmed and lower-cased; raises ValidationError with a reader's message."""
    if not isinstance(value, str):
        raise ValidationError("Enter an email address.", code="required")
    # Only spaces are trimmed: any other whitespace or control character makes the address invalid.
    email = value.strip(" ")
    if not email:
        raise ValidationError("Enter an email address.", code="required")
    # CR/LF would inject mail headers; other control and format characters have no place in an address.
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in email):
        raise ValidationError(
            "Email addresses cannot contain line breaks or control characters.", code="invalid"
        )
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            f"Email addresses can be at most {EMAIL_MAX_LENGTH} characters long.", code="too_long"
        )
    _email_validator(email)
    if len(email.rpartition("@")[0]) > 64:  # RFC 5321's limit for the part before the @
        raise ValidationError("Email addresses can have at most 64 characters before the @.", code="too_long")
    return email.lower()


def clean_name(value) -> str:
    """A member's name without control characters, whitespace collapsed, capped in length."""
    if not isinstance(value, str):
        return ""
    kept = "".join(char if unicodedata.category(char)[0] != "C" else " " for char in value)
    return " ".join(kept.split())[:NAME_MAX_LENGTH].strip()


def magic_link_url(token: str) -> str:
    return f"{settings.BYLINE_URL.rstrip('/')}/members/?{urlencode({'token': token})}"


@dataclass
class LinkSent:
    """What send_magic_link did (for logs and tests; never shown to the client)."""

    purpose: str
    member_exists: bool


def may_send_link_to(email: str) -> bool:
    """Count one link to `email` against its hourly limit; False once the limit is passed.

    Every way of emailing a link (sign-up, sign-in, email change) shares this one budget per address."""
    return ratelimit.hit("magic-link:email", email, limit=settings.MEMBERS_LINKS_PER_EMAIL_HOUR, window=3600)


def send_magic_link(
    email: str,
    *,
    purpose: str,
    name: str = "",
    newsletter_slugs=(),
    redirect_to: str = "",
    request_ip: str = "",
    publication=None,
) -> LinkSent:
    """Create a single-use link for `email` (already normalised) and queue the email carrying it."""
    if purpose not in (SignInToken.SIGNUP, SignInToken.SIGNIN):
        raise ValueError(f"unknown purpose {purpose!r}")
    member = Member.objects.filter(email=email).first()
    if member is not None:
        # Signing up again with a known address just signs the member in.
        purpose = SignInToken.SIGNIN
    elif purpose == SignInToken.SIGNIN:
        # No account: the email says so and carries a sign-up link for the owner of the inbox.
        purpose = SignInToken.SIGNUP
        token = _create_token(email, purpose, name, newsletter_slugs, redirect_to)
        emails.send_no_account(email, link=magic_link_url(token), publication=publication)
        return LinkSent(purpose="no_account", member_exists=False)

    token = _create_token(email, purpose, name, newsletter_slugs, redirect_to, member=member)
    link = magic_link_url(token)
    if purpose == SignInToken.SIGNUP:
        emails.send_signup_link(email, link=link, publication=publication)
    else:
        emails.send_signin_link(email, link=link, publication=publication)
    return LinkSent(purpose=purpose, member_exists=member is not None)


# Spent and expired links are kept this long (the member's detail page in the admin shows them), then go.
LINK_HISTORY = timedelta(days=1)


def remove_old_links(now=None) -> int:
    """Delete links that expired more than LINK_HISTORY ago; the number deleted."""
    now = now or timezone.now()
    deleted, _ = SignInToken.objects.filter(expires_at__lt=now - LINK_HISTORY).delete()
    return deleted


def _create_token(email, purpose, name, newsletter_slugs, redirect_to, member=None) -> str:
    token = new_token()
    now = timezone.now()
    # Housekeeping where links are made: no clock needed, and the rate limits bound how often it runs.
    remove_old_links(now)
    SignInToken.objects.create(
        token_hash=token_hash(token),
        email=email,
        purpose=purpose,
        member=member,
        name=clean_name(name),
        newsletter_slugs=[str(slug)[:120] for slug in newsletter_slugs][:50],
        redirect_to=(redirect_to or "")[:REDIRECT_MAX_LENGTH],
        created_at=now,
        expires_at=now + timedelta(minutes=settings.MEMBERS_LINK_MINUTES),
    )
    return token


def peek(token: str) -> SignInToken:
    """The link's row if it could still be redeemed, without spending it (for the confirmation page)."""
    row = SignInToken.objects.filter(token_hash=token_hash(token or "")).first()
    _raise_if_unusable(row, timezone.now())
    return row


def _raise_if_unusable(row, now) -> None:
    if row is None:
        raise InvalidLink("This link is not valid. Ask for a new one.")
    if row.used_at is not None:
        raise InvalidLink("This link has already been used. Ask for a new one.")
    if row.expires_at <= now:
        raise InvalidLink("This link has expired. Ask for a new one.")


def redeem(token: str) -> tuple[Member, SignInToken]:
    """Spend the link and return its member, creating them on sign-up. Raises InvalidLink."""
    digest = token_hash(token or "")
    now = timezone.now()
    with transaction.atomic():
        spent = SignInToken.objects.filter(
            token_hash=digest, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if spent != 1:
            _raise_if_unusable(SignInToken.objects.filter(token_hash=digest).first(), now)
            raise InvalidLink("This link is not valid. Ask for a new one.")
        row = SignInToken.objects.get(token_hash=digest)
        if row.purpose == SignInToken.EMAIL_CHANGE:
            return _change_email(row), row
        member, created = _get_or_create_member(row.email, name=row.name)
        if row.purpose == SignInToken.SIGNIN and created:
            # The account was deleted after the link was sent: a sign-in link never creates one (the
            # exception rolls the new row and the spent link back).
            raise InvalidLink("There is no account for this address any more. Sign up again.")
        if created or row.newsletter_slugs:
            _subscribe(member, row.newsletter_slugs, on_signup=created)
    return member, row


def _change_email(row: SignInToken) -> Member:
    """Inside redeem's transaction: move the link's member to the address the link was sent to."""
    member = Member.objects.select_for_update().filter(pk=row.member_id).first()
    if member is None:
        raise InvalidLink("This account no longer exists.")
    if Member.objects.filter(email=row.email).exclude(pk=member.pk).exists():
        raise InvalidLink("That email address is already used by another account.")
    member.email = row.email
    try:
        with transaction.atomic():
            member.save(update_fields=["email", "updated_at"])
    except IntegrityError:
        raise InvalidLink("That email address is already used by another account.") from None
    # Links still out for the old address (or other changes) must not work any more.
    SignInToken.objects.filter(member=member, used_at__isnull=True).exclude(pk=row.pk).delete()
    return member


def _get_or_create_member(email: str, *, name: str) -> tuple[Member, bool]:
    member = Member.objects.filter(email=email).first()
    if member is not None:
        return member, False
    try:
        # A savepoint, so losing the race to a concurrent confirmation leaves the outer transaction usable.
        with transaction.atomic():
            return Member.objects.create(email=email, name=name), True
    except IntegrityError:
        return Member.objects.get(email=email), False


def _subscribe(member: Member, slugs, *, on_signup: bool) -> None:
    from django.apps import apps

    Newsletter = apps.get_model("newsletters", "Newsletter")  # a higher floor: reached by name
    newsletters = Newsletter.objects.active()
    if slugs:
        newsletters = newsletters.filter(slug__in=slugs)
    elif on_signup:
        newsletters = newsletters.filter(subscribe_on_signup=True)
    else:
        return
    member.newsletters.add(*newsletters)


# Account ----------------------------------------------------------------------------------------------


def resolve_newsletters(items) -> list:
    """Active newsletters named by slugs or Ghost's [{id|slug|name}] objects; ValidationError otherwise."""
    from django.apps import apps

    Newsletter = apps.get_model("newsletters", "Newsletter")
    if not isinstance(items, list):
        raise ValidationError("Newsletters must be a list.", code="invalid")
    active = list(Newsletter.objects.active())
    found = []
    for item in items[:100]:
        match = None
        if isinstance(item, str):
            match = next((n for n in active if n.slug == item), None)
        elif isinstance(item, dict):
            for key, attr in (("id", "uuid"), ("uuid", "uuid"), ("slug", "slug"), ("name", "name")):
                value = item.get(key)
                if isinstance(value, str) and value:
                    match = next(
                        (n for n in active if str(getattr(n, attr)).casefold() == value.casefold()), None
                    )
                    break
        if match is None:
            shown = item if isinstance(item, str) else "?"
            raise ValidationError(f"There is no newsletter “{shown[:120]}”.", code="unknown_newsletter")
        if match not in found:
            found.append(match)
    return found


def update_member(member: Member, *, name=None, newsletters=None) -> Member:
    """Change the name and/or set the active newsletters (archived subscriptions are left alone)."""
    if name is not None:
        if not isinstance(name, str):
            raise ValidationError("The name must be text.", code="invalid")
        member.name = clean_name(name)
        member.save(update_fields=["name", "updated_at"])
    if newsletters is not None:
        from django.apps import apps

        Newsletter = apps.get_model("newsletters", "Newsletter")
        member.newsletters.remove(*Newsletter.objects.active().exclude(pk__in=[n.pk for n in newsletters]))
        member.newsletters.add(*newsletters)
    return member


def request_email_change(member: Member, new_email: str, *, publication=None) -> None:
    """Email a confirmation link to `new_email` (already normalised); the change happens on redeem.

    Raises EmailInUse when another member has the address (the member is told: it is their own page).
    """
    if new_email == member.email:
        return
    if Member.objects.filter(email=new_email).exclude(pk=member.pk).exists():
        raise EmailInUse(new_email)
    token = _create_token(
        new_email, SignInToken.EMAIL_CHANGE, "", (), "/account/?done=email_changed", member=member
    )
    emails.send_email_change(new_email, link=magic_link_url(token), publication=publication)


def delete_member(member: Member) -> None:
    """Remove the member and their personal data: links (cascade and by address) and subscriptions."""
    with transaction.atomic():
        SignInToken.objects.filter(email=member.email).delete()
        member.delete()  # cascades their links, labels and subscriptions (join rows)


# Unsubscribe links ------------------------------------------------------------------------------------


# A link's token is "<member uuid>.<newsletter uuid>.<signature>" (hex uuids), the signature an
# HMAC-SHA256 of the two uuids keyed from SECRET_KEY and a salt, as Django's `salted_hmac` derives it.
# It is computed for every recipient of every send, so the key is derived once per send
# (`UnsubscribeLinks`): about 2 µs a link, where `signing.dumps` (JSON, zlib, a timestamp, a key derived
# per call) took 20-35. Links signed the old way (`signing.dumps`, salt UNSUBSCRIBE_SALT) stay valid:
# old newsletters carry them.
UNSUBSCRIBE_LINK_SALT = "byline.unsubscribe.link"
_LINK_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})")


def _link_key(secret) -> bytes:
    """The HMAC key `salted_hmac(UNSUBSCRIBE_LINK_SALT, …, secret)` uses."""
    return hashlib.sha256((UNSUBSCRIBE_LINK_SALT + force_str(secret)).encode()).digest()


def _link_signature(key: bytes, value: str) -> str:
    return base64.urlsafe_b64encode(hmac.digest(key, value.encode(), "sha256")).rstrip(b"=").decode()


class UnsubscribeLinks:
    """The unsubscribe links of one newsletter, for sending it to many members: what is the same for
    every link (the site's address, the newsletter, the key) is prepared once."""

    def __init__(self, newsletter):
        self.prefix = f"{settings.BYLINE_URL.rstrip('/')}/unsubscribe/"
        self.newsletter = newsletter.uuid.hex
        self.key = _link_key(settings.SECRET_KEY)

    def token(self, member_uuid) -> str:
        value = f"{str(member_uuid).replace('-', '')}.{self.newsletter}"
        return f"{value}.{_link_signature(self.key, value)}"

    def url(self, member_uuid) -> str:
        return f"{self.prefix}{self.token(member_uuid)}/"


def unsubscribe_token(member: Member, newsletter) -> str:
    return UnsubscribeLinks(newsletter).token(member.uuid)


def unsubscribe_url(member: Member, newsletter) -> str:
    """The absolute, signed link a newsletter email carries (also for its List-Unsubscribe header)."""
    return UnsubscribeLinks(newsletter).url(member.uuid)


def _unsubscribe_uuids(token: str) -> tuple[str, str]:
    """(member uuid, newsletter uuid) of a genuine token, of either kind; raises BadSignature."""
    match = _LINK_TOKEN.fullmatch(token)
    if match is None:  # an old link, signed by `signing.dumps`
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return data["m"], data["n"]
    member_uuid, newsletter_uuid, signature = match.groups()
    value = f"{member_uuid}.{newsletter_uuid}"
    # Links signed with a key since rotated out of SECRET_KEY (into SECRET_KEY_FALLBACKS) still work,
    # as Django's signing accepts them.
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if hmac.compare_digest(_link_signature(_link_key(secret), value), signature):
            return member_uuid, newsletter_uuid
    raise signing.BadSignature("The unsubscribe link's signature does not match.")


def read_unsubscribe_token(token: str):
    """(member, newsletter) for a valid token; raises InvalidLink for a tampered or stale one."""
    from django.apps import apps

    Newsletter = apps.get_model("newsletters", "Newsletter")
    try:
        member_uuid, newsletter_uuid = _unsubscribe_uuids(token)
        member = Member.objects.filter(uuid=member_uuid).first()
        newsletter = Newsletter.objects.filter(uuid=newsletter_uuid).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        raise InvalidLink("This unsubscribe link is not valid.") from None
    if member is None or newsletter is None:
        raise InvalidLink("This unsubscribe link is not valid any more.")
    return member, newsletter


def unsubscribe(member: Member, newsletter) -> None:
    member.newsletters.remove(newsletter)  # idempotent


def resubscribe(member: Member, newsletter) -> None:
    member.newsletters.add(newsletter)  # idempotent


# Sessions ---------------------------------------------------------------------------------------------


def sign_in(request, member: Member) -> None:
    """A fresh session key (no fixation) carrying the member and their session generation."""
    request.session.cycle_key()
    request.session[SESSION_MEMBER_KEY] = member.pk
    request.session[SESSION_GENERATION_KEY] = member.session_generation
    request.session[SESSION_SIGNED_IN_KEY] = request.session[SESSION_SEEN_KEY] = int(_clock())
    request._member = member
    Member.objects.filter(pk=member.pk).update(last_seen_at=timezone.now())


def current_member(request) -> Member | None:
    """The signed-in member, or None: also when "sign out everywhere" has run since they signed in, after
    MEMBERS_SESSION_IDLE_DAYS without a request, and MEMBERS_SESSION_MAX_DAYS after signing in."""
    if hasattr(request, "_member"):
        return request._member
    member = None
    session = request.session
    member_id = session.get(SESSION_MEMBER_KEY)
    if member_id is not None:
        now = int(_clock())
        signed_in_at = session.get(SESSION_SIGNED_IN_KEY)
        seen_at = session.get(SESSION_SEEN_KEY)
        fresh = (
            isinstance(signed_in_at, int)
            and isinstance(seen_at, int)
            and now - signed_in_at < settings.MEMBERS_SESSION_MAX_DAYS * 86400
            and now - seen_at < settings.MEMBERS_SESSION_IDLE_DAYS * 86400
        )
        if fresh:
            member = Member.objects.filter(pk=member_id).first()
        if member is None or member.session_generation != session.get(SESSION_GENERATION_KEY):
            member = None
            for key in (SESSION_MEMBER_KEY, SESSION_GENERATION_KEY, SESSION_SIGNED_IN_KEY, SESSION_SEEN_KEY):
                session.pop(key, None)
        elif now - seen_at >= SEEN_RESOLUTION_SECONDS:
            session[SESSION_SEEN_KEY] = now  # saved (and the cookie renewed) at most once an hour
    request._member = member
    return member


def sign_out(request) -> None:
    request.session.flush()
    request._member = None


def sign_out_everywhere(member: Member) -> None:
    """Every session made before now stops working on its next request."""
    from django.db.models import F

    Member.objects.filter(pk=member.pk).update(session_generation=F("session_generation") + 1)


# Bulk import (the porting app's members CSV) -----------------------------------------------------------


@dataclass
class ImportedMember:
    """One row of a members import, already checked: a normalised email and a clean name."""

    email: str
    name: str = ""
    note: str = ""
    created_at: object = None  # datetime or None (now)
    labels: tuple[str, ...] = ()
    subscribed: bool = True


def import_members(rows: list[ImportedMember], *, newsletters, batch_size: int = 1000) -> tuple[int, int]:
    """Create the members that do not exist yet, in bulk; (created, already members).

    Imported members were confirmed where they came from, so they join confirmed. Existing members keep
    their subscriptions (they may have unsubscribed here) and gain the row's labels. Subscribed new
    members get `newsletters`. Bulk inserts, never a query per member: 100,000 rows in seconds.
    """
    emails = [row.email for row in rows]
    existing: dict[str, int] = {}
    for start in range(0, len(emails), batch_size):
        chunk = emails[start : start + batch_size]
        existing.update(Member.objects.filter(email__in=chunk).values_list("email", "pk"))
    new_rows = [row for row in rows if row.email not in existing]
    _insert_members(new_rows, batch_size=batch_size)
    ids = dict(existing)
    new_emails = [row.email for row in new_rows]
    for start in range(0, len(new_emails), batch_size):
        chunk = new_emails[start : start + batch_size]
        ids.update(Member.objects.filter(email__in=chunk).values_list("email", "pk"))

    label_names = sorted({name for row in rows for name in row.labels})
    labels = {label.name: label.pk for label in Label.objects.filter(name__in=label_names)}
    for name in label_names:
        if name not in labels:
            labels[name] = Label.objects.create(name=name).pk
    LabelLink = Member.labels.through
    LabelLink.objects.bulk_create(
        [LabelLink(member_id=ids[row.email], label_id=labels[name]) for row in rows for name in row.labels],
        batch_size=batch_size,
        ignore_conflicts=True,
    )
    Subscription = Member.newsletters.through
    newsletter_ids = [newsletter.pk for newsletter in newsletters]
    Subscription.objects.bulk_create(
        [
            Subscription(member_id=ids[row.email], newsletter_id=newsletter_id)
            for row in new_rows
            if row.subscribed
            for newsletter_id in newsletter_ids
        ],
        batch_size=batch_size,
        ignore_conflicts=True,
    )
    return len(new_rows), len(existing)


def _insert_members(rows: list[ImportedMember], *, batch_size: int) -> None:
    """INSERT the rows with executemany: bulk_create spends most of its time building model instances
    and preparing each value through its field, ten times the cost of the insert itself at 100,000 rows.
    Values are adapted by the database backend's own operations, as the ORM would."""
    from django.db import connection

    table = connection.ops.quote_name(Member._meta.db_table)
    columns = [
        "uuid", "email", "name", "note", "status", "email_disabled", "session_generation", "created_at",
        "updated_at",
    ]  # fmt: skip
    # Only our own table and column names are interpolated; every value goes as a parameter.
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    uuid_field = Member._meta.get_field("uuid")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            values = [
                (
                    uuid_field.get_db_prep_value(uuid.uuid4(), connection),
                    row.email,
                    row.name,
                    row.note,
                    Member.FREE,
                    False,
                    0,
                    connection.ops.adapt_datetimefield_value(row.created_at) if row.created_at else now,
                    now,
                )
                for row in rows[start : start + batch_size]
            ]
            cursor.executemany(sql, values)
