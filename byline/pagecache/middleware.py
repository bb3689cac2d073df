"""The page cache's place in the request path: after security and static files, before sessions,
authentication and Wagtail's routing, so a hit costs a key, a cache read and a response.

Only anonymous reads are cached. A request is left to Django when it is not GET or HEAD, carries a
session, CSRF or messages cookie or an Authorization header, asks for a path under one of the
private prefixes, has a query parameter the public pages do not read, or names a host not in
ALLOWED_HOSTS. A response is stored only when it is a 200 that sets no cookie, is not private or
no-store, used no CSRF token and varies on nothing but Cookie.
"""

import hashlib
import time
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from byline.pagecache import static_pages, store

DEFAULT_DEPENDENCY = "stories"  # what a page that declares nothing is assumed to show
PRIVATE_PREFIXES = (
    "/admin/", "/django-admin/", "/ghost/", "/members/", "/account/", "/webhooks/", "/healthz",
    "/search/", "/documents/", "/media/", "/static/", "/comments/notifications/",
)  # fmt: skip
# Query parameters the public pages read (listing and comment-thread pages); others bypass the cache.
READ_PARAMETERS = frozenset({"page", "order", "fragment"})
# Parameters that only tell analytics where a reader came from: dropped from the key, so a shared
# link with them is the same page.
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "ref", "igshid"})
STORED_HEADERS_SKIPPED = frozenset({"date", "set-cookie", "content-length", "x-cache"})


def _private_cookies() -> tuple[str, ...]:
    return (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages")


def _key_query(request) -> str | None:
    """The query string as part of the key (sorted, tracking dropped), or None to bypass."""
    kept = []
    for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if name in TRACKING_PARAMETERS or name.startswith("utm_"):
            continue
        if name not in READ_PARAMETERS:
            return None
        kept.append((name, value))
    return urlencode(sorted(kept))


def cache_key(request) -> str | None:
    """The key for this request's page, or None when the request must go to Django."""
    if request.method not in ("GET", "HEAD") or request.path.startswith(PRIVATE_PREFIXES):
        return None
    if "HTTP_AUTHORIZATION" in request.META or any(name in request.COOKIES for name in _private_cookies()):
        return None
    query = _key_query(request)
    if query is None:
        return None
    try:
        host = request.get_host()  # validated against ALLOWED_HOSTS: a forged host never keys a page
    except DisallowedHost:
        return None
    address = f"{request.scheme}://{host}{request.path}?{query}"
    return "pc:p:" + hashlib.blake2b(address.encode(), digest_size=20).hexdigest()


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_USED"):
        return False  # the page holds a token tied to this reader's cookie
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    return vary <= {"cookie"}


def _answer(request, page: store.Page, outcome: str) -> HttpResponse:
    response = HttpResponse(b"" if request.method == "HEAD" else page.body, status=page.status)
    for name, value in page.headers:
        response.headers[name] = value
    response.headers["ETag"] = page.etag
    response.headers["Last-Modified"] = http_date(page.stored_at)
    response.headers["X-Cache"] = outcome
    # Browsers ask again each time (cheap: a 304); a CDN may keep it for s-maxage seconds.
    patch_cache_control(response, public=True, max_age=0, s_maxage=settings.PAGECACHE_CDN_SECONDS)
    return get_conditional_response(
        request, etag=page.etag, last_modified=int(page.stored_at), response=response
    )


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = cache_key(request) if settings.PAGECACHE_ENABLED else None
        if key is None:
            return self.get_response(request)
        if page := store.lookup(key):
            return _answer(request, page, "HIT")
        began = time.time()
        request.pagecache_dependencies = set()
        response = self.get_response(request)
        if not _storable(request, response):
            return response
        dependencies = request.pagecache_dependencies or {DEFAULT_DEPENDENCY}
        headers = [(k, v) for k, v in response.items() if k.lower() not in STORED_HEADERS_SKIPPED]
        page = store.save(key, response.status_code, headers, response.content, dependencies, began)
        if page is None:
            response.headers["X-Cache"] = "MISS"
            return response
        if static_pages.enabled() and not request.META.get("QUERY_STRING"):
            self._write_static(request, page, dependencies | {store.EVERYTHING}, began)
        return _answer(request, page, "MISS")

    @staticmethod
    def _write_static(request, page, dependencies, began) -> None:
        if not page.header("Content-Type").startswith("text/html"):
            return
        target = static_pages.write(request.get_host(), request.path, page.body, dependencies)
        # A purge that landed between storing and writing must not leave the file behind.
        if target is not None and store.purged_since(dependencies, began):
            static_pages.remove_file(target)
