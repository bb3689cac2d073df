"""Fixed-window rate limits in Django's cache (shared by every web process when the cache is Redis).

`hit("magic-link:email", key, limit=5, window=3600)` counts one attempt and says whether it is allowed.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def _cache_key(scope: str, key: str, window: int) -> str:
    # Hash the key: it may be an email address, which must not end up readable in a shared cache.
    digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]
    bucket = int(time.time() // window)
    return f"ratelimit:{scope}:{digest}:{bucket}"


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt; True while the count in this window is within `limit`."""
    cache_key = _cache_key(scope, key, window)
    # add() is atomic: only the first attempt of a window creates the counter.
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=window + 1)
            count = 1
    return count <= limit


def reset(scope: str, key: str, *, window: int) -> None:
    cache.delete(_cache_key(scope, key, window))


def client_ip(request) -> str:
    """The reader's address for rate limits, honest behind BYLINE_TRUSTED_PROXIES proxies.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so the
    reader's address is the one that many entries from the right; anything further left came from the
    reader and may be forged. A missing or malformed entry falls back to the connection's address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.BYLINE_TRUSTED_PROXIES
    if not hops:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
