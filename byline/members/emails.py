"""One small function per member email; each renders `templates/emails/<name>/` and queues the send."""

from email.utils import formataddr

from django.conf import settings
from django.template.loader import render_to_string

from byline.members import tasks


def _queue(name: str, to: str, context: dict) -> None:
    context = {"link_minutes": settings.MEMBERS_LINK_MINUTES, **context}
    context.setdefault("publication_name", "")
    # One line, whatever the template holds: a subject is a mail header.
    subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
    body = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    sender = settings.DEFAULT_FROM_EMAIL
    if context["publication_name"]:
        sender = formataddr((context["publication_name"], sender))
    tasks.send_email.enqueue(to=to, subject=subject, body=body, html=html, from_email=sender)


def send_signup_link(to: str, *, link: str, publication_name: str = "") -> None:
    _queue("signup_link", to, {"link": link, "publication_name": publication_name})


def send_signin_link(to: str, *, link: str, publication_name: str = "") -> None:
    _queue("signin_link", to, {"link": link, "publication_name": publication_name})


def send_no_account(to: str, *, link: str, publication_name: str = "") -> None:
    """Someone asked to sign in with an address that has no account: say so, and offer a sign-up link."""
    _queue("no_account", to, {"link": link, "publication_name": publication_name})


def send_email_change(to: str, *, link: str, publication_name: str = "") -> None:
    """Sent to the NEW address of an email change: the change happens when its link is redeemed."""
    _queue("email_change", to, {"link": link, "publication_name": publication_name})
