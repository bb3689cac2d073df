"""Site-wide workflows of the core app."""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Site


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
