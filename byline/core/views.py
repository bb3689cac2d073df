import re

from django.http import HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from wagtail.models import Site

from byline.core.models import PublicationSettings

DEFAULT_ACCENT = PublicationSettings._meta.get_field("accent_colour").default
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@require_safe
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    sitemap_url = request.build_absolute_uri("/sitemap.xml")
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /ghost/",
        "Disallow: /search/",
        "Disallow: /account/",
        "Disallow: /members/",
        "",
        f"Sitemap: {sitemap_url}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def page_not_found(request, exception=None):
    """The theme's 404 page, with the publication's header and footer."""
    body = loader.render_to_string("404.html", {}, request=request)
    return HttpResponseNotFound(body)


def server_error(request):
    """A 500 page rendered with no context at all, so a broken database or template tag cannot
    take the error page down with it, and nothing about the failure reaches the reader."""
    body = loader.get_template("500.html").render()
    return HttpResponseServerError(body)


@require_safe
@cache_control(max_age=300, public=True)
def publication_css(request):
    """The publication's accent colour as a CSS variable.

    A stylesheet rather than an inline <style> so the Content-Security-Policy can forbid inline styles.
    """
    site = Site.find_for_request(request)
    accent = PublicationSettings.for_site(site).accent_colour if site else DEFAULT_ACCENT
    if not HEX_COLOUR.fullmatch(accent or ""):
        # Only a colour ever reaches the stylesheet, even one saved without validation (an import).
        accent = DEFAULT_ACCENT
    return HttpResponse(f":root {{ --accent: {accent}; }}\n", content_type="text/css; charset=utf-8")
