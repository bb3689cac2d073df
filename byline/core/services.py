"""Site-wide workflows of the core app."""

import threading
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from wagtail.models import Site

from byline.pagecache import store


def align_site_with_public_url() -> tuple[Site | None, bool]:
    """Point the default Wagtail site at BYLINE_URL's host and port.

    The site's address makes every absolute URL in feeds, sitemaps and metadata, so it follows the
    setting: after each migrate (see apps.py) and when the demo loads. Returns (site, changed).
    """
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return None, False
    url = urlsplit(settings.BYLINE_URL)
    hostname = url.hostname or "127.0.0.1"
    port = url.port or (443 if url.scheme == "https" else 80)
    if (site.hostname, site.port) == (hostname, port):
        return site, False
    site.hostname, site.port = hostname, port
    site.save(update_fields=["hostname", "port"])
    return site, True


# Wagtail finds a request's Site with a query (built from a CASE expression) on every request: a
# third of a small page's time. Sites change a few times in a publication's life, so each process
# keeps what it found, tagged with the page cache's site-wide generation: purge_all() (a Site, the
# home page or the publication settings changed) makes every copy stale, at once in this process
# and within the page cache's memo window (0.5 s) in the others. The home page it routes from comes
# along (`root_page.specific` is remembered on the cached object).
SITES_REMEMBERED = 64  # (host, port) pairs; a flood of made-up Host headers only resets the copy
_sites: dict[tuple[str, str], tuple[str, Site | None]] = {}
_sites_lock = threading.Lock()


def site_for_request(request) -> Site | None:
    """The Wagtail Site answering this request: Wagtail's own choice, from this process's copy."""
    key = (split_domain_port(request._get_raw_host())[0], request.get_port())
    try:
        generation = store.current_generation(store.EVERYTHING)
    except Exception:  # noqa: BLE001  the cache is down: pages still answer (and /healthz says so)
        return Site._find_for_request(request)
    remembered = _sites.get(key)
    if remembered is not None and remembered[0] == generation:
        return remembered[1]
    site = Site._find_for_request(request)
    with _sites_lock:
        if len(_sites) >= SITES_REMEMBERED:
            _sites.clear()
        _sites[key] = (generation, site)
    return site


def page_paths(site):
    """`path(url_path)`: the address Wagtail gives a page of `site` with that url_path, without the
    host (Page.get_url_parts: the path below the site's root page, through the wagtail_serve route,
    which percent-encodes it, without its trailing slash when WAGTAIL_APPEND_SLASH is off). Lists of
    thousands of pages (sitemaps, the search index) read url_path alone instead of whole pages."""
    root_path = site.root_page.url_path
    serve_prefix = reverse("wagtail_serve", args=("",))
    keep_slash = getattr(settings, "WAGTAIL_APPEND_SLASH", True)

    def path(url_path: str) -> str:
        found = serve_prefix + quote(url_path[len(root_path) :], safe=RFC3986_SUBDELIMS + "/~:@")
        return found if keep_slash or found == "/" else found.rstrip("/")

    return path
