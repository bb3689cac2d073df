"""Members: readers with an account. Never Django users: they sign in by magic link only."""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify


class Label(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:120] or "label"
        super().save(*args, **kwargs)


class Member(models.Model):
    FREE = "free"
    STATUS_CHOICES = [(FREE, "Free")]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Stored lower-cased (see services.normalise_email); the constraint below guards the rule.
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=191, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=FREE)
    labels = models.ManyToManyField(Label, blank=True, related_name="members")
    newsletters = models.ManyToManyField("newsletters.Newsletter", blank=True, related_name="subscribers")
    # Set when the address bounces hard or complains: no more newsletters to it.
    email_disabled = models.BooleanField(default=False)
    # Bumped by "sign out everywhere": sessions made under an older generation are refused.
    session_generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_member_email_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        # Staff can add and edit members in the admin: keep the stored form the services rely on.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    # Columns of the members CSV export (Ghost's names where Ghost has the column).
    def subscribed_to_emails(self) -> bool:
        return not self.email_disabled and bool(self.newsletters.all())

    def label_names(self) -> str:
        return ",".join(label.name for label in self.labels.all())

    def newsletter_slugs(self) -> str:
        return ",".join(newsletter.slug for newsletter in self.newsletters.all())

    @property
    def initials(self) -> str:
        words = [word for word in (self.name or "").split() if word[:1].isalnum()]
        if not words:
            return self.email[:1].upper() or "?"
        return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


class SignInToken(models.Model):
    """One emailed link. Only the token's SHA-256 is stored, so a database leak signs nobody in."""

    SIGNUP = "signup"
    SIGNIN = "signin"
    EMAIL_CHANGE = "email_change"
    PURPOSE_CHOICES = [(SIGNUP, "Sign up"), (SIGNIN, "Sign in"), (EMAIL_CHANGE, "Email change")]

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    purpose = models.CharField(max_length=20, choices=PURPOSE_CHOICES)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=191, blank=True)
    newsletter_slugs = models.JSONField(default=list, blank=True)
    redirect_to = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} link for {self.email}"
