import logging
import re
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.decorators.cache import cache_control, never_cache
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


# ----- /healthz: is this web process able to serve? For load balancers, so cheap and uncached. -----

health_logger = logging.getLogger("byline.healthz")
HEALTH_KEY_SECONDS = 10


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    # A key of its own per check, so two load balancers asking at once cannot read each other's value.
    key, token = f"byline:healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, HEALTH_KEY_SECONDS)
    try:
        if cache.get(key) != token:
            raise RuntimeError("the cache did not return the value just stored")
    finally:
        cache.delete(key)


def check_task_queue() -> None:
    """The queue the web process puts tasks on is reachable (running workers are not its business)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends["default"]
    if isinstance(backend, DatabaseBackend):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.only("pk").exists()
    elif type(backend).__module__.startswith("django_tasks_rq"):
        import django_rq

        for queue in sorted(backend.queues):
            django_rq.get_connection(queue).ping()


HEALTH_CHECKS = {"database": check_database, "cache": check_cache, "queue": check_task_queue}


@never_cache
@require_safe
def healthz(request):
    """200 `{"status": "ok", ...}` when the database, the cache and the task queue answer; 503 naming
    the part that does not. Details of a failure go to the log, not to whoever asked."""
    checks = {}
    for name, check in HEALTH_CHECKS.items():
        try:
            check()
        except Exception:
            health_logger.exception("Health check failed: %s", name)
            checks[name] = "failing"
        else:
            checks[name] = "ok"
    healthy = all(result == "ok" for result in checks.values())
    body = {"status": "ok" if healthy else "failing", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
