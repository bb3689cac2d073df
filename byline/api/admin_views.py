"""The Admin API (`/ghost/api/admin/`): stories (Ghost's posts) and standalone pages browse, read, add,
edit and delete, image uploads, tags, members, site and webhooks, for integrations that sign a
short-lived token with their Admin API key.
"""

import json
import logging
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from wagtail.models import Site

from byline.api import serializers, services
from byline.api.auth import integration_for_admin_request
from byline.api.errors import (
    ERROR_CACHE_CONTROL,
    ApiError,
    BadRequest,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    error_response,
)
from byline.api.views import _preflight, ghost_headers, json_response

logger = logging.getLogger(__name__)


def admin_api(methods: tuple[str, ...]):
    def decorate(view):
        @csrf_exempt  # authenticated by a signed token in a header, never by a cookie
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "OPTIONS":
                return ghost_headers(_preflight(request))
            try:
                if request.method not in methods:
                    raise MethodNotAllowed("Method not allowed", f"{request.method} is not supported here.")
                request.integration = integration_for_admin_request(request)
                response = view(request, *args, **kwargs)
            except ApiError as error:
                response = error_response(error)
            except RequestDataTooBig:
                response = error_response(RequestEntityTooLarge("Request is larger than the maximum size"))
            except Exception:
                logger.exception("Admin API error on %s", request.path)
                response = error_response(InternalServerError("An unexpected error occurred."))
            if "Cache-Control" not in response:
                response["Cache-Control"] = ERROR_CACHE_CONTROL
            return ghost_headers(response)

        return wrapper

    return decorate


def _items(request, key: str) -> dict:
    """The one object of a write: Ghost's clients send {"posts": [{…}]}."""
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Request not understood error", "The body is not JSON.")
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise BadRequest("Request not understood error", f'Send {{"{key}": [{{…}}]}} with one object.')
    return items[0]


def _output(request, resource=services.POSTS) -> serializers.Output:
    params = services.read_params(request.GET, resource)
    return serializers.Output(
        root_url=request.build_absolute_uri("/").rstrip("/"),
        include=params.include,
        formats=params.formats,
        fields=params.fields,
        member_access=True,
    )


def _post(request, row) -> dict:
    story = services.current_version(row)
    return serializers.admin_post(
        story,
        row,
        _output(request),
        request,
        status=services.story_status(row),
        updated_at=services.admin_updated_at(row),
    )


def _writing_options(request) -> dict:
    return {
        "source_html": request.GET.get("source") == "html",
        "newsletter": request.GET.get("newsletter"),
        "segment": request.GET.get("email_segment"),
    }


def _home(request):
    site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
    return site.root_page.specific


def _one_page_of(request, rows, resource) -> tuple[list, dict]:
    """`rows` cut by the request's `limit` and `page`, with Ghost's pagination meta."""
    params = services.read_params(request.GET, resource)
    total = rows.count()
    if params.limit is None:
        rows, limit, pages, page = list(rows), "all", 1, 1
    else:
        start = (params.page - 1) * params.limit
        rows, limit, page = list(rows[start : start + params.limit]), params.limit, params.page
        pages = max(1, -(-total // params.limit))
    pagination = {
        "page": page,
        "limit": limit,
        "pages": pages,
        "total": total,
        "next": page + 1 if page < pages else None,
        "prev": page - 1 if page > 1 else None,
    }
    return rows, {"pagination": pagination}


@admin_api(("GET", "HEAD", "POST"))
def posts(request):
    if request.method == "POST":
        story = services.add_story(_items(request, "posts"), _home(request), **_writing_options(request))
        return json_response(
            {"posts": [_post(request, services.find_story(id=serializers.ghost_id(story.pk)))]}, 201
        )
    rows, meta = _one_page_of(request, services.admin_stories(), services.POSTS)
    return json_response({"posts": [_post(request, row) for row in rows], "meta": meta})


@admin_api(("GET", "HEAD", "PUT", "DELETE"))
def post(request, id=None, slug=None):
    if request.method == "GET" or request.method == "HEAD" or slug is not None:
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed("Method not allowed", "Edit and delete a post by its id.")
        return json_response({"posts": [_post(request, services.find_story(id=id, slug=slug))]})
    try:
        pk = serializers.parse_id(id)
    except ValueError:
        raise NotFound("Resource not found error, cannot find post.", "Post not found.")
    if request.method == "DELETE":
        services.delete_story(pk)
        return HttpResponse(status=204)
    services.edit_story(pk, _items(request, "posts"), **_writing_options(request))
    return json_response({"posts": [_post(request, services.find_story(id=id))]})


def _page(request, row) -> dict:
    return serializers.admin_page(
        services.current_version(row),
        row,
        _output(request, services.PAGES),
        request,
        status=services.story_status(row),
        updated_at=services.admin_updated_at(row),
    )


@admin_api(("GET", "HEAD", "POST"))
def pages(request):
    # Pages are never emailed, so ?newsletter= is not read here (as in Ghost).
    source_html = request.GET.get("source") == "html"
    if request.method == "POST":
        page = services.add_page(_items(request, "pages"), _home(request), source_html=source_html)
        return json_response(
            {"pages": [_page(request, services.find_page(id=serializers.ghost_id(page.pk)))]}, 201
        )
    rows, meta = _one_page_of(request, services.admin_pages(), services.PAGES)
    return json_response({"pages": [_page(request, row) for row in rows], "meta": meta})


@admin_api(("GET", "HEAD", "PUT", "DELETE"))
def page(request, id=None, slug=None):
    if request.method in ("GET", "HEAD"):
        return json_response({"pages": [_page(request, services.find_page(id=id, slug=slug))]})
    if slug is not None:
        raise MethodNotAllowed("Method not allowed", "Edit and delete a page by its id.")
    try:
        pk = serializers.parse_id(id)
    except ValueError:
        raise NotFound("Resource not found error, cannot find page.", "Page not found.")
    if request.method == "DELETE":
        services.delete_page(pk)
        return HttpResponse(status=204)
    source_html = request.GET.get("source") == "html"
    services.edit_page(pk, _items(request, "pages"), source_html=source_html)
    return json_response({"pages": [_page(request, services.find_page(id=id))]})


@admin_api(("POST",))
def upload_image(request):
    image = services.upload_image(request.FILES.get("file"))
    ref = request.POST.get("ref") or None
    url = request.build_absolute_uri(image.file.url) if image.file.url.startswith("/") else image.file.url
    return json_response({"images": [{"url": url, "ref": ref[:2000] if ref else None}]}, 201)


@admin_api(("GET", "HEAD", "POST"))
def tags(request):
    out = serializers.Output(root_url=request.build_absolute_uri("/").rstrip("/"))
    if request.method == "POST":
        tag = services.add_tag(_items(request, "tags"))
        return json_response({"tags": [serializers.admin_tag(tag, out)]}, 201)
    params = services.read_params(request.GET, services.TAGS)
    out.include = params.include
    rows, meta = services.browse(services.TAGS, params)
    return json_response({"tags": [admin_tag_with_count(row, out) for row in rows], "meta": meta})


def admin_tag_with_count(tag, out) -> dict:
    data = serializers.admin_tag(tag, out)
    if "count.posts" in out.include:
        data["count"] = {"posts": tag.post_count}
    return data


@admin_api(("GET", "HEAD", "PUT", "DELETE"))
def tag(request, id=None, slug=None):
    out = serializers.Output(root_url=request.build_absolute_uri("/").rstrip("/"))
    if slug is not None and request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("Method not allowed", "Edit and delete a tag by its id.")
    if request.method == "DELETE":
        services.delete_tag(id)
        return HttpResponse(status=204)
    if request.method == "PUT":
        found = services.edit_tag(id, _items(request, "tags"))
    else:
        params = services.read_params(request.GET, services.TAGS)
        out.include = params.include
        found = services.read(services.TAGS, params, id=id, slug=slug)
    return json_response({"tags": [admin_tag_with_count(found, out)]})


@admin_api(("GET", "HEAD"))
def site(request):
    site = Site.find_for_request(request)
    from byline.core.models import PublicationSettings

    publication = PublicationSettings.for_site(site) if site else PublicationSettings()
    return json_response(
        {
            "site": {
                "title": publication.name,
                "description": publication.description or None,
                "logo": None,
                "icon": None,
                "accent_color": publication.accent_colour,
                "locale": "en",
                "url": request.build_absolute_uri("/"),
                "version": serializers.GHOST_VERSION,
            }
        }
    )


@admin_api(("GET", "HEAD", "POST", "PUT", "DELETE"))
def not_found(request, rest=""):
    raise NotFound("Resource not found", None)


@admin_api(("POST",))
def webhooks(request):
    hook = services.add_webhook(request.integration, _items(request, "webhooks"))
    return json_response({"webhooks": [serializers.webhook(hook)]}, 201)


@admin_api(("PUT", "DELETE"))
def webhook(request, id):
    if request.method == "DELETE":
        services.delete_webhook(request.integration, id)
        return HttpResponse(status=204)
    hook = services.edit_webhook(request.integration, id, _items(request, "webhooks"))
    return json_response({"webhooks": [serializers.webhook(hook)]})


@admin_api(("GET", "HEAD", "POST"))
def members(request):
    if request.method == "POST":
        member = services.add_member(_items(request, "members"))
        return json_response({"members": [serializers.admin_member(member)]}, 201)
    params = services.read_params(request.GET, services.MEMBERS)
    rows, meta = services.browse(services.MEMBERS, params)
    return json_response({"members": [serializers.admin_member(row) for row in rows], "meta": meta})


@admin_api(("GET", "HEAD", "PUT", "DELETE"))
def member(request, id):
    if request.method == "DELETE":
        services.delete_member(id)
        return HttpResponse(status=204)
    if request.method == "PUT":
        found = services.edit_member(id, _items(request, "members"))
    else:
        found = services.find_member(id)
    return json_response({"members": [serializers.admin_member(found)]})
