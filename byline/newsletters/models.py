"""Newsletters: the named lists members subscribe to. Sending lives in services.py and tasks.py."""

import uuid

from django.db import models
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
        FieldPanel("status"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:120] or "newsletter"
        super().save(*args, **kwargs)
