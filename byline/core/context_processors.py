from django.conf import settings
from wagtail.models import Site

from byline.core.models import PublicationSettings


def publication(request):
    """The publication's settings for every template, loaded at most once per request."""
    if not hasattr(request, "_publication"):
        site = Site.find_for_request(request)
        request._publication = PublicationSettings.for_site(site) if site else None
    return {"publication": request._publication, "byline_url": settings.BYLINE_URL}
