"""The Content API (`/ghost/api/content/`, and the legacy `v2`…`canary` prefixes): Ghost's paths,
envelopes, errors and headers, answered from stories, pages, tags, authors and site settings.

Each view returns a dict; `content_api` authenticates the key, turns ApiErrors into Ghost's error
envelope and adds Ghost's headers, a weak ETag and 304s.
"""

import hashlib
import json
import logging
from functools import wraps

from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.csrf import csrf_exempt
from wagtail.models import Site

from byline.api import serializers, services
from byline.api.errors import (
    ApiError,
    BadRequest,
    InternalServerError,
    MethodNotAllowed,
    NoPermission,
    NotFound,
    TooManyRequests,
    Unauthorized,
    error_response,
)
from byline.core.models import PublicationSettings
from byline.core.services import page_paths, site_for_request
from byline.lib import ratelimit
from byline.stories.models import StoryPage

logger = logging.getLogger(__name__)

CONTENT_VERSION = f"v{serializers.GHOST_VERSION}"
PREFLIGHT_MAX_AGE = "86400"
# Wrong keys per address and 10 minutes before the API answers 429 (Ghost's content-key brute guard).
KEY_FAILURES_ALLOWED = 50
KEY_FAILURE_WINDOW = 600


def ghost_headers(response):
    response["Content-Version"] = CONTENT_VERSION
    response["Vary"] = "Accept-Version, Accept-Encoding"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def json_response(data: dict, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def _etag(body: bytes) -> str:
    return f'W/"{len(body):x}-{hashlib.sha256(body).hexdigest()[:27]}"'


def _preflight(request) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET,HEAD,PUT,PATCH,POST,DELETE"
    asked = request.headers.get("Access-Control-Request-Headers")
    if asked:
        response["Access-Control-Allow-Headers"] = asked[:1000]
        response["Vary"] = "Access-Control-Request-Headers"
    response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Length"] = "0"
    return response


def content_key_integration(request):
    keys = request.GET.getlist("key")
    if not keys:
        raise NoPermission(
            "Authorization failed",
            "Unable to determine the authenticated member or integration. Check the supplied Content API "
            "Key and ensure cookies are being passed through if member auth is failing.",
        )
    if len(keys) > 1:
        raise BadRequest("Invalid request", "Multiple values for 'key' were given.", property="key")
    integration = services.integration_for_content_key(keys[0])
    if integration is None:
        if not ratelimit.hit(
            "content-key", ratelimit.client_ip(request), limit=KEY_FAILURES_ALLOWED, window=KEY_FAILURE_WINDOW
        ):
            raise TooManyRequests(
                "Too many attempts.", "Too many unknown Content API keys from this address."
            )
        raise Unauthorized("Unknown Content API Key", code="UNKNOWN_CONTENT_API_KEY")
    return integration


def content_api(view):
    @csrf_exempt  # key-authenticated and read-only: no cookie is ever trusted here
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            return ghost_headers(_preflight(request))
        try:
            if request.method not in ("GET", "HEAD"):
                raise MethodNotAllowed(
                    "Method not allowed", f"The Content API only reads; {request.method} is not supported."
                )
            request.integration = content_key_integration(request)
            response = json_response(view(request, *args, **kwargs))
        except ApiError as error:
            return ghost_headers(error_response(error))
        except Exception:
            # A bug must still answer in Ghost's envelope, which clients know how to report.
            logger.exception("Content API error on %s", request.path)
            return ghost_headers(error_response(InternalServerError("An unexpected error occurred.")))
        response["Cache-Control"] = "public, max-age=0"
        etag = _etag(response.content)
        ghost_headers(response)
        response["ETag"] = etag
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            not_modified = HttpResponseNotModified()
            for name in ("ETag", "Cache-Control", "Content-Version", "Vary", "Access-Control-Allow-Origin"):
                not_modified[name] = response[name]
            return not_modified
        return response

    return wrapper


def _output(request, params: services.Params) -> serializers.Output:
    return serializers.Output(
        root_url=request.build_absolute_uri("/").rstrip("/"),
        include=params.include,
        formats=params.formats,
        fields=params.fields,
    )


def _serialise(resource, obj, out, request):
    if resource is services.POSTS:
        return serializers.post(obj, out, request)
    if resource is services.PAGES:
        return serializers.page(obj, out, request)
    if resource is services.TAGS:
        return out.pick(serializers.tag(obj, out, with_count="count.posts" in out.include))
    if resource is services.AUTHORS:
        return out.pick(serializers.author(obj, out, with_count="count.posts" in out.include))
    return out.pick(serializers.newsletter(obj))


def browse_view(resource):
    @content_api
    def view(request):
        params = services.read_params(request.GET, resource)
        objects, meta = services.browse(resource, params)
        out = _output(request, params)
        return {resource.name: [_serialise(resource, obj, out, request) for obj in objects], "meta": meta}

    return view


def read_view(resource):
    @content_api
    def view(request, id=None, slug=None):
        params = services.read_params(request.GET, resource)
        found = services.read(resource, params, id=id, slug=slug)
        return {resource.name: [_serialise(resource, found, _output(request, params), request)]}

    return view


@content_api
def site_settings(request):
    site = Site.find_for_request(request)
    publication = PublicationSettings.for_site(site) if site else PublicationSettings()
    home = site.root_page if site else None
    out = serializers.Output(root_url=request.build_absolute_uri("/").rstrip("/"))
    return {"settings": serializers.site_settings(publication, home, out), "meta": {}}


@content_api
def tiers(request):
    site = Site.find_for_request(request)
    publication = PublicationSettings.for_site(site) if site else PublicationSettings()
    pagination = {"page": 1, "limit": 15, "pages": 1, "total": 1, "next": None, "prev": None}
    return {
        "tiers": [serializers.free_tier(services.site_installed_at(), publication)],
        "meta": {"pagination": pagination},
    }


@content_api
def not_found(request, rest=""):
    raise NotFound("Resource not found", None)


# Sodo Search (Ghost 6's search box) reads these, and loads the whole list into the reader's
# browser: Ghost sends the 10,000 posts updated last, and so does Byline (at 100,000 stories "every
# one" was 84 MB and 18 s a request). Older stories are found by the site's own search (/search/).
SEARCH_INDEX_POSTS = 10_000


@content_api
def search_index_posts(request):
    out = serializers.Output(root_url=request.build_absolute_uri("/").rstrip("/"))
    site = site_for_request(request) or Site.objects.select_related("root_page").get(is_default_site=True)
    path, root_path = page_paths(site), site.root_page.url_path
    rows = (
        services.POSTS.queryset(services.Params())
        .select_related(None)
        .filter(live=True)  # implied by the listing date; lets the planner walk the index below
        .order_by("-last_published_at", "-id")  # stories migration 0006: stories_live_last_published
        .values_list("pk", "slug", "title", "excerpt", "custom_excerpt", "visibility",
                     "first_published_at", "last_published_at", "url_path")[:SEARCH_INDEX_POSTS]
    )  # fmt: skip
    posts = []
    for pk, slug, title, excerpt, custom_excerpt, visibility, first, last, url_path in rows:
        # A story outside this site's pages (another Wagtail site) is rare: Wagtail finds its URL.
        if url_path.startswith(root_path):
            url = path(url_path)
        else:
            url = StoryPage.objects.get(pk=pk).get_url(request)
        posts.append(
            {
                "id": serializers.ghost_id(pk),
                "slug": slug,
                "title": title,
                "excerpt": (excerpt if visibility == "public" else custom_excerpt) or None,
                "url": out.absolute(url),
                "created_at": serializers.ghost_date(first),
                "published_at": serializers.ghost_date(first),
                "updated_at": serializers.ghost_date(last),
                "visibility": visibility,
            }
        )
    return {"posts": posts}


@content_api
def search_index_authors(request):
    out = serializers.Output(root_url=request.build_absolute_uri("/").rstrip("/"))
    return {
        "authors": [
            {
                "id": serializers.ghost_id(author.pk),
                "slug": author.slug,
                "name": author.name,
                "url": out.absolute(author.get_absolute_url()),
                "profile_image": out.image(author.photo) if author.photo_id else None,
            }
            for author in services.AUTHORS.queryset(services.Params()).order_by("name", "pk")
        ]
    }


@content_api
def search_index_tags(request):
    out = serializers.Output(root_url=request.build_absolute_uri("/").rstrip("/"))
    public = services.TAGS.queryset(services.Params()).exclude(name__startswith="#").order_by("name", "pk")
    return {
        "tags": [
            {
                "id": serializers.ghost_id(tag.pk),
                "slug": tag.slug,
                "name": tag.name,
                "url": out.absolute(tag.get_absolute_url()),
            }
            for tag in public
        ]
    }


def openapi_document(request):
    """The API's OpenAPI document: public, like the rest of the documentation."""
    from byline.api import openapi

    response = json_response(openapi.document(request.build_absolute_uri("/").rstrip("/")))
    response["Cache-Control"] = "public, max-age=300"
    return ghost_headers(response)
