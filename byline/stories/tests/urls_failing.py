"""The site's URLs plus one view that fails, for the tests of the 500 page."""

from django.urls import path

from byline.urls import handler404, handler500  # noqa: F401  (Django reads them from here)
from byline.urls import urlpatterns as site_urlpatterns


def broken_view(request):
    raise RuntimeError("database password is hunter2; SECRET_KEY leaked here")


urlpatterns = [path("broken/", broken_view), *site_urlpatterns]
