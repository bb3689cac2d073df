"""Newsletters: the named lists members subscribe to. Sending lives in services.py and tasks.py."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.text import slugify
from wagtail.admin.panels import FieldPanel, MultiFieldPanel


class NewsletterQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Newsletter.ACTIVE)


class Newsletter(models.Model):
    ACTIVE = "active"
    ARCHIVED = "archived"
    STATUS_CHOICES = [(ACTIVE, "Active"), (ARCHIVED, "Archived")]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    sender_name = models.CharField(
        max_length=120, blank=True, help_text="Defaults to the publication's name."
    )
    sender_email = models.EmailField(blank=True, help_text="Defaults to the site's sending address.")
    reply_to = models.EmailField(blank=True)
    subscribe_on_signup = models.BooleanField(
        default=True, help_text="New members are subscribed to this newsletter when they sign up."
    )
    send_by_default = models.BooleanField(
        "send new stories by default",
        default=False,
        help_text="New stories start with “Send as email to” set to this newsletter (editors can change it).",
    )
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=ACTIVE)
    sort_order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NewsletterQuerySet.as_manager()

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("sender_name"), FieldPanel("sender_email"), FieldPanel("reply_to")], "Sender"
        ),
        FieldPanel("subscribe_on_signup"),
        FieldPanel("send_by_default"),
        FieldPanel("status"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:120] or "newsletter"
        super().save(*args, **kwargs)


class Email(models.Model):
    """One story sent to one newsletter. Created in the publish transaction, so it is never lost or doubled.

    States: pending (created, recipients not snapshotted yet) → sending (ledger filled, being delivered)
    → sent (every recipient has a final state); cancelled (an editor stopped it); failed (it could not
    even start, e.g. the story would not render). See README.md beside this file.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"
    STATUS_CHOICES = [
        (PENDING, "Waiting to start"),
        (SENDING, "Sending"),
        (SENT, "Sent"),
        (CANCELLED, "Cancelled"),
        (FAILED, "Failed"),
    ]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    story = models.ForeignKey("stories.StoryPage", on_delete=models.CASCADE, related_name="+")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="emails")
    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    error = models.TextField(blank=True)
    # The message rendered once at the snapshot, with per-recipient markers (see rendering.py).
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    marker = models.CharField(max_length=40, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the next crash check is due: at most one is queued per send (see tasks.py).
    watch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["story", "newsletter"], name="one_email_per_story_and_newsletter")
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.newsletter}"


# A row a worker holds: claimed (in a chunk) or in flight (being handed over). Written as two equalities,
# not `state IN (…)`, so SQLite can tell a query with this condition (or with one of the two) may use the
# partial index `recipient_held`.
HELD = Q(state="claimed") | Q(state="in_flight")


class Recipient(models.Model):
    """One ledger row: one member of one send.

    pending → claimed (a worker took it in a chunk) → in_flight (being handed to the mail server)
    → sent | failed | suppressed. A crash leaves rows claimed or in_flight; once their lease runs out
    another worker takes them back: claimed rows were never handed over and simply go again; in_flight
    rows may have been, so they go again marked `uncertain`.
    """

    PENDING = "pending"
    CLAIMED = "claimed"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    STATE_CHOICES = [
        (PENDING, "Pending"),
        (CLAIMED, "Claimed"),
        (IN_FLIGHT, "Being handed over"),
        (SENT, "Sent"),
        (FAILED, "Failed"),
        (SUPPRESSED, "Suppressed"),
    ]
    UNFINISHED = (PENDING, CLAIMED, IN_FLIGHT)

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="recipients")
    member = models.ForeignKey("members.Member", null=True, on_delete=models.SET_NULL, related_name="+")
    address = models.EmailField(max_length=254)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=PENDING)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    uncertain = models.BooleanField(default=False)
    reply = models.TextField(blank=True, help_text="The mail server's answer, or why it was not sent.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "member"], name="one_recipient_per_email_and_member")
        ]
        # Every index here is partial, so the one write between two messages (a row in_flight → sent, the
        # next claimed → in_flight) changes as few index pages as possible: only `recipient_held`'s, a
        # few hundred entries at most, and the end of `recipient_sent_at` (an index on (email, state)
        # rewrote three far-apart leaves per message; the write went from 5.3 WAL pages to 3.2).
        # Counting a send's rows by state reads its rows by `email`; that is the status view, once.
        indexes = [
            # The rows left to claim, in claim order; a row leaves it when claimed, with its chunk.
            models.Index(fields=["email", "id"], condition=Q(state="pending"), name="recipient_pending"),
            # The rows workers hold: the lease check before every claim, the limits' count.
            models.Index(fields=["email", "state"], condition=HELD, name="recipient_held"),
            # The failures listed in the status view and by `sendstatus`.
            models.Index(fields=["email", "id"], condition=Q(state="failed"), name="recipient_failed"),
            # The sending limits count recent messages across every send; only a sent row has sent_at.
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="recipient_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.state})"


class DeliveryEvent(models.Model):
    """A bounce or complaint reported by an email provider's webhook, recorded once per provider event."""

    provider = models.CharField(max_length=40)
    # The provider's event id, or a digest of the event when it gives none: the same event twice is one row.
    event_key = models.CharField(max_length=200)
    event_type = models.CharField(max_length=20)
    recipient = models.EmailField(max_length=254)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_key"], name="one_row_per_provider_event")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} from {self.provider}: {self.recipient}"
