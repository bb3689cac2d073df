"""Declaring what a page shows, and purging it when that changes."""

from django.conf import settings
from django.db import transaction

from byline.lib.bulk import in_bulk_change
from byline.pagecache import static_pages, store


def depends_on(request, *dependencies: str) -> None:
    """Record that the page being rendered for `request` shows these things. A no-op for requests
    the cache is not storing (signed-in readers, previews, the admin)."""
    recorded = getattr(request, "pagecache_dependencies", None)
    if recorded is not None:
        recorded.update(dependencies)


def purge(*dependencies: str, urls=()) -> None:
    """Make every cached page that depends on any of these stale, in every process, now."""
    if in_bulk_change():
        return  # a bulk change ends with purge_all()
    store.bump(dependencies)
    if static_pages.enabled():
        static_pages.remove(dependencies)
    _purge_cdn(urls)


def purge_after_commit(*dependencies: str, urls=()) -> None:
    """`purge` once the current transaction commits (at once outside one): a reader arriving between
    the purge and the commit would otherwise put the old page straight back."""
    transaction.on_commit(lambda: purge(*dependencies, urls=urls))


def purge_all() -> None:
    store.bump([store.EVERYTHING])
    if static_pages.enabled():
        static_pages.remove_all()
    _purge_cdn(["/"])


def _purge_cdn(urls) -> None:
    if not urls or not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

    base = settings.BYLINE_URL.rstrip("/")
    purge_urls_from_cache([url if "://" in url else base + url for url in urls])
