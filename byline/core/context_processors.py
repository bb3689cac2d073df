from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from wagtail.images import get_image_model
from wagtail.models import Site

from byline.core.models import PublicationSettings


def publication(request):
    """The publication's settings for every template, loaded at most once per request."""
    if not hasattr(request, "_publication"):
        site = Site.find_for_request(request)
        request._publication = PublicationSettings.for_site(site) if site else None
        if request._publication and request._publication.logo_id:
            # The logo and its renditions in two queries, cached or not (header, og:image, JSON-LD).
            logos = get_image_model().objects.prefetch_renditions()
            prefetch_related_objects([request._publication], Prefetch("logo", queryset=logos))
    return {"publication": request._publication, "byline_url": settings.BYLINE_URL}
