"""Sending a story to a newsletter's subscribers: create, snapshot, claim, deliver, record.

Views, commands and tasks call these plain functions. The states and the crash-safety argument are in
README.md beside this file; the short version:

- `email_for_story` creates the Email row once per (story, newsletter) (a unique constraint) when the story
  goes live, and queues the send after commit.
- `start` snapshots the recipients with one INSERT … SELECT, guarded by a conditional UPDATE of the
  Email's status, so it happens once however many workers race to it.
- `deliver` claims small chunks with a conditional UPDATE (SKIP LOCKED on PostgreSQL), marks each row
  in_flight before handing it to the mail server and sent (or failed) after, so a crash leaves at most
  one row per open connection whose fate is unknown.
"""

import contextlib
import functools
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from byline.members.models import Member
from byline.members.services import UnsubscribeLinks
from byline.newsletters import mail, rendering
from byline.newsletters.models import HELD, Email, Newsletter, Recipient

logger = logging.getLogger("byline.newsletters")

Subscription = Member.newsletters.through


def _setting(name: str, default):
    return getattr(settings, name, default)


# Creating ---------------------------------------------------------------------------------------------


def email_for_story(story) -> Email | None:
    """The send for a story that just went live, created once; None when it is not to be emailed."""
    if not story.live or not story.email_newsletter_id:
        return None
    newsletter = Newsletter.objects.filter(pk=story.email_newsletter_id, status=Newsletter.ACTIVE).first()
    if newsletter is None:
        return None
    email, created = email_for(story, newsletter)
    if created:
        queue_send(email)
    return email


def email_for(story, newsletter: Newsletter) -> tuple[Email, bool]:
    """The send of `story` to `newsletter`, created if there is none yet (for `byline send`)."""
    subject = " ".join((story.email_subject or story.title).split())[:300]
    try:
        with transaction.atomic():
            return Email.objects.get_or_create(
                story_id=story.pk, newsletter=newsletter, defaults={"subject": subject}
            )
    except IntegrityError:
        return Email.objects.get(story_id=story.pk, newsletter=newsletter), False


def audience(newsletter: Newsletter) -> int:
    """How many members a send to `newsletter` would snapshot right now."""
    return Member.objects.filter(newsletters=newsletter, email_disabled=False).count()


def queue_send(email: Email) -> None:
    from byline.newsletters import tasks

    email_id = email.pk
    transaction.on_commit(lambda: tasks.send_email.enqueue(email_id))


# Starting: render once, snapshot the recipients ----------------------------------------------------


def publication_for(story):
    from byline.core.models import PublicationSettings

    site = story.get_site()
    return PublicationSettings.for_site(site) if site else PublicationSettings()


def sender_of(newsletter: Newsletter, publication) -> tuple[str, str, str]:
    """(name, address, reply-to) for a newsletter, falling back on the publication's settings."""
    name = newsletter.sender_name or publication.sender_name or publication.name
    address = newsletter.sender_email or publication.sender_email or settings.DEFAULT_FROM_EMAIL
    reply_to = newsletter.reply_to or publication.support_email or ""
    return name, address, reply_to


def start(email: Email) -> bool:
    """Render the email and snapshot its recipients, once. False when it had already started."""
    if email.status != Email.PENDING:
        return False
    story = email.story.specific
    try:
        rendered = rendering.render(story, email.newsletter, publication_for(story), subject=email.subject)
    except Exception as error:
        logger.exception("Email %s: the story could not be rendered", email.pk)
        Email.objects.filter(pk=email.pk, status=Email.PENDING).update(
            status=Email.FAILED, error=f"The story could not be rendered: {error}"[:2000]
        )
        return False
    with transaction.atomic():
        won = Email.objects.filter(pk=email.pk, status=Email.PENDING).update(
            status=Email.SENDING,
            started_at=timezone.now(),
            html=rendered.html,
            text=rendered.text,
            marker=rendered.marker,
        )
        if not won:
            return False
        count = snapshot(email)
        Email.objects.filter(pk=email.pk).update(recipient_count=count)
    email.refresh_from_db()
    return True


def snapshot(email: Email) -> int:
    """One ledger row per subscribed member whose email works, in one INSERT … SELECT."""
    quote = connection.ops.quote_name
    # Only the models' table names are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(Recipient._meta.db_table)}"  # noqa: S608
        " (email_id, member_id, address, state, claim_token, attempts, uncertain, reply)"
        f" SELECT %s, m.id, m.email, %s, '', 0, %s, ''"
        f" FROM {quote(Member._meta.db_table)} m"
        f" INNER JOIN {quote(Subscription._meta.db_table)} s ON s.member_id = m.id"
        " WHERE s.newsletter_id = %s AND m.email_disabled = %s"
        " ORDER BY m.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [email.pk, Recipient.PENDING, False, email.newsletter_id, False])
        return cursor.rowcount


# Delivering -------------------------------------------------------------------------------------------


def recover_stale(email_id: int) -> int:
    """Take back rows whose worker's lease ran out (it crashed): claimed ones were never handed over;
    in_flight ones may have been, so they go again marked uncertain."""
    cutoff = timezone.now() - timedelta(seconds=_setting("NEWSLETTER_LEASE_SECONDS", 300))
    stale = Recipient.objects.filter(email_id=email_id, claimed_at__lt=cutoff)
    back = stale.filter(state=Recipient.CLAIMED).update(state=Recipient.PENDING, claim_token="")
    back += stale.filter(state=Recipient.IN_FLIGHT).update(
        state=Recipient.PENDING, claim_token="", uncertain=True
    )
    if back:
        logger.warning("Email %s: took back %s recipients from a worker that stopped", email_id, back)
    return back


# Sending limits per minute and per day (NEWSLETTER_PER_MINUTE, NEWSLETTER_PER_DAY; 0 means none), for
# providers that cap them. Counted over every send: messages handed over in the window, plus rows claimed
# or in flight (about to be). Claims are serialised by SQLite's write lock, so the limit holds there; on
# PostgreSQL concurrent claimers may overshoot it by at most one chunk each.
LIMITS = (("NEWSLETTER_PER_MINUTE", 60), ("NEWSLETTER_PER_DAY", 86400))


def sending_allowance(now) -> tuple[int, object]:
    """(how many may be claimed now, when more may be claimed if none may now)."""
    allowed, free_at = 10**9, None
    held = None
    for name, seconds in LIMITS:
        limit = _setting(name, 0)
        if not limit:
            continue
        if held is None:
            held = Recipient.objects.filter(HELD).count()
        since = now - timedelta(seconds=seconds)
        window = Recipient.objects.filter(state=Recipient.SENT, sent_at__gte=since)
        left = limit - held - window.count()
        if left <= 0:
            oldest = window.aggregate(oldest=Min("sent_at"))["oldest"]
            later = (oldest or now) + timedelta(seconds=seconds)
            free_at = max(free_at, later) if free_at else later
        allowed = min(allowed, left)
    return allowed, free_at


@dataclass
class Claimed:
    pk: int
    person: mail.Person


def claim(email: Email, token: str, size: int) -> list[Claimed]:
    """Claim up to `size` pending rows for this worker, suppressing those who left since the snapshot."""
    now = timezone.now()
    quote = connection.ops.quote_name
    with transaction.atomic():
        if not Email.objects.filter(pk=email.pk, status=Email.SENDING).exists():
            return []
        size = min(size, sending_allowance(now)[0])
        if size <= 0:
            return []
        due = Recipient.objects.filter(email_id=email.pk, state=Recipient.PENDING).filter(
            Q(retry_at__isnull=True) | Q(retry_at__lte=now)
        )
        ids = list(due.order_by("pk").select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
        if not ids:
            return []
        # On the driver's cursor: the ORM prepares each of a chunk's ids as a lookup value, a few
        # milliseconds a chunk, about a tenth of the sender's work per message.
        placeholders = ", ".join(["%s"] * len(ids))
        _execute(
            CLAIM.replace("{ids}", placeholders), [token, connection.ops.adapt_datetimefield_value(now), *ids]
        )
        # By primary key: claim_token has no index, and scanning a 100k-row ledger per chunk would make
        # a send quadratic. This worker holds no other claimed row (a chunk is done, or given back,
        # before the next is claimed), so its token within the chunk's range is the chunk. The
        # driver's cursor again: the ORM's values() costs more per row than the query.
        keys = ("pk", "member_id", "member__uuid", "member__email", "member__name",
                "member__email_disabled", "subscribed")  # fmt: skip
        found = _execute(
            CLAIMED_ROWS.format(
                member=quote(Member._meta.db_table), subscription=quote(Subscription._meta.db_table)
            ),
            [email.newsletter_id, ids[0], ids[-1], token],
            returning=True,
        )
        rows = [dict(zip(keys, row, strict=True)) for row in found]
        gone = [row for row in rows if row["member_id"] is None]
        disabled = [row for row in rows if row["member_id"] and row["member__email_disabled"]]
        left = [row for row in rows if row["member_id"] and not row["subscribed"]]
        _suppress(gone, "The member's account was deleted before sending.")
        _suppress(disabled, "The member's address bounced or complained before sending.")
        _suppress([row for row in left if row not in disabled], "Unsubscribed before sending.")
    skip = {row["pk"] for row in gone + disabled + left}
    return [
        Claimed(
            pk=row["pk"],
            person=mail.Person(
                member_uuid=str(row["member__uuid"]), address=row["member__email"], name=row["member__name"]
            ),
        )
        for row in rows
        if row["pk"] not in skip
    ]


def _suppress(rows, reason: str) -> None:
    if rows:
        Recipient.objects.filter(pk__in=[row["pk"] for row in rows], state=Recipient.CLAIMED).update(
            state=Recipient.SUPPRESSED, reply=reason, claim_token=""
        )


def release(token: str, pks) -> None:
    """Give claimed rows back (a worker stopping on SIGTERM): nothing was handed over for them."""
    Recipient.objects.filter(pk__in=list(pks), claim_token=token, state=Recipient.CLAIMED).update(
        state=Recipient.PENDING, claim_token="", claimed_at=None
    )


def _now_param(db=None):
    return (db or connection).ops.adapt_datetimefield_value(timezone.now())


# The two writes of every message are plain SQL on the driver's own cursor: the ORM's query building,
# and then Django's cursor wrapper (placeholder rewriting, query-logging hooks), cost more than SQLite.
@functools.cache
def _driver_sql(sql: str, vendor: str, table: str) -> str:
    sql = sql.format(table=table)
    return sql.replace("%s", "?") if vendor == "sqlite" else sql  # sqlite3 takes "?" placeholders


def _this_threads_db():
    """This thread's database connection (wrapper). Each attribute read through `django.db.connection`
    looks the thread's connection up again (asgiref's Local): the per-message path does it once."""
    return connections[DEFAULT_DB_ALIAS]


def _execute(sql: str, params: list, *, returning: bool = False, many: bool = False, db=None):
    """Run a per-message statement (`many`: once per list of `params`): the rows it returns, else how
    many rows it changed."""
    db = db or _this_threads_db()
    if db.connection is None:
        db.ensure_connection()
    sql = _driver_sql(sql, db.vendor, db.ops.quote_name(Recipient._meta.db_table))
    with db.wrap_database_errors:  # the same exceptions as through Django's cursor
        cursor = db.connection.cursor()
        try:
            (cursor.executemany if many else cursor.execute)(sql, params)
            return cursor.fetchall() if returning else cursor.rowcount
        finally:
            cursor.close()


CLAIM = (
    "UPDATE {table} SET state = 'claimed', claim_token = %s, claimed_at = %s"
    " WHERE state = 'pending' AND id IN ({ids})"
)
# A claimed chunk's rows with what their messages need; `subscribed`: still subscribed to this newsletter.
CLAIMED_ROWS = (
    "SELECT r.id, r.member_id, m.uuid, m.email, m.name, m.email_disabled,"
    " EXISTS(SELECT 1 FROM {subscription} s WHERE s.member_id = r.member_id AND s.newsletter_id = %s)"
    " FROM {{table}} r LEFT JOIN {member} m ON m.id = r.member_id"
    " WHERE r.id >= %s AND r.id <= %s AND r.claim_token = %s AND r.state = 'claimed'"
    " ORDER BY r.id"
)
MARK_IN_FLIGHT = (
    "UPDATE {table} SET state = 'in_flight', claimed_at = %s"
    " WHERE id = %s AND claim_token = %s AND state = 'claimed'"
)
# The write between two messages on one connection, as one statement (one commit): the message just
# accepted becomes sent, the next one in flight. SET reads the rows as they were, so `state` tells which
# of the two rows a CASE is looking at.
SENT_AND_NEXT = (
    "UPDATE {table} SET"
    " state = CASE WHEN state = 'in_flight' THEN 'sent' ELSE 'in_flight' END,"
    " sent_at = CASE WHEN state = 'in_flight' THEN %s ELSE sent_at END,"
    " reply = CASE WHEN state = 'in_flight' THEN %s ELSE reply END,"
    " address = CASE WHEN state = 'in_flight' THEN %s ELSE address END,"
    " claimed_at = CASE WHEN state = 'claimed' THEN %s ELSE claimed_at END,"
    " claim_token = CASE WHEN state = 'in_flight' THEN '' ELSE claim_token END"
    " WHERE claim_token = %s AND ((id = %s AND state = 'in_flight') OR (id = %s AND state = 'claimed'))"
    " RETURNING id"
)
NO_ROW = -1
MARK_SENT = (
    "UPDATE {table} SET state = 'sent', sent_at = %s, reply = %s, address = %s, claim_token = ''"
    " WHERE id = %s AND claim_token = %s AND state = 'in_flight'"
)


def mark_in_flight(pk: int, token: str) -> bool:
    """The last write before a message leaves: False when the row is no longer this worker's."""
    return _execute(MARK_IN_FLIGHT, [_now_param(), pk, token]) == 1


def sent_and_next(token: str, sent: tuple | None, next_pk: int | None) -> bool:
    """Record `sent` = (pk, reply, address) and mark `next_pk` in flight in one statement; returns
    whether `next_pk` is still this worker's (False too when there is no next row)."""
    db = _this_threads_db()
    now = _now_param(db)
    sent_pk, reply, address = sent or (NO_ROW, "", "")
    target = NO_ROW if next_pk is None else next_pk
    rows = _execute(SENT_AND_NEXT, [now, reply, address, now, token, sent_pk, target], returning=True, db=db)
    return any(row[0] == target for row in rows)


def mark_batch_in_flight(token: str, pks: list[int]) -> set[int]:
    """Mark a provider batch in flight in one statement; returns the rows still this worker's."""
    if not pks:
        return set()
    sql = MARK_IN_FLIGHT.replace("id = %s", "id IN ({})".format(", ".join(["%s"] * len(pks))))
    rows = _execute(sql + " RETURNING id", [_now_param(), *pks, token], returning=True)
    return {row[0] for row in rows}


def record_batch(token: str, results: list[tuple[int, mail.Outcome, str]]) -> None:
    """Record a provider batch's outcomes in one transaction: the sent rows in one executemany."""
    now = _now_param()
    with transaction.atomic():
        sent = [(now, outcome.reply, address, pk, token) for pk, outcome, address in results if outcome.sent]
        if sent:
            _execute(MARK_SENT, sent, many=True)
        for pk, outcome, address in results:
            if not outcome.sent:
                record(pk, token, outcome, address)


def record(pk: int, token: str, outcome: mail.Outcome, address: str) -> None:
    if outcome.sent:
        sent_and_next(token, (pk, outcome.reply, address), None)
        return
    row = Recipient.objects.filter(pk=pk, claim_token=token, state=Recipient.IN_FLIGHT)
    now = timezone.now()
    current = Recipient.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 0
    attempts = current + 1
    if outcome.permanent or attempts >= _setting("NEWSLETTER_MAX_ATTEMPTS", 5):
        row.update(state=Recipient.FAILED, reply=outcome.reply, attempts=attempts, claim_token="")
        return
    delay = _setting("NEWSLETTER_RETRY_SECONDS", 60) * 2 ** (attempts - 1)
    fields = {"uncertain": True} if outcome.uncertain else {}
    row.update(
        state=Recipient.PENDING,
        reply=outcome.reply,
        attempts=attempts,
        claim_token="",
        retry_at=now + timedelta(seconds=delay),
        **fields,
    )


# SQLite's WAL is copied back into the database (a checkpoint, with its fsyncs) by whichever commit finds
# it past `wal_autocheckpoint` pages: by default 1,000, every 300 or so messages of a send, each a pause of
# a few milliseconds for that message (the 99th percentile of the ledger write was 3.3 ms, the median
# 0.05). Every 10,000 pages (a WAL of up to 40 MB) makes them a tenth as many; the mean write went from
# 109 to 88 µs. Only while this thread sends, on its own connection.
SENDING_WAL_AUTOCHECKPOINT = 10_000


@contextlib.contextmanager
def _fewer_checkpoints():
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SENDING_WAL_AUTOCHECKPOINT:d}")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(before):d}")


@dataclass
class Sender:
    """One worker thread's share of a send: its own claim token, database connection and mail session."""

    email: Email
    factory: mail.MessageFactory
    sender_address: str
    stop: threading.Event
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent: int = 0

    def run(self) -> None:
        transport = mail.new_connection()
        batches = isinstance(transport, mail.ESPConnection)
        size = _setting("NEWSLETTER_ESP_BATCH_SIZE" if batches else "NEWSLETTER_CHUNK_SIZE", 200)
        try:
            with _fewer_checkpoints():
                while not self.stop.is_set():
                    recover_stale(self.email.pk)
                    chunk = claim(self.email, self.token, size)
                    if not chunk:
                        return
                    if batches:
                        self._send_batch(chunk, transport)
                    else:
                        self._send_chunk(chunk, transport)
        finally:
            transport.close()

    def _send_batch(self, chunk: list[Claimed], transport: mail.ESPConnection) -> None:
        # A provider's batch is one API call, so the whole chunk is in flight (committed) before it
        # and recorded after it: a crash in between leaves one batch uncertain, not one message.
        mine = mark_batch_in_flight(self.token, [item.pk for item in chunk])
        batch = [item for item in chunk if item.pk in mine]
        if not batch:
            return
        outcomes = transport.send_batch(self.factory, [item.person for item in batch])
        record_batch(
            self.token,
            [(item.pk, outcome, item.person.address) for item, outcome in zip(batch, outcomes, strict=True)],
        )
        self.sent += sum(outcome.sent for outcome in outcomes)

    def _send_chunk(self, chunk: list[Claimed], transport) -> None:
        # Each message's result is written by the statement that marks the next one in flight: one
        # commit per message, and never more than one row per connection whose fate a crash could hide.
        # (Marking a whole chunk in flight at once would save commits but turn a crash's one uncertain
        # row per connection into a chunk's worth.)
        done = None  # the last message handed over, not yet recorded: (pk, outcome, address)
        ahead = {}  # the next message, built while the server took in this one: {pk: bytes}

        def build_ahead(position: int) -> None:
            if position + 1 < len(chunk):
                following = chunk[position + 1]
                # A message that cannot be built fails in its own turn, below, not in another's send.
                with contextlib.suppress(Exception):
                    ahead[following.pk] = self.factory.build(following.person)

        try:
            for position, item in enumerate(chunk):
                if self.stop.is_set():
                    release(self.token, [rest.pk for rest in chunk[position:]])
                    return
                # MAIL FROM goes out first, so the server answers it while the ledger is written; the
                # message itself only follows once its row is committed in flight.
                transport.begin(self.sender_address)
                mine = self._record_and_mark(done, item.pk)
                done = None
                if not mine:
                    transport.abandon()
                    continue  # taken back after a lease ran out: someone else has it now
                raw = ahead.pop(item.pk, None) or self.factory.build(item.person)
                outcome = transport.send(
                    self.sender_address,
                    item.person.address,
                    raw,
                    meanwhile=functools.partial(build_ahead, position),
                )
                done = (item.pk, outcome, item.person.address)
                self.sent += outcome.sent
        finally:
            if done is not None:
                self._record_and_mark(done, None)

    def _record_and_mark(self, done: tuple | None, next_pk: int | None) -> bool:
        """Record the last message's outcome and mark `next_pk` in flight, atomically."""
        if done is None or done[1].sent:
            sent = (done[0], done[1].reply, done[2]) if done else None
            return sent_and_next(self.token, sent, next_pk)
        with transaction.atomic():  # a failure: the rare path, through the ORM
            pk, outcome, address = done
            record(pk, self.token, outcome, address)
            return next_pk is not None and mark_in_flight(next_pk, self.token)


def factory_for(email: Email) -> tuple[mail.MessageFactory, str]:
    story = email.story.specific
    name, address, reply_to = sender_of(email.newsletter, publication_for(story))
    links = UnsubscribeLinks(email.newsletter)  # the links' fixed parts and key, prepared once per send
    factory = mail.MessageFactory(
        email, sender_name=name, sender_email=address, reply_to=reply_to, unsubscribe_url=links.url
    )
    return factory, address


def deliver(email: Email, stop: threading.Event | None = None, connections: int | None = None) -> int:
    """Send this email's pending recipients over `connections` kept-alive sessions; returns messages sent.

    Inside a transaction (the test suite's immediate tasks) other threads could not see the ledger, so
    everything then goes over one session on this thread.
    """
    stop = stop or threading.Event()
    factory, address = factory_for(email)
    count = connections or _setting("NEWSLETTER_CONNECTIONS", 2)
    if count <= 1 or connection.in_atomic_block:
        sender = Sender(email, factory, address, stop)
        sender.run()
        return sender.sent
    senders = [Sender(email, factory, address, stop) for _ in range(count)]
    threads = [threading.Thread(target=_run_and_close, args=(sender,), daemon=True) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sender.sent for sender in senders)


def _run_and_close(sender: Sender) -> None:
    from django.db import connections

    try:
        sender.run()
    except Exception:
        logger.exception("Email %s: a sending thread stopped", sender.email.pk)
    finally:
        connections.close_all()


def finish_if_done(email: Email):
    """Mark the send finished when nobody is left to send to (returns None); else return when there
    will be something to do: now (rows free to claim), a retry's time, or when a held lease runs out."""
    unfinished = Recipient.objects.filter(email_id=email.pk, state__in=Recipient.UNFINISHED)
    if not unfinished.exists():
        Email.objects.filter(pk=email.pk, status=Email.SENDING).update(
            status=Email.SENT, finished_at=timezone.now()
        )
        return None
    now = timezone.now()
    figures = unfinished.aggregate(
        ready=Count("pk", filter=Q(state=Recipient.PENDING, retry_at__isnull=True)),
        retry=Min("retry_at", filter=Q(state=Recipient.PENDING)),
        held=Min("claimed_at", filter=Q(state__in=[Recipient.CLAIMED, Recipient.IN_FLIGHT])),
    )
    allowed, free_at = sending_allowance(now)
    if allowed <= 0 and free_at:
        return max(free_at, now + timedelta(seconds=1))  # the limit is reached: come back when it frees
    if figures["ready"]:
        return now
    lease = timedelta(seconds=_setting("NEWSLETTER_LEASE_SECONDS", 300))
    times = [figures["retry"], figures["held"] and figures["held"] + lease]
    return max(min(t for t in times if t), now) if any(times) else now


# Preview and test ----------------------------------------------------------------------------------


def _rendered_email(story, newsletter: Newsletter, *, test: bool) -> Email:
    """An unsaved Email carrying the story rendered as it would be sent now."""
    rendered = rendering.render(story, newsletter, publication_for(story))
    subject = f"[Test] {rendered.subject}" if test else rendered.subject
    return Email(
        story_id=story.pk, newsletter=newsletter, subject=subject,
        html=rendered.html, text=rendered.text, marker=rendered.marker,
    )  # fmt: skip


def preview_html(story, newsletter: Newsletter, *, name: str = "") -> str:
    email = _rendered_email(story, newsletter, test=False)
    values = {"name": rendering.greeting_name(name), "unsubscribe_url": rendering.absolute("/account/")}
    return rendering.Personaliser(email.html, email.marker, html=True).fill(values)


def send_test(story, newsletter: Newsletter, address: str) -> mail.Outcome:
    """Send the story's email to one address, outside any send: no ledger row, no member needed.

    Its unsubscribe links point at the account page: a test is not tied to a subscription."""
    email = _rendered_email(story, newsletter, test=True)
    name, sender, reply_to = sender_of(newsletter, publication_for(story))
    factory = mail.MessageFactory(
        email, sender_name=name, sender_email=sender, reply_to=reply_to,
        unsubscribe_url=lambda member_uuid: rendering.absolute("/account/"),
    )  # fmt: skip
    transport = mail.new_connection()
    try:
        person = mail.Person(member_uuid=uuid.uuid4().hex, address=address, name="")
        if isinstance(transport, mail.ESPConnection):
            return transport.send_batch(factory, [person])[0]
        return transport.send(sender, address, factory.build(person))
    finally:
        transport.close()


# Provider webhooks -----------------------------------------------------------------------------------

DISABLING_EVENTS = ("bounced", "complained")


def record_delivery_event(provider: str, event) -> bool:
    """Record a bounce or complaint (an anymail tracking event) and switch off the address's email.

    Idempotent: the same provider event twice is one record. Returns whether it was new."""
    import hashlib

    from byline.newsletters.models import DeliveryEvent

    if event.event_type not in DISABLING_EVENTS or not event.recipient:
        return False
    address = str(event.recipient).strip().lower()[:254]
    key = (
        event.event_id
        or hashlib.sha256(
            f"{event.event_type}|{address}|{event.timestamp}|{event.description}".encode()
        ).hexdigest()
    )
    try:
        with transaction.atomic():
            DeliveryEvent.objects.create(
                provider=provider[:40], event_key=str(key)[:200], event_type=event.event_type,
                recipient=address, description=(event.description or event.mta_response or "")[:2000],
                occurred_at=event.timestamp,
            )  # fmt: skip
    except IntegrityError:
        return False
    Member.objects.filter(email=address).update(email_disabled=True)
    return True


# Editors' controls ------------------------------------------------------------------------------------


def cancel(email: Email) -> int:
    """Stop a send: whoever has not been handed over yet is suppressed. Returns how many."""
    with transaction.atomic():
        Email.objects.filter(pk=email.pk, status__in=[Email.PENDING, Email.SENDING]).update(
            status=Email.CANCELLED, finished_at=timezone.now()
        )
        return Recipient.objects.filter(
            email_id=email.pk, state__in=[Recipient.PENDING, Recipient.CLAIMED]
        ).update(state=Recipient.SUPPRESSED, reply="Cancelled before sending.", claim_token="")


def retry_failed(email: Email) -> int:
    """Put failed recipients back in the queue and start sending again. Returns how many."""
    with transaction.atomic():
        count = Recipient.objects.filter(email_id=email.pk, state=Recipient.FAILED).update(
            state=Recipient.PENDING, attempts=0, retry_at=None, claim_token=""
        )
        if count:
            Email.objects.filter(pk=email.pk).exclude(status=Email.PENDING).update(
                status=Email.SENDING, finished_at=None
            )
            queue_send(email)
    return count


@dataclass
class Status:
    total: int
    sent: int
    failed: int
    suppressed: int
    pending: int
    uncertain: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.suppressed

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def status_of(email: Email) -> Status:
    # One pass over the send's rows (no index covers every state: see the model's indexes).
    counts = dict.fromkeys(dict(Recipient.STATE_CHOICES), 0)
    uncertain = 0
    rows = Recipient.objects.filter(email_id=email.pk).values("state")
    for row in rows.annotate(n=Count("pk"), uncertain=Count("pk", filter=Q(uncertain=True))):
        counts[row["state"]] = row["n"]
        uncertain += row["uncertain"]
    return Status(
        total=sum(counts.values()),
        sent=counts[Recipient.SENT],
        failed=counts[Recipient.FAILED],
        suppressed=counts[Recipient.SUPPRESSED],
        pending=counts[Recipient.PENDING] + counts[Recipient.CLAIMED] + counts[Recipient.IN_FLIGHT],
        uncertain=uncertain,
    )
