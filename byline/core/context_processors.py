from django.conf import settings
from wagtail.models import Site

from byline.core.models import PublicationSettings


def publication(request):
    """The publication's settings for every template, loaded at most once per request."""
    if not hasattr(request, "_publication"):
        site = Site.find_for_request(request)
        # From Django's cache with the logo and its renditions; read again only after a change.
        request._publication = PublicationSettings.cached_for_site(site) if site else None
    return {"publication": request._publication, "byline_url": settings.BYLINE_URL}
