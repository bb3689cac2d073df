"""Comments: members talk under each story. Rows and the rules that touch one model; workflows live in
services.py (see CONTEXT.md beside this file)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from byline.core.models import CachedSiteSettingMixin

EDIT_WINDOW = timedelta(hours=24)


@register_setting(icon="comment")
class CommentSettings(CachedSiteSettingMixin, BaseSiteSetting):
    """Site-wide comment rules and spam controls (the per-story switch is StoryPage.comments)."""

    OFF = "off"
    ALL_MEMBERS = "all"
    WHO_CHOICES = [(OFF, "Comments are off"), (ALL_MEMBERS, "All members can comment")]

    who_can_comment = models.CharField(max_length=10, choices=WHO_CHOICES, default=ALL_MEMBERS)
    hold_first_comment = models.BooleanField(
        "hold a member's first comment for approval",
        default=False,
        help_text="Until staff approve one of their comments, a member's comments wait in the queue.",
    )
    max_links = models.PositiveSmallIntegerField(
        "hold comments with more links than",
        default=2,
        help_text="Comments with more links than this wait for approval.",
    )
    blocked_words = models.TextField(
        blank=True,
        max_length=10000,
        help_text="One word or phrase per line. Comments containing one wait for approval.",
    )
    per_minute = models.PositiveSmallIntegerField("comments a member may post a minute", default=5)
    per_day = models.PositiveSmallIntegerField("comments a member may post a day", default=50)

    panels = [
        FieldPanel("who_can_comment"),
        MultiFieldPanel(
            [
                FieldPanel("hold_first_comment"),
                FieldPanel("max_links"),
                FieldPanel("blocked_words"),
                FieldPanel("per_minute"),
                FieldPanel("per_day"),
            ],
            "Spam controls",
        ),
    ]

    class Meta:
        verbose_name = "comment settings"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The story page reads these from the cache (see CachedSiteSettingMixin).
        CommentSettings.forget_cached([self.site_id])

    @property
    def blocked_word_list(self) -> list[str]:
        return [line.strip().casefold() for line in self.blocked_words.splitlines() if line.strip()]


class CommentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Comment.PUBLISHED)

    def visible_in_thread(self):
        # Hidden and deleted comments stay in the thread as a placeholder while they have replies.
        return self.exclude(status=Comment.PENDING)


class Comment(models.Model):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"
    DELETED = "deleted"
    STATUS_CHOICES = [
        (PUBLISHED, "Published"),
        (PENDING, "Waiting for approval"),
        (HIDDEN, "Hidden by staff"),
        (DELETED, "Deleted"),
    ]

    story = models.ForeignKey("stories.StoryPage", on_delete=models.CASCADE, related_name="comment_set")
    # SET_NULL: a deleted member's words stay, shown as "Deleted member".
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    # The name of someone who wrote this without being a member here: comments brought in by an
    # import (WordPress's commenters). Nobody can edit, delete or be notified about such a comment
    # as its writer; staff moderate it like any other.
    guest_name = models.CharField(max_length=200, blank=True)
    # One level of replies: `parent` is always a top-level comment; `in_reply_to` the comment answered.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PUBLISHED, db_index=True)
    hold_reason = models.CharField(max_length=200, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["story", "parent", "status", "created_at"]),
            models.Index(fields=["member", "created_at"]),
        ]

    def __str__(self) -> str:
        from byline.lib.text import html_to_plaintext

        who = self.member_name
        text = html_to_plaintext(self.html)[:60]
        return f"{who}: {text}" if text else f"{who} ({self.get_status_display()})"

    @property
    def is_guest(self) -> bool:
        return self.member_id is None and bool(self.guest_name)

    @property
    def member_name(self) -> str:
        """The writer's name as readers see it (a guest's name for an imported comment)."""
        if self.member is None:
            return self.guest_name or "Deleted member"
        return self.member.name or "Anonymous"

    @property
    def initials(self) -> str:
        if self.member is not None:
            return self.member.initials
        words = [word for word in self.guest_name.split() if word[:1].isalnum()]
        if not words:
            return "?"
        return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()

    @property
    def is_published(self) -> bool:
        return self.status == self.PUBLISHED

    def editable_until(self):
        return self.created_at + EDIT_WINDOW


class ThreadCounts(models.Model):
    """A story's comment counts, kept on write (services.recount after every change to its comments) so
    a story page reads two numbers instead of counting its thread.

    `top_level` counts the thread's top-level comments as pages show them (published ones, and removed
    ones still holding up published replies); `published` every published comment, replies included.
    A story nobody has commented on has no row: both are 0."""

    story = models.OneToOneField(
        "stories.StoryPage", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    top_level = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Story {self.story_id}: {self.published} comments"


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="comment_likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "member"], name="one_like_per_member")]

    def __str__(self) -> str:
        return f"{self.member} likes comment {self.comment_id}"


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    member = models.ForeignKey(
        "members.Member", null=True, on_delete=models.SET_NULL, related_name="comment_reports"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["comment", "member"], name="one_report_per_member")]

    def __str__(self) -> str:
        return self.reason


class CommentBan(models.Model):
    """A member who may no longer comment, like or report. Deleting the row lifts the ban."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="comment_ban")
    reason = models.CharField(max_length=500, blank=True)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "comment ban"

    def __str__(self) -> str:
        return f"{self.member} (banned from commenting)"


class CommentNotificationPreference(models.Model):
    """A member's choice about emails for replies to their comments (on unless they turned it off)."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="comment_notifications"
    )
    replies = models.BooleanField("email me when someone replies to my comment", default=True)

    def __str__(self) -> str:
        return f"{self.member}: reply emails {'on' if self.replies else 'off'}"


class AuthorCommentAlert(models.Model):
    """Authors are byline credits, not logins: this gives one an address, used for two things — emails
    about new comments on their stories (when they want them) and the "Author" badge when a member with
    that address comments on their stories."""

    author = models.OneToOneField("stories.Author", on_delete=models.CASCADE, related_name="comment_alert")
    email = models.EmailField(max_length=254)
    notify_on_comment = models.BooleanField("email me about new comments on my stories", default=True)

    panels = [FieldPanel("author"), FieldPanel("email"), FieldPanel("notify_on_comment")]

    class Meta:
        verbose_name = "author comment alert"

    def __str__(self) -> str:
        return f"{self.author} <{self.email}>"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)
