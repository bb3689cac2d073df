"""Webhooks out: Ghost's events, delivered as Ghost delivers them.

A change (a story published, a tag edited, a member added…) queues one delivery task per webhook that
listens for its event, after the transaction commits, so a rolled-back change announces nothing. The task
POSTs the JSON body with `Content-Version` and, when the webhook has a secret,
`X-Ghost-Signature: sha256=<HMAC-SHA256(secret, body + t)>, t=<ms>`; it waits WEBHOOK_TIMEOUT_SECONDS,
retries WEBHOOK_ATTEMPTS times with doubling pauses, deletes the webhook on 410 Gone, and records the last
status and error on the webhook (shown in the admin). Targets on loopback, private, link-local and other
special addresses are refused, when the webhook is saved and again before each attempt, unless
WEBHOOK_ALLOW_PRIVATE_TARGETS is on; redirects are never followed.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from byline.api.models import Webhook

logger = logging.getLogger(__name__)
USER_AGENT = "Byline webhooks (Ghost compatible)"


LISTENED_KEY = "api:webhook-events"
# Every save of a story, tag or member asks whether anyone listens; the answer is cached so that asking
# costs no query. Saving or deleting a webhook forgets it; with a per-process cache another process may
# keep the old answer this long.
LISTENED_SECONDS = 60


def listened_events() -> frozenset:
    events = cache.get(LISTENED_KEY)
    if events is None:
        events = frozenset(Webhook.objects.values_list("event", flat=True).distinct())
        cache.set(LISTENED_KEY, events, LISTENED_SECONDS)
    return events


def forget_listened_events(**kwargs) -> None:
    cache.delete(LISTENED_KEY)


class TargetRefused(ValueError):
    pass


def check_target(url: str) -> None:
    """Refuse URLs that are not http(s) or that resolve to an address inside the server's networks."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("A webhook's target is an http:// or https:// address.")
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError, ValueError):
        raise TargetRefused(f"{parts.hostname} does not resolve.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise TargetRefused(
                f"{parts.hostname} resolves to {ip}, a loopback, private or reserved address."
            )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def signature(secret: str, body: bytes, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), body + str(timestamp_ms).encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}, t={timestamp_ms}"


def _attempt(webhook: Webhook, body: bytes) -> int:
    """One POST; the HTTP status, or an exception for network trouble."""
    check_target(webhook.target_url)
    headers = {"Content-Type": "application/json", "Content-Version": "v6.0", "User-Agent": USER_AGENT}
    if webhook.secret:
        headers["X-Ghost-Signature"] = signature(webhook.secret, body, int(time.time() * 1000))
    request = urllib.request.Request(webhook.target_url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@task(queue_name="default")
def deliver(webhook_id: int, body: str) -> str:
    """Deliver one event to one webhook, retrying with doubling pauses; returns the outcome."""
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        return "gone"
    payload = body.encode()
    status, error = "", ""
    for attempt in range(settings.WEBHOOK_ATTEMPTS):
        if attempt:
            time.sleep(settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempt - 1))
        try:
            code = _attempt(webhook, payload)
        except TargetRefused as refused:
            status, error = "refused", str(refused)
            break
        except (OSError, urllib.error.URLError) as trouble:
            status, error = "error", f"attempt {attempt + 1}: {trouble}"[:2000]
            continue
        status = str(code)
        if code == 410:
            webhook.delete()
            return "410: webhook removed"
        if 200 <= code < 300:
            error = ""
            break
        error = f"attempt {attempt + 1}: HTTP {code}"
    Webhook.objects.filter(pk=webhook.pk).update(
        last_triggered_at=timezone.now(), last_triggered_status=status, last_triggered_error=error
    )
    return status


def announce(event: str, payload: dict) -> None:
    """Queue `event` for every webhook listening, once the current transaction commits."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)

    def enqueue():
        for webhook_id in Webhook.objects.filter(event=event).values_list("pk", flat=True):
            deliver.enqueue(webhook_id, body)

    transaction.on_commit(enqueue)
