"""Slow member work: sending their email happens here, so a slow mail server never blocks a request."""

from django.core.mail import EmailMultiAlternatives
from django_tasks import task


@task(queue_name="default")
def send_email(
    *,
    to: str,
    subject: str,
    body: str,
    html: str,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=from_email, to=[to], reply_to=reply_to or None
    )
    message.attach_alternative(html, "text/html")
    message.send()
