"""One small function per member email; each renders `templates/emails/<name>/` and queues the send.

Each takes the publication's settings row (or None): its name appears in the text, and its sender name,
sender address and support address make the From and Reply-To headers.
"""

from email.utils import formataddr

from django.conf import settings
from django.template.loader import render_to_string

from byline.members import tasks


def _one_line(value: str) -> str:
    # Headers must not carry line breaks (header injection); site settings are typed by people.
    return " ".join((value or "").split())


def sender_of(publication) -> tuple[str, list[str]]:
    """(From, Reply-To list) for members' emails: the site settings' sender, or the server's default."""
    address = (publication and publication.sender_email) or settings.DEFAULT_FROM_EMAIL
    name = _one_line(publication and (publication.sender_name or publication.name) or "")
    sender = formataddr((name, address)) if name else address
    reply_to = [publication.support_email] if publication and publication.support_email else []
    return sender, reply_to


def _queue(name: str, to: str, publication, context: dict) -> None:
    context = {
        "link_minutes": settings.MEMBERS_LINK_MINUTES,
        "publication_name": publication.name if publication else "",
        **context,
    }
    # One line, whatever the template holds: a subject is a mail header.
    subject = _one_line(render_to_string(f"emails/{name}/subject.txt", context))
    body = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    sender, reply_to = sender_of(publication)
    tasks.send_email.enqueue(
        to=to, subject=subject, body=body, html=html, from_email=sender, reply_to=reply_to
    )


def send_signup_link(to: str, *, link: str, publication=None) -> None:
    _queue("signup_link", to, publication, {"link": link})


def send_signin_link(to: str, *, link: str, publication=None) -> None:
    _queue("signin_link", to, publication, {"link": link})


def send_no_account(to: str, *, link: str, publication=None) -> None:
    """Someone asked to sign in with an address that has no account: say so, and offer a sign-up link."""
    _queue("no_account", to, publication, {"link": link})


def send_email_change(to: str, *, link: str, publication=None) -> None:
    """Sent to the NEW address of an email change: the change happens when its link is redeemed."""
    _queue("email_change", to, publication, {"link": link})
