"""Slow comment work: deciding who to tell about a comment and sending those emails."""

from django.core.mail import EmailMultiAlternatives
from django_tasks import task


@task(queue_name="default")
def notify_comment_published(*, comment_id: int) -> int:
    from wagtail.models import Site

    from byline.comments import notifications
    from byline.comments.models import Comment

    comment = (
        Comment.objects.select_related("story", "member", "in_reply_to__member", "parent__member")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        return 0
    site = Site.objects.filter(is_default_site=True).first()
    name = ""
    if site is not None:
        from byline.core.models import PublicationSettings

        name = PublicationSettings.for_site(site).name
    return notifications.send_for(comment, publication_name=name)


@task(queue_name="default")
def send_email(*, to: str, subject: str, body: str, html: str, from_email=None, headers=None) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=from_email, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    message.send()
