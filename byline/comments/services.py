"""Comment workflows: posting, replying, editing, deleting, liking, reporting, moderation and bans.

Plain functions with explicit arguments; the views, the JSON API and the admin call these. Every
change that alters what a story page shows sends `comment_changed` for that story after commit.
Rules and decisions: CONTEXT.md beside this file.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone
from wagtail.log_actions import log

from byline.comments import text as comment_text
from byline.comments.models import (
    AuthorCommentAlert,
    Comment,
    CommentBan,
    CommentLike,
    CommentReport,
    CommentSettings,
    ThreadCounts,
)
from byline.comments.signals import comment_changed
from byline.lib import ratelimit

REPORT_REASON_MAX = 500
REPLIES_PREVIEW = 3
PER_PAGE = 20
MAX_PER_PAGE = 100
ORDERS = {"oldest": ("created_at", "id"), "newest": ("-created_at", "-id")}


class CommentError(Exception):
    """A refused action: `message` is for the member, `code` for clients, `status` the HTTP answer."""

    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


MAX_ID = 2**63 - 1


def valid_id(value) -> int | None:
    """A row id from a URL or a request body, or None: huge numbers would overflow the database."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def settings_for_site(site) -> CommentSettings:
    return CommentSettings.for_site(site)


# Who may do what ----------------------------------------------------------------------------------


def thread_shown(story, site_settings: CommentSettings) -> bool:
    return site_settings.who_can_comment != CommentSettings.OFF and story.comments != story.COMMENTS_HIDDEN


def open_for_new_comments(story, site_settings: CommentSettings) -> bool:
    return thread_shown(story, site_settings) and story.comments == story.COMMENTS_OPEN


def is_banned(member) -> bool:
    return member is not None and CommentBan.objects.filter(member=member).exists()


def _require_member(member) -> None:
    if member is None:
        raise CommentError("Sign in to join the conversation.", "unauthorized", 401)
    if is_banned(member):
        raise CommentError("You can no longer take part in comments here.", "banned", 403)


def _require_open(story, site_settings) -> None:
    if not story.live or not thread_shown(story, site_settings):
        raise CommentError("Comments are off for this story.", "comments_off", 403)
    if story.comments != story.COMMENTS_OPEN:
        raise CommentError("Comments are closed on this story.", "comments_closed", 403)


def _spend_rate_limit(member, site_settings) -> None:
    key = str(member.pk)
    if not ratelimit.hit("comments:minute", key, limit=site_settings.per_minute, window=60):
        raise CommentError("You are commenting too fast. Wait a minute and try again.", "rate_limited", 429)
    if not ratelimit.hit("comments:day", key, limit=site_settings.per_day, window=86400):
        raise CommentError(
            "You have reached today's limit of comments. Try again tomorrow.", "rate_limited", 429
        )


def _hold_reason(member, html: str, site_settings) -> str:
    """Why a comment waits for approval ("" when it can go up at once)."""
    if site_settings.hold_first_comment and not member.comments.filter(status=Comment.PUBLISHED).exists():
        return "first comment"
    if comment_text.count_links(html) > site_settings.max_links:
        return f"more than {site_settings.max_links} links"
    words = comment_text.plain_text(html).casefold()
    for blocked in site_settings.blocked_word_list:
        if blocked in words:
            return "blocked word"
    return ""


def _changed(story) -> None:
    transaction.on_commit(lambda: comment_changed.send(sender=Comment, story=story))


# Members' actions ---------------------------------------------------------------------------------


def post_comment(*, member, story, text, site_settings, reply_to: Comment | None = None) -> Comment:
    """A new comment (or a reply when `reply_to` is given). Raises CommentError."""
    _require_member(member)
    _require_open(story, site_settings)
    html = _to_html(text)
    parent = None
    if reply_to is not None:
        if reply_to.story_id != story.pk:
            raise CommentError("That comment is on another story.", "invalid_parent", 400)
        if reply_to.status != Comment.PUBLISHED:
            raise CommentError("You can't reply to this comment: it has been removed.", "parent_removed", 400)
        parent = reply_to.parent or reply_to
        if parent.status == Comment.DELETED:
            raise CommentError(
                "You can't reply here: the thread's first comment was deleted.", "parent_removed"
            )
    _spend_rate_limit(member, site_settings)
    reason = _hold_reason(member, html, site_settings)
    comment = Comment.objects.create(
        story=story,
        member=member,
        parent=parent,
        in_reply_to=reply_to,
        html=html,
        status=Comment.PENDING if reason else Comment.PUBLISHED,
        hold_reason=reason,
    )
    if comment.is_published:
        _published(comment)
    return comment


def _to_html(text) -> str:
    try:
        return comment_text.to_html(text)
    except comment_text.CommentTextError as error:
        code = "too_long" if "at most" in str(error) else "invalid_text"
        raise CommentError(str(error), code, 400) from None


def _published(comment: Comment) -> None:
    """A comment went up: the page changes, and the people who asked to be told are told."""
    from byline.comments import notifications

    _changed(comment.story)
    transaction.on_commit(lambda: notifications.comment_published(comment.pk))


def _own(member, comment: Comment) -> None:
    _require_member(member)
    if comment.member_id != member.pk:
        raise CommentError("You can only change your own comments.", "forbidden", 403)
    if comment.status in (Comment.DELETED, Comment.HIDDEN):
        raise CommentError("This comment has been removed.", "not_found", 404)


def edit_comment(*, member, comment: Comment, text, site_settings) -> Comment:
    _own(member, comment)
    if timezone.now() > comment.editable_until():
        raise CommentError("Comments can only be edited for 24 hours after posting.", "edit_expired", 403)
    html = _to_html(text)
    comment.html = html
    comment.edited_at = timezone.now()
    reason = _hold_reason(member, html, site_settings) if comment.status == Comment.PUBLISHED else ""
    if reason:
        comment.status, comment.hold_reason = Comment.PENDING, reason
    comment.save(update_fields=["html", "edited_at", "status", "hold_reason"])
    _changed(comment.story)
    return comment


def delete_comment(*, member, comment: Comment) -> None:
    """The member takes their words back: the text goes; replies stay under a placeholder."""
    _own(member, comment)
    comment.status, comment.html = Comment.DELETED, ""
    comment.save(update_fields=["status", "html"])
    _changed(comment.story)


def _likeable(member, comment: Comment) -> None:
    _require_member(member)
    if comment.status != Comment.PUBLISHED:
        raise CommentError("This comment has been removed.", "not_found", 404)


def like(*, member, comment: Comment) -> Comment:
    """Idempotent: liking twice counts once."""
    _likeable(member, comment)
    try:
        with transaction.atomic():
            CommentLike.objects.create(comment=comment, member=member)
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
    except IntegrityError:
        pass
    else:
        _changed(comment.story)
    comment.refresh_from_db(fields=["like_count"])
    return comment


def unlike(*, member, comment: Comment) -> Comment:
    _likeable(member, comment)
    with transaction.atomic():
        removed, _ = CommentLike.objects.filter(comment=comment, member=member).delete()
        if removed:
            Comment.objects.filter(pk=comment.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    if removed:
        _changed(comment.story)
    comment.refresh_from_db(fields=["like_count"])
    return comment


def report(*, member, comment: Comment, reason) -> CommentReport:
    """One report per member and comment; reporting again keeps the first reason."""
    _require_member(member)
    if comment.status != Comment.PUBLISHED:
        raise CommentError("This comment has been removed.", "not_found", 404)
    if comment.member_id == member.pk:
        raise CommentError("You can't report your own comment.", "forbidden", 403)
    reason = " ".join(str(reason or "").split()) if isinstance(reason, str) else ""
    if not reason:
        raise CommentError("Tell us what is wrong with this comment.", "invalid_reason", 400)
    if len(reason) > REPORT_REASON_MAX:
        raise CommentError(f"Keep the reason under {REPORT_REASON_MAX} characters.", "invalid_reason", 400)
    existing = CommentReport.objects.filter(comment=comment, member=member).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            row = CommentReport.objects.create(comment=comment, member=member, reason=reason)
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
    except IntegrityError:  # a concurrent double click
        return CommentReport.objects.get(comment=comment, member=member)
    return row


# Moderation (staff) -------------------------------------------------------------------------------

MODERATION_ACTIONS = {
    # action: (new status, statuses it applies to, log action)
    "hide": (Comment.HIDDEN, {Comment.PUBLISHED, Comment.PENDING}, "byline_comments.hide"),
    "unhide": (Comment.PUBLISHED, {Comment.HIDDEN}, "byline_comments.unhide"),
    "approve": (Comment.PUBLISHED, {Comment.PENDING}, "byline_comments.approve"),
    "delete": (
        Comment.DELETED,
        {Comment.PUBLISHED, Comment.PENDING, Comment.HIDDEN},
        "byline_comments.delete",
    ),
}


def moderate(comments, action: str, user) -> int:
    """Apply a staff action to each comment it fits, logging each in Wagtail's history; the count done."""
    new_status, applies_to, log_action = MODERATION_ACTIONS[action]
    done = 0
    with transaction.atomic():
        for comment in comments:
            if comment.status not in applies_to:
                continue
            was = comment.status
            comment.status = new_status
            if action == "unhide" or action == "approve":
                comment.hold_reason = ""
            comment.save(update_fields=["status", "hold_reason"])
            log(instance=comment, action=log_action, user=user, data={"from": was, "to": new_status})
            _changed(comment.story)
            if new_status == Comment.PUBLISHED and was == Comment.PENDING:
                _published(comment)
            done += 1
    return done


def ban(member, *, user, reason: str = "", hide_comments: bool = False) -> CommentBan:
    with transaction.atomic():
        row, _ = CommentBan.objects.get_or_create(
            member=member, defaults={"reason": reason[:500], "banned_by": user}
        )
        log(instance=row, action="byline_comments.ban", user=user, data={"member": member.email})
        if hide_comments:
            moderate(
                Comment.objects.filter(member=member, status__in=[Comment.PUBLISHED, Comment.PENDING]),
                "hide",
                user,
            )
    return row


def unban(row: CommentBan, *, user) -> None:
    with transaction.atomic():
        log(instance=row, action="byline_comments.unban", user=user, data={"member": row.member.email})
        row.delete()


# Reading ------------------------------------------------------------------------------------------


def counts(story_ids) -> dict[int, int]:
    """Published comments (replies included) per story, for any number of stories in one query."""
    story_ids = list(story_ids)
    found = dict(ThreadCounts.objects.filter(story_id__in=story_ids).values_list("story_id", "published"))
    return {story_id: found.get(story_id, 0) for story_id in story_ids}


def _published_replies():
    return Comment.objects.filter(parent=OuterRef("pk"), status=Comment.PUBLISHED)


def top_level(story, order: str = "oldest"):
    """Top-level comments in the thread: published ones, and removed ones still holding up replies."""
    return (
        Comment.objects.filter(story=story, parent=None)
        .filter(
            Q(status=Comment.PUBLISHED)
            | (Q(status__in=[Comment.HIDDEN, Comment.DELETED]) & Exists(_published_replies()))
        )
        .annotate(reply_count=Count("replies", filter=Q(replies__status=Comment.PUBLISHED)))
        .select_related("member")
        .order_by(*ORDERS.get(order, ORDERS["oldest"]))
    )


def thread_counts(story) -> tuple[int, int]:
    """(top-level threads as top_level() counts them, published comments), as last recounted."""
    found = ThreadCounts.objects.filter(story_id=story.pk).values_list("top_level", "published").first()
    return found or (0, 0)


def recount(story_ids) -> None:
    """Count the threads of these stories again from their comments and store the counts.

    Runs after every change to a story's comments (the post_save signal, bulk writes call it), in
    the writer's transaction. The stories' rows are locked first, so when two writers recount one
    story the second counts after the first has committed: the last count stored is the true one.
    """
    ids = sorted(set(story_ids))
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            _recount(ids[start : start + 500])


def _recount(ids: list[int]) -> None:
    ThreadCounts.objects.bulk_create([ThreadCounts(story_id=pk) for pk in ids], ignore_conflicts=True)
    list(ThreadCounts.objects.select_for_update().filter(story_id__in=ids).order_by("pk").values_list("pk"))
    shown_at_top = Q(parent=None) & (
        Q(status=Comment.PUBLISHED)
        | (Q(status__in=[Comment.HIDDEN, Comment.DELETED]) & Exists(_published_replies()))
    )
    rows = (
        Comment.objects.filter(story_id__in=ids)
        .values("story_id")
        .annotate(top=Count("id", filter=shown_at_top), total=Count("id", filter=Q(status=Comment.PUBLISHED)))
        .order_by()
    )
    found = {row["story_id"]: (row["top"], row["total"]) for row in rows}
    ThreadCounts.objects.bulk_update(
        [ThreadCounts(story_id=pk, top_level=found.get(pk, (0, 0))[0], published=found.get(pk, (0, 0))[1])
         for pk in ids],
        ["top_level", "published"],
    )  # fmt: skip


def replies_of(parents, limit: int | None = REPLIES_PREVIEW) -> dict[int, list[Comment]]:
    """The first `limit` published replies of each parent, oldest first, in one query."""
    ids = [parent.pk for parent in parents]
    if not ids:
        return {}
    rows = (
        Comment.objects.filter(parent_id__in=ids, status=Comment.PUBLISHED)
        .select_related("member", "in_reply_to__member")
        .order_by("created_at", "id")
    )
    if limit is not None:
        rows = rows.annotate(
            position=Window(RowNumber(), partition_by=[F("parent_id")], order_by=[F("created_at"), F("id")])
        ).filter(position__lte=limit)
    found: dict[int, list[Comment]] = {pk: [] for pk in ids}
    for row in rows:
        found[row.parent_id].append(row)
    return found


@dataclass
class ThreadPage:
    comments: list[Comment]
    total: int  # published comments on the story, replies included
    page: int
    pages: int
    order: str
    badges: dict
    top_count: int = 0  # top-level comments in the thread (what pages count)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def thread(story, *, order: str = "oldest", page: int = 1, per_page: int = PER_PAGE) -> ThreadPage:
    """One page of top-level comments, each with its first replies, in a fixed number of queries."""
    order = order if order in ORDERS else "oldest"
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    top_count, total = thread_counts(story)
    pages = max(1, -(-top_count // per_page))
    page = max(1, min(page, pages))
    # Most stories have no comments: then the counts are the only query (and nothing else is built).
    comments = list(top_level(story, order)[(page - 1) * per_page : page * per_page]) if top_count else []
    replies = replies_of(comments)
    everyone = []
    for comment in comments:
        comment.preview_replies = replies.get(comment.pk, [])
        comment.more_replies = max(0, comment.reply_count - len(comment.preview_replies))
        everyone += [comment, *comment.preview_replies]
    return ThreadPage(
        comments=comments,
        total=total,
        page=page,
        pages=pages,
        order=order,
        badges=badges(story, [comment.member for comment in everyone]),
        top_count=top_count,
    )


def badges(story, members) -> dict[int, str]:
    """member id → "Author" (credited on this story) or "Staff" (a staff user), matched by address."""
    by_email = {member.email.lower(): member.pk for member in members if member is not None}
    if not by_email:
        return {}
    found = {}
    staff = (
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=list(by_email), is_active=True)
        .filter(Q(is_superuser=True) | Q(is_staff=True) | Q(groups__permissions__codename="access_admin"))
        .values_list("address", flat=True)
    )
    for address in staff:
        found[by_email[address]] = "Staff"
    authors = AuthorCommentAlert.objects.filter(
        author__story_links__story_id=story.pk, email__in=list(by_email)
    ).values_list("email", flat=True)
    for address in authors:
        found[by_email[address]] = "Author"
    return found


def liked_ids(member, comment_ids) -> set[int]:
    if member is None:
        return set()
    return set(
        CommentLike.objects.filter(member=member, comment_id__in=list(comment_ids)).values_list(
            "comment_id", flat=True
        )
    )


def site_url() -> str:
    return django_settings.BYLINE_URL.rstrip("/")


# Imports ------------------------------------------------------------------------------------------


@dataclass
class ImportedComment:
    """A comment brought from another system (a WordPress export), written by someone who is not a
    member here: only their name comes with it."""

    key: str  # the comment's id in the source, for threading
    story_id: int
    guest_name: str
    html: str  # as the source stored it; sanitised here
    created_at: datetime
    approved: bool
    parent_key: str = ""


@dataclass
class ImportedComments:
    created: list[Comment]
    existing: list[str]  # keys of comments already on the story (an earlier import of the same file)
    empty: list[str]  # keys of comments with nothing left once sanitised


def import_guest_comments(rows: list[ImportedComment], *, batch_size: int = 1000) -> ImportedComments:
    """Write imported comments in bulk: no notification, no rate limit, no hold rule, no signal (the
    importer's bulk change purges the page cache once). Approved comments are published; the others
    wait for approval (pending), where moderators find them. Replies are one level deep, as ours:
    a reply to a reply goes under the same top-level comment with `in_reply_to` the one it answers;
    a reply whose parent is not imported (spam, trash, another story) becomes a top-level comment.
    A comment already on its story (same guest, same time: the same file imported again with
    --on-conflict overwrite) is not written twice."""
    result = ImportedComments(created=[], existing=[], empty=[])
    by_key = {row.key: row for row in rows}
    placed: dict[str, int] = {}  # key → the comment's id (new or existing)
    existing = _existing_guest_comments({row.story_id for row in rows})
    keep = []
    for row in rows:
        found = existing.get((row.story_id, row.guest_name, row.created_at))
        if found is not None:
            placed[row.key] = found
            result.existing.append(row.key)
            continue
        row.html = comment_text.from_imported_html(row.html)
        if not row.html:
            result.empty.append(row.key)
            continue
        keep.append(row)
    kept = {row.key for row in keep} | set(placed)

    def chain(row) -> list[ImportedComment]:
        """The row's ancestors that are imported, nearest first (a loop in the file ends the chain)."""
        ancestors, seen = [], {row.key}
        parent = by_key.get(row.parent_key)
        while parent is not None and parent.key in kept and parent.story_id == row.story_id:
            if parent.key in seen:
                return []
            ancestors.append(parent)
            seen.add(parent.key)
            parent = by_key.get(parent.parent_key)
        return ancestors

    # Depth by depth, so that every parent has its id before its replies are written.
    by_depth: dict[int, list[tuple[ImportedComment, list]]] = {}
    for row in keep:
        ancestors = chain(row)
        by_depth.setdefault(len(ancestors), []).append((row, ancestors))
    for depth in sorted(by_depth):
        comments = [
            Comment(
                story_id=row.story_id,
                guest_name=row.guest_name[:200],
                parent_id=placed[ancestors[-1].key] if ancestors else None,
                in_reply_to_id=placed[ancestors[0].key] if ancestors else None,
                html=row.html,
                status=Comment.PUBLISHED if row.approved else Comment.PENDING,
                hold_reason="" if row.approved else "Not approved in the imported site",
                created_at=row.created_at,
            )
            for row, ancestors in by_depth[depth]
        ]
        Comment.objects.bulk_create(comments, batch_size=batch_size)
        for (row, _), comment in zip(by_depth[depth], comments, strict=True):
            placed[row.key] = comment.pk
        result.created += comments
    recount({comment.story_id for comment in result.created})  # bulk_create sends no post_save
    return result


def _existing_guest_comments(story_ids) -> dict[tuple, int]:
    story_ids = sorted(story_ids)
    found = {}
    for start in range(0, len(story_ids), 500):
        rows = Comment.objects.filter(
            story_id__in=story_ids[start : start + 500], member=None, guest_name__gt=""
        ).values_list("story_id", "guest_name", "created_at", "pk")
        for story_id, name, created_at, pk in rows:
            found[(story_id, name, created_at)] = pk
    return found
