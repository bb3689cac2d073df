"""Reading the emails a live-server test sent (Django's locmem outbox)."""

from urllib.parse import urlsplit

from django.core import mail


def emailed_link_path() -> str:
    """The magic link of the last email, as a path on the live server."""
    body = mail.outbox[-1].body
    link = next(word for word in body.split() if "/members/?token=" in word)
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"
