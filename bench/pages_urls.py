"""Byline's routes plus `/hello/`, for bench/pages.py only: the bare Django response every page is
compared with, served by the same server, settings and middleware as the pages themselves."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse(b"Hello, world", content_type="text/plain")


urlpatterns = [
    path("hello/", hello),
    path("", include("byline.urls")),
]

handler404 = "byline.core.views.page_not_found"
handler500 = "byline.core.views.server_error"
