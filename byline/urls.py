"""Every public route. Site routes come before Wagtail's catch-all page routing, which is why
page slugs may not take their names (byline.core.models.RESERVED_SLUGS)."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve as serve_file
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # Ghost's admin lives at /ghost/: send editors who moved in to ours.
    path("ghost/", RedirectView.as_view(url="/admin/", permanent=False)),
    path("ghost/api/", include("byline.api.urls")),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("byline.core.urls")),
    path("", include("byline.stories.urls")),
    path("", include("byline.search.urls")),
    path("members/api/comments/", include("byline.comments.api_urls")),
    path("members/", include("byline.members.urls")),
    path("comments/", include("byline.comments.urls")),
    path("", include("byline.members.site_urls")),
    path("webhooks/email/", include("byline.newsletters.urls")),
]

if settings.SERVE_MEDIA:
    # One-box installs serve uploads themselves; larger ones point a web server or CDN at MEDIA_ROOT.
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_file, {"document_root": settings.MEDIA_ROOT}))

urlpatterns.append(path("", include(wagtail_urls)))

handler404 = "byline.core.views.page_not_found"
handler500 = "byline.core.views.server_error"
