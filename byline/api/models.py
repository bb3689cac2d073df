"""Integrations: the keys that outside tools (front ends, scripts, automations) use to talk to the API."""

import secrets

from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel


def new_content_key() -> str:
    # Ghost's shape: 26 hex characters (13 random bytes); Ghost's clients refuse anything else.
    return secrets.token_hex(13)


def new_admin_key_id() -> str:
    return secrets.token_hex(12)


def new_admin_secret() -> str:
    return secrets.token_hex(32)


class Integration(models.Model):
    """One outside tool. Deleting it revokes both of its keys at once."""

    name = models.CharField(max_length=191)
    description = models.CharField(max_length=2000, blank=True)
    content_key = models.CharField(max_length=26, unique=True, default=new_content_key, editable=False)
    admin_key_id = models.CharField(max_length=24, unique=True, default=new_admin_key_id, editable=False)
    # Kept in the clear: verifying an Admin API token needs the secret itself (HMAC), as in Ghost.
    admin_secret = models.CharField(max_length=64, default=new_admin_secret, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [FieldPanel("name"), FieldPanel("description")]

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def admin_api_key(self) -> str:
        """What Ghost's Admin API client is given: `<id>:<secret>`."""
        return f"{self.admin_key_id}:{self.admin_secret}"

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "content_api_key": self.content_key,
            "admin_api_key": self.admin_api_key,
            "created_at": self.created_at.isoformat(),
        }


EVENTS = [
    "site.changed",
    *(f"{kind}.{action}" for kind in ("post", "page") for action in (
        "added", "edited", "deleted", "published", "published.edited", "unpublished",
    )),
    "tag.added",
    "tag.edited",
    "tag.deleted",
    "member.added",
    "member.edited",
    "member.deleted",
]  # fmt: skip


class Webhook(models.Model):
    """An address that hears about one kind of event, for one integration (Ghost's webhook)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhooks")
    event = models.CharField(max_length=50, choices=[(event, event) for event in EVENTS])
    target_url = models.URLField(max_length=2000)
    name = models.CharField(max_length=191, blank=True)
    secret = models.CharField(
        max_length=191, blank=True, help_text="Signs each delivery (X-Ghost-Signature)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    last_triggered_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_triggered_status = models.CharField(max_length=50, blank=True, editable=False)
    last_triggered_error = models.TextField(blank=True, editable=False)

    panels = [
        FieldPanel("integration"),
        FieldPanel("event"),
        FieldPanel("target_url"),
        FieldPanel("name"),
        FieldPanel("secret"),
    ]

    class Meta:
        ordering = ["integration", "event", "pk"]

    def __str__(self) -> str:
        return f"{self.event} → {self.target_url}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from byline.api.webhooks import TargetRefused, check_target

        try:
            check_target(self.target_url)
        except TargetRefused as refused:
            raise ValidationError({"target_url": str(refused)})
