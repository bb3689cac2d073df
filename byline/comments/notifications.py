"""Emails about comments: one small function per email, each rendering `templates/emails/<name>/`.

`comment_published` runs after the comment's transaction commits and only queues the task, so a slow
mail server never slows a member's post."""

from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string

from byline.comments import tasks
from byline.comments.models import AuthorCommentAlert, Comment, CommentNotificationPreference
from byline.comments.text import plain_text

REPLIES_OFF_SALT = "byline.comments.replies-off"


def comment_published(comment_id: int) -> None:
    tasks.notify_comment_published.enqueue(comment_id=comment_id)


def replies_off_token(member) -> str:
    return signing.dumps({"m": str(member.uuid)}, salt=REPLIES_OFF_SALT)


def replies_off_url(member) -> str:
    return f"{settings.BYLINE_URL.rstrip('/')}/comments/notifications/off/{replies_off_token(member)}/"


def read_replies_off_token(token: str):
    """The member a replies-off link names, or None when the link is tampered with or stale."""
    from byline.members.models import Member

    try:
        data = signing.loads(token, salt=REPLIES_OFF_SALT)
        return Member.objects.filter(uuid=data["m"]).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def wants_reply_emails(member) -> bool:
    row = CommentNotificationPreference.objects.filter(member=member).first()
    return row is None or row.replies


def set_reply_emails(member, wanted: bool) -> None:
    CommentNotificationPreference.objects.update_or_create(member=member, defaults={"replies": wanted})


def send_for(comment: Comment, publication_name: str = "") -> int:
    """Queue the emails a newly published comment deserves; the number queued."""
    if comment.member is None or comment.status != Comment.PUBLISHED:
        return 0
    story_url = f"{settings.BYLINE_URL.rstrip('/')}{comment.story.url}#comment-{comment.pk}"
    context = {
        "publication_name": publication_name,
        "story_title": comment.story.title,
        "story_url": story_url,
        "commenter": comment.member_name,
        "text": plain_text(comment.html),
    }
    sent = 0
    addresses = {comment.member.email}
    answered = comment.in_reply_to or comment.parent
    replied_to = answered.member if answered is not None else None
    if replied_to is not None and replied_to.email not in addresses and wants_reply_emails(replied_to):
        off = replies_off_url(replied_to)
        _queue("comment_reply", replied_to.email, {**context, "off_url": off}, unsubscribe=off)
        addresses.add(replied_to.email)
        sent += 1
    alerts = AuthorCommentAlert.objects.filter(
        author__story_links__story_id=comment.story_id, notify_on_comment=True
    ).select_related("author")
    for alert in alerts:
        if alert.email in addresses:
            continue
        _queue("comment_new", alert.email, {**context, "author_name": alert.author.name})
        addresses.add(alert.email)
        sent += 1
    return sent


def _queue(name: str, to: str, context: dict, unsubscribe: str = "") -> None:
    subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
    body = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    sender = settings.DEFAULT_FROM_EMAIL
    if context["publication_name"]:
        sender = formataddr((context["publication_name"], sender))
    headers = {}
    if unsubscribe:
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    tasks.send_email.enqueue(to=to, subject=subject, body=body, html=html, from_email=sender, headers=headers)
