"""Delivery webhooks from email providers, at /webhooks/email/<provider>/tracking/ (django-anymail's views).

They are only served when ANYMAIL_WEBHOOK_SECRET is set: without it anyone could post a fake bounce and
switch off a member's email.
"""

from functools import wraps

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import Http404
from django.urls import URLPattern

app_name = "newsletters"


def _only_with_a_secret(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
            raise Http404("Email webhooks are not configured")
        return view(request, *args, **kwargs)

    return guarded


urlpatterns = [
    URLPattern(pattern.pattern, _only_with_a_secret(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urls.urlpatterns
    if "tracking" in (pattern.name or "") or "mandrill" in (pattern.name or "")
]
