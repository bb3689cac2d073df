"""What the Ghost-compatible API does: integrations and their keys, and the Content API's browse and
read over stories, pages, tags, authors, newsletters and the publication.

Views parse nothing themselves: they hand the request's query to `browse`/`read` here and serialise what
comes back. Every request parameter is checked against a whitelist; a bad one is a BadRequest that
names it.
"""

import hashlib
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from byline.api import serializers
from byline.api.errors import BadRequest, NotFound
from byline.api.models import Integration
from byline.core.models import view_restrictions_exist
from byline.lib import nql
from byline.lib.nql import Field
from byline.stories.models import (
    Author,
    StandalonePage,
    StoryAuthor,
    StoryPage,
    StoryTag,
    Tag,
    archive_ids,
    byline_prefetches,
    cached_count,
    load_bodies,
)

DEFAULT_LIMIT = 15
MAX_NUMBER = 2**31 - 1  # page and limit numbers beyond this are refused, not passed to the database

# ----- integrations --------------------------------------------------------------------------------


def add_integration(name: str, description: str = "") -> Integration:
    name = (name or "").strip()
    if not name:
        raise ValueError("An integration needs a name.")
    if len(name) > 191:
        raise ValueError("An integration's name is at most 191 characters.")
    with transaction.atomic():
        return Integration.objects.create(name=name, description=description.strip()[:2000])


def list_integrations() -> list[Integration]:
    return list(Integration.objects.all())


def integration_for_content_key(key: str) -> Integration | None:
    if len(key) != 26:
        return None
    return Integration.objects.filter(content_key=key.lower()).first()


# ----- request parameters --------------------------------------------------------------------------


@dataclass
class Params:
    filter: str | None = None
    limit: int | None = DEFAULT_LIMIT  # None means all
    page: int = 1
    order: list[str] = field(default_factory=list)
    include: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=lambda: {"html"})


def _names(value: str) -> set[str]:
    return {part.strip() for part in value.split(",") if part.strip()}


def _number(query, name: str, default):
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if name == "limit" and raw == "all":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_NUMBER:
        extra = " or 'all'" if name == "limit" else ""
        raise BadRequest(
            "Validation error, cannot list resources.",
            f"'{name}' must be a whole number from 1{extra}, not '{raw[:40]}'.",
            property=name,
        )
    return int(raw)


def read_params(query, resource: "Resource") -> Params:
    for name in ("filter", "order", "include", "fields", "formats", "limit", "page"):
        if len(query.getlist(name)) > 1:
            raise BadRequest(
                "Validation error, cannot list resources.", f"'{name}' is given twice.", property=name
            )
    params = Params(
        filter=query.get("filter") or None,
        limit=_number(query, "limit", DEFAULT_LIMIT),
        page=_number(query, "page", 1),
        include=_names(query.get("include", "")) & resource.includes,
        fields=_names(query.get("fields", "")),
    )
    if "formats" in query:
        params.formats = _names(query["formats"]) & {"html", "plaintext"}
    if query.get("order"):
        params.order = _order(query["order"], resource)
    return params


def _order(text: str, resource: "Resource") -> list[str]:
    ordering = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        name, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if len(words) > 2 or direction not in ("asc", "desc") or name not in resource.order_fields:
            raise BadRequest(
                f"Request not understood error, cannot list {resource.name}.",
                f"Cannot order by '{part.strip()[:80]}': use one of "
                f"{', '.join(sorted(resource.order_fields))} followed by asc or desc.",
                property="order",
            )
        path = resource.order_fields[name]
        ordering.append(path if direction == "asc" else f"-{path}")
    return ordering


# ----- resources -----------------------------------------------------------------------------------


def _published_story_ids():
    return StoryPage.objects.live().filter(email_only=False).values("pk")


def _within(model, outer: str):
    """Conditions on a story's tag or author links, turned into "the story has one such link"."""
    return lambda q: Q(pk__in=model.objects.filter(q).values(outer))


def _id_field(path: str, within=None) -> Field:
    return Field(path, "id", within=within, to_python=serializers.parse_id)


TAG_LINKS = _within(StoryTag, "story_id")
AUTHOR_LINKS = _within(StoryAuthor, "story_id")
COMMON_PAGE_FIELDS = {
    "id": _id_field("pk"),
    "uuid": Field("translation_key", "text"),
    "title": Field("title"),
    "slug": Field("slug"),
    "published_at": Field("first_published_at", "date"),
    "created_at": Field("first_published_at", "date"),
    "updated_at": Field("last_published_at", "date"),
}
POST_FIELDS = {
    **COMMON_PAGE_FIELDS,
    "featured": Field("featured", "bool"),
    "visibility": Field("visibility", "choice", choices=frozenset({"public", "members", "paid", "tiers"})),
    "custom_excerpt": Field("custom_excerpt"),
    "reading_time": Field("reading_time", "number"),
    "tag": Field("tag__slug", within=TAG_LINKS),
    "tags": Field("tag__slug", within=TAG_LINKS),
    "tags.slug": Field("tag__slug", within=TAG_LINKS),
    "tags.name": Field("tag__name", within=TAG_LINKS),
    "tags.id": _id_field("tag_id", within=TAG_LINKS),
    "author": Field("author__slug", within=AUTHOR_LINKS),
    "authors": Field("author__slug", within=AUTHOR_LINKS),
    "authors.slug": Field("author__slug", within=AUTHOR_LINKS),
    "authors.name": Field("author__name", within=AUTHOR_LINKS),
    "authors.id": _id_field("author_id", within=AUTHOR_LINKS),
    "primary_tag": Field("api_primary_tag", nullable=True),
    "primary_tag.slug": Field("api_primary_tag", nullable=True),
    "primary_author": Field("api_primary_author", nullable=True),
    "primary_author.slug": Field("api_primary_author", nullable=True),
}
TIMESTAMP_ORDER = {
    "published_at": "first_published_at",
    "created_at": "first_published_at",
    "updated_at": "last_published_at",
    "title": "title",
    "slug": "slug",
    "id": "pk",
}


def _primary_tag_slug():
    links = StoryTag.objects.filter(story=OuterRef("pk")).exclude(tag__name__startswith="#")
    return Subquery(links.order_by("sort_order").values("tag__slug")[:1])


def _primary_author_slug():
    links = StoryAuthor.objects.filter(story=OuterRef("pk"))
    return Subquery(links.order_by("sort_order").values("author__slug")[:1])


@dataclass
class Resource:
    name: str  # "posts"
    singular: str  # "post"
    filter_fields: dict
    order_fields: dict
    default_order: list[str]
    includes: set[str] = field(default_factory=set)

    def queryset(self, params: Params):
        raise NotImplementedError

    def prepare(self, objects: list, params: Params) -> None:
        """Load what serialising `objects` needs, for all of them at once."""


class Posts(Resource):
    def queryset(self, params):
        # Live and not email-only, as the listing date records: the filters and orders on it walk
        # the listing index (stories_listed_newest_first) rather than joining the page table.
        stories = StoryPage.objects.filter(listed_at__isnull=False)
        if view_restrictions_exist():  # public() looks for restrictions itself: a query per browse
            stories = stories.public()
        stories = stories.select_related("feature_image", "og_image", "twitter_image")
        if params.include & {"tags", "authors"}:
            stories = stories.prefetch_related(*byline_prefetches())
        return stories

    def annotate(self, queryset, names: set[str]):
        if names & {"primary_tag", "primary_tag.slug"}:
            queryset = queryset.annotate(api_primary_tag=_primary_tag_slug())
        if names & {"primary_author", "primary_author.slug"}:
            queryset = queryset.annotate(api_primary_author=_primary_author_slug())
        return queryset

    def prepare(self, objects, params):
        if _wants_body(params) or any(story.visibility != "public" for story in objects):
            load_bodies(objects)


class Pages(Resource):
    def queryset(self, params):
        return StandalonePage.objects.live().public().select_related("feature_image")

    def prepare(self, objects, params):
        load_bodies(objects)


def _wants_body(params: Params) -> bool:
    shown = {"html", "plaintext"} & params.formats
    return bool(shown) and (not params.fields or bool(params.fields & shown))


def _post_count(link_model, field: str):
    """count.posts as a subquery per tag (author): the links of the row that carry a listing date,
    which is exactly the stories Posts browse lists (live, not email-only: StoryPage.listed_at).
    They are counted in the links' own listing index, without reading a story: a section tag on
    12,500 of 100,000 stories cost a join per link before (all tags with counts: 0.8 s)."""
    links = link_model.objects.filter(**{field: OuterRef("pk")}, listed_at__isnull=False)
    counted = links.order_by().values(field).annotate(posts=Count("pk")).values("posts")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class Tags(Resource):
    def queryset(self, params):
        tags = Tag.objects.annotate(
            api_visibility=Case(When(name__startswith="#", then=Value("internal")), default=Value("public"))
        )
        return tags.select_related("feature_image")

    def annotate(self, queryset, names):
        if names & {"count.posts"}:
            queryset = queryset.annotate(post_count=_post_count(StoryTag, "tag"))
        return queryset


class Authors(Resource):
    def queryset(self, params):
        return Author.objects.select_related("photo")

    def annotate(self, queryset, names):
        if names & {"count.posts"}:
            queryset = queryset.annotate(post_count=_post_count(StoryAuthor, "author"))
        return queryset


# A post's publication date is its listing date (the same value while it is listed, which every
# browsed post is): ordering by it walks the listing index.
POSTS = Posts(
    "posts",
    "post",
    POST_FIELDS,
    {
        **TIMESTAMP_ORDER,
        "published_at": "listed_at",
        "created_at": "listed_at",
        "featured": "featured",
        "reading_time": "reading_time",
    },
    ["-listed_at", "-pk"],
    includes={"tags", "authors"},
)
PAGES = Pages(
    "pages",
    "page",
    COMMON_PAGE_FIELDS,
    TIMESTAMP_ORDER,
    ["-first_published_at", "-pk"],
    includes={"tags", "authors"},
)
COUNT_FIELD = Field("post_count", "number")
TAGS = Tags(
    "tags",
    "tag",
    {
        "id": _id_field("pk"),
        "name": Field("name"),
        "slug": Field("slug"),
        "description": Field("description"),
        "visibility": Field("api_visibility", "choice", choices=frozenset({"public", "internal"})),
        "count.posts": COUNT_FIELD,
    },
    {"name": "name", "slug": "slug", "id": "pk", "count.posts": "post_count"},
    ["name", "pk"],
    includes={"count.posts"},
)
AUTHORS = Authors(
    "authors",
    "author",
    {
        "id": _id_field("pk"),
        "name": Field("name"),
        "slug": Field("slug"),
        "location": Field("location"),
        "website": Field("website"),
        "bio": Field("bio"),
        "count.posts": COUNT_FIELD,
    },
    {"name": "name", "slug": "slug", "id": "pk", "count.posts": "post_count"},
    ["name", "pk"],
    includes={"count.posts"},
)
RESOURCES = {resource.name: resource for resource in (POSTS, PAGES, TAGS, AUTHORS)}


# ----- browse and read -----------------------------------------------------------------------------


def _parsed_filter(resource: Resource, params: Params):
    """The filter's tree and the condition it compiles to (None, None without a filter)."""
    if not params.filter:
        return None, None
    try:
        tree = nql.parse(params.filter)
        return tree, nql.compile_tree(tree, resource.filter_fields)
    except nql.FilterError as error:
        raise BadRequest(
            f"Request not understood error, cannot list {resource.name}.",
            f"Error parsing filter: {error}",
            property="filter",
        )


def _filtered(resource: Resource, params: Params, extra_names: set[str] = frozenset()):
    queryset = resource.queryset(params)
    names = set(params.include) | set(extra_names)
    tree, condition = _parsed_filter(resource, params)
    if tree is not None:
        names |= nql.field_names(tree)
    ordered_by = {path.lstrip("-") for path in params.order}
    names |= {name for name, path in resource.order_fields.items() if path in ordered_by}
    annotate = getattr(resource, "annotate", None)
    if annotate:
        queryset = annotate(queryset, names)
    if condition is not None:
        queryset = queryset.filter(condition)
    return queryset


def browse(resource: Resource, params: Params) -> tuple[list, dict]:
    """One page of `resource` and Ghost's pagination meta. `limit=all` means all: no hidden cap."""
    queryset = _filtered(resource, params)
    ordering = params.order + [
        path for path in resource.default_order if path.lstrip("-") not in params.order
    ]
    if not any(path.lstrip("-") == "pk" for path in ordering):
        ordering.append("-pk")
    queryset = queryset.order_by(*ordering)
    walk = _listing_walk(resource, params)
    if walk is not None:
        return _browse_walk(resource, params, queryset, walk)
    total = _count(resource, params, queryset)
    if params.limit is None:
        objects = list(queryset) if total else []
    else:
        start = (params.page - 1) * params.limit
        objects = list(queryset[start : start + params.limit]) if start < total else []
    resource.prepare(objects, params)
    return objects, {"pagination": _pagination(params, total)}


def _pagination(params: Params, total: int) -> dict:
    """Ghost's pagination meta for a browse of `total` rows."""
    if params.limit is None:
        return {"page": 1, "limit": "all", "pages": 1, "total": total, "next": None, "prev": None}
    pages = max(1, math.ceil(total / params.limit))
    return {
        "page": params.page,
        "limit": params.limit,
        "pages": pages,
        "total": total,
        "next": params.page + 1 if params.page < pages else None,
        "prev": params.page - 1 if params.page > 1 else None,
    }


# Posts in the default order, unfiltered or of one tag or one author (the browses front ends send
# most: the latest posts, `tag:news`), walk a listing index newest first as the site's own pages do
# (the home's StoryPage.listed_at; the archives' links, which carry it), then load the page's
# stories: a deep page skips index entries instead of joining every skipped story, and a tag is not
# sorted whole per page (a section tag on 12,500 of 100,000 stories). Posts browse lists live
# stories that are not email-only, newest first: exactly those with a listing date, in its order,
# while no page has a Wagtail privacy restriction (the browse's public() filter).
ARCHIVE_FILTERS = {
    "tag": (StoryTag, "tag"), "tags": (StoryTag, "tag"), "tags.slug": (StoryTag, "tag"),
    "author": (StoryAuthor, "author"), "authors": (StoryAuthor, "author"),
    "authors.slug": (StoryAuthor, "author"),
}  # fmt: skip


def _listing_walk(resource: Resource, params: Params):
    """The ids to walk, in the browse's order, when a listing index answers this browse; else None."""
    if resource is not POSTS or params.order or view_restrictions_exist():
        return None
    if not params.filter:
        return StoryPage.objects.published().values_list("pk", flat=True)
    tree, _ = _parsed_filter(resource, params)
    if not (isinstance(tree, nql.Comparison) and tree.op == "=" and tree.field in ARCHIVE_FILTERS):
        return None
    if not isinstance(tree.value, nql.Value) or tree.value.kind not in ("text", "number"):
        return None
    link_model, owner = ARCHIVE_FILTERS[tree.field]
    # The slug as the filter compares it (a number-like slug parses as a number).
    return archive_ids(link_model.objects.filter(**{f"{owner}__slug": str(tree.value.raw)}))


def _browse_walk(resource: Resource, params: Params, queryset, ids) -> tuple[list, dict]:
    chosen_by = hashlib.sha256((params.filter or "").encode()).hexdigest()
    total = cached_count(ids, f"api:{resource.name}:walk:{chosen_by}")
    if params.limit is not None:
        start = (params.page - 1) * params.limit
        ids = ids[start : start + params.limit] if start < total else ids.none()
    chosen = list(ids) if total else []
    found = queryset.in_bulk(chosen) if chosen else {}  # the browse's own filter, on the page's ids
    objects = [found[pk] for pk in chosen if pk in found]
    resource.prepare(objects, params)
    return objects, {"pagination": _pagination(params, total)}


def _count(resource: Resource, params: Params, queryset) -> int:
    """The pagination total. For stories, pages, tags and authors it comes from the listing cache
    (byline.stories.models.cached_count: forgotten on any change to them), so a browse costs no
    COUNT over the whole archive; other resources are small. The count is named by what chose the
    rows, the resource and its filter (naming it by its SQL meant compiling the query twice: a tenth
    of a browse); a filter relative to now (`now-30d`) selects other rows as time passes, so it is
    counted afresh."""
    if resource.name not in {"posts", "pages", "tags", "authors"}:
        return queryset.count()
    tree, _ = _parsed_filter(resource, params)
    if tree is not None and nql.is_relative(tree):
        return queryset.count()
    chosen_by = hashlib.sha256((params.filter or "").encode()).hexdigest()
    return cached_count(queryset, f"api:{resource.name}:{chosen_by}")


def read(resource: Resource, params: Params, *, id: str | None = None, slug: str | None = None):
    """One object by id or slug, or NotFound with Ghost's message."""
    label = resource.singular.capitalize()
    queryset = _filtered(resource, params)
    try:
        lookup = {"pk": serializers.parse_id(id)} if id is not None else {"slug": slug}
    except ValueError:
        lookup = None
    found = queryset.filter(**lookup).first() if lookup else None
    if found is None:
        raise NotFound(f"Resource not found error, cannot read {resource.singular}.", f"{label} not found.")
    resource.prepare([found], params)
    return found


class Newsletters(Resource):
    def queryset(self, params):
        from byline.newsletters.models import Newsletter

        return Newsletter.objects.active()


NEWSLETTERS = Newsletters(
    "newsletters",
    "newsletter",
    {"id": _id_field("pk"), "name": Field("name"), "slug": Field("slug")},
    {"name": "name", "slug": "slug", "sort_order": "sort_order", "id": "pk"},
    ["sort_order", "name", "pk"],
)
RESOURCES["newsletters"] = NEWSLETTERS


def site_installed_at():
    """When the site's database was set up: the free tier's timestamps."""
    from django.db.migrations.recorder import MigrationRecorder

    return MigrationRecorder.Migration.objects.order_by("applied").values_list("applied", flat=True).first()


# ----- the Admin API: writing stories --------------------------------------------------------------

STORY_TEXT_FIELDS = {
    # Ghost's name -> StoryPage field; all plain text with a maximum length.
    "title": "title",
    "custom_excerpt": "custom_excerpt",
    "feature_image_alt": "feature_image_alt",
    "feature_image_caption": "feature_image_caption",
    "og_title": "og_title",
    "og_description": "og_description",
    "twitter_title": "twitter_title",
    "twitter_description": "twitter_description",
    "meta_title": "seo_title",
    "meta_description": "search_description",
    "canonical_url": "canonical_url",
    "email_subject": "email_subject",
}
STATUSES = ("draft", "published", "scheduled")


def story_status(story) -> str:
    if story.live:
        return "published"
    return "scheduled" if story.scheduled_revision else "draft"


def admin_updated_at(story):
    """What the Admin API calls updated_at: the last save of any kind, so an edit can spot a newer one."""
    return story.latest_revision_created_at or story.last_published_at or story.first_published_at


def current_version(story):
    """The story as an editor last saved it: the latest revision for drafts, the live row otherwise."""
    if story.live and not story.has_unpublished_changes:
        return story
    revision = story.get_latest_revision_as_object() if story.latest_revision_id else story
    revision.live = story.live
    return revision


def admin_stories():
    return StoryPage.objects.all().order_by("-first_published_at", "-pk").select_related("latest_revision")


def _invalid(message: str, property: str | None = None):
    from byline.api.errors import Validation

    return Validation("Validation error, cannot save post.", message, property=property)


def _text(data: dict, name: str, max_length: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(f"{name} must be text.", name)
    value = value.strip()
    if len(value) > max_length:
        raise _invalid(f"{name} is at most {max_length} characters.", name)
    return value


def _datetime(data: dict, name: str):
    from django.utils.dateparse import parse_datetime

    value = data.get(name)
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise _invalid(f"{name} must be a date like 2026-03-01T09:30:00.000Z.", name)
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _refs(data: dict, name: str) -> list | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 100:
        raise _invalid(f"{name} must be a list of at most 100 items.", name)
    return value


def _resolve(model, ref, kind: str):
    """A tag or author from Ghost's reference: a name, or an object with id, slug or name.

    Missing ones are created from their name (or slug), as Ghost does for tags."""
    from django.utils.text import slugify

    if isinstance(ref, str):
        ref = {"name": ref}
    if not isinstance(ref, dict):
        raise _invalid(f"each of {kind} is a name or an object with id, slug or name.", kind)
    if ref.get("id"):
        try:
            found = model.objects.filter(pk=serializers.parse_id(str(ref["id"]))).first()
        except ValueError:
            found = None
        if found is None:
            raise _invalid(f"no {kind[:-1]} has the id {str(ref['id'])[:40]}.", kind)
        return found
    slug = str(ref.get("slug") or "").strip()[:120]
    name = str(ref.get("name") or "").strip()[:120]
    found = (slug and model.objects.filter(slug=slug).first()) or (
        name and model.objects.filter(name__iexact=name).first()
    )
    if found:
        return found
    if not (name or slug):
        raise _invalid(f"each of {kind} needs an id, a slug or a name.", kind)
    return model.objects.create(name=name or slug, slug=slug or slugify(name)[:120] or "")


def _stored_image_for_url(url):
    from byline.api.html_body import _stored_image

    if not url:
        return None
    image = _stored_image(url)
    if image is None:
        raise _invalid("feature_image must be the url of an image uploaded to this site.", "feature_image")
    return image


def _apply(story, data: dict, source_html: bool) -> None:
    for name, field_name in STORY_TEXT_FIELDS.items():
        if name in data:
            max_length = StoryPage._meta.get_field(field_name).max_length or 10000
            setattr(story, field_name, _text(data, name, max_length))
    if "featured" in data:
        if not isinstance(data["featured"], bool):
            raise _invalid("featured must be true or false.", "featured")
        story.featured = data["featured"]
    if "visibility" in data:
        if data["visibility"] not in ("public", "members"):
            raise _invalid("visibility is public or members.", "visibility")
        story.visibility = data["visibility"]
    if "feature_image" in data:
        story.feature_image = _stored_image_for_url(data["feature_image"])
    if "html" in data:
        story.body = _html_body(data, source_html)
    elif any(data.get(name) not in (None, "") for name in ("lexical", "mobiledoc")):
        # Byline cannot read Ghost's editor documents: refusing beats dropping the body in silence.
        raise _invalid(
            "Send the body as html with ?source=html (lexical and mobiledoc are not read).", "lexical"
        )
    tags = _refs(data, "tags")
    if tags is not None:
        resolved = list(dict.fromkeys(_resolve(Tag, ref, "tags") for ref in tags))
        story.story_tags = [StoryTag(tag=tag, sort_order=n) for n, tag in enumerate(resolved)]
    authors = _refs(data, "authors")
    if authors is not None:
        resolved = list(dict.fromkeys(_resolve(Author, ref, "authors") for ref in authors))
        if not resolved:
            raise _invalid("a story needs at least one author.", "authors")
        story.story_authors = [StoryAuthor(author=author, sort_order=n) for n, author in enumerate(resolved)]


def _html_body(data: dict, source_html: bool):
    """The StreamField body from Ghost's `html` (only with ?source=html, as Ghost requires)."""
    if not source_html:
        raise _invalid(
            "Send the body as html with ?source=html (lexical and mobiledoc are not read).", "html"
        )
    if not isinstance(data["html"], str) or len(data["html"]) > 5_000_000:
        raise _invalid("html must be text of at most 5 MB.", "html")
    from byline.api.html_body import html_to_body

    return html_to_body(data["html"])


def _unique_slug(parent, wanted: str, story_pk=None, suffix: str = "story") -> str:
    from django.utils.text import slugify

    from byline.core.models import RESERVED_SLUGS

    base = slugify(wanted)[:200] or "untitled"
    if base in RESERVED_SLUGS:
        base = f"{base}-{suffix}"
    siblings = set(parent.get_children().exclude(pk=story_pk).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in siblings:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _save(story, status: str, published_at) -> None:
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    if status == "scheduled":
        if published_at is None or published_at <= timezone.now():
            raise _invalid("a scheduled story needs a published_at in the future.", "published_at")
        story.go_live_at = published_at
    elif status == "published":
        story.go_live_at = None
    try:
        story.full_clean()
    except ValidationError as error:
        messages = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in error.message_dict.items())
        raise _invalid(messages)
    revision = story.save_revision(clean=False)
    if status in ("published", "scheduled"):
        revision.publish()
        if status == "published" and published_at and published_at <= timezone.now():
            if isinstance(story, StoryPage):  # its listings move to that date too
                StoryPage.objects.filter(pk=story.pk).date_as_published(published_at)
            else:
                type(story).objects.filter(pk=story.pk).update(first_published_at=published_at)
    elif story.live:
        story.unpublish()


SEGMENTS = ("all", "status:free", "status:-paid")  # every Byline member is free: these all mean everyone


def apply_newsletter(story, newsletter_slug: str | None, segment: str | None) -> None:
    """Ghost's `?newsletter=<slug>&email_segment=<filter>`: the story is emailed to that newsletter when it
    goes live (the newsletters app sends it, once)."""
    from byline.newsletters.models import Newsletter

    if not newsletter_slug:
        return
    if segment not in (None, "", *SEGMENTS):
        raise _invalid(
            f"email_segment is one of {', '.join(SEGMENTS)} (every member here is free).", "email_segment"
        )
    newsletter = Newsletter.objects.active().filter(slug=newsletter_slug).first()
    if newsletter is None:
        raise _invalid(f"there is no active newsletter with the slug {newsletter_slug[:120]}.", "newsletter")
    story.email_newsletter = newsletter


def _status(data: dict, default: str) -> str:
    status = data.get("status", default)
    if status not in STATUSES:
        raise _invalid("status is draft, published or scheduled.", "status")
    return status


def add_story(data: dict, home, *, source_html: bool, newsletter=None, segment=None) -> StoryPage:
    if not isinstance(data, dict):
        raise _invalid('send {"posts": [{…}]}.')
    if not _text(data, "title", 255):
        raise _invalid("a story needs a title.", "title")
    status = _status(data, "draft")
    with transaction.atomic():
        story = StoryPage(live=False)
        _apply(story, data, source_html)
        apply_newsletter(story, newsletter, segment)
        if not story.story_authors.all():
            first = Author.objects.order_by("pk").first()
            if first is None:
                raise _invalid("a story needs at least one author, and this site has none yet.", "authors")
            story.story_authors = [StoryAuthor(author=first, sort_order=0)]
        story.slug = _unique_slug(home, _text(data, "slug", 255) or story.title)
        story.refresh_derived_fields()
        home.add_child(instance=story)
        _save(story, status, _datetime(data, "published_at"))
    return StoryPage.objects.get(pk=story.pk)


def _lock_for_edit(model, pk: int, data: dict, kind: str):
    """The row to edit, locked until the transaction ends, once the client has shown it read the latest
    save: a different `updated_at` means someone else saved in between (Ghost's 409)."""
    from byline.api.errors import UpdateCollision

    sent_updated_at = _datetime(data, "updated_at")
    if sent_updated_at is None:
        raise _invalid("updated_at is required: send the one you last read.", "updated_at")
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(f"Resource not found error, cannot edit {kind}.", f"{kind.capitalize()} not found.")
    current = admin_updated_at(row)
    if current and abs((current - sent_updated_at).total_seconds()) >= 0.001:
        raise UpdateCollision(f"Saving failed! Someone else is editing this {kind}.", code="UPDATE_COLLISION")
    return row


def edit_story(pk: int, data: dict, *, source_html: bool, newsletter=None, segment=None) -> StoryPage:
    if not isinstance(data, dict):
        raise _invalid('send {"posts": [{…}]}.')
    with transaction.atomic():
        row = _lock_for_edit(StoryPage, pk, data, "post")
        story = current_version(row)
        status = _status(data, story_status(row))
        _apply(story, data, source_html)
        apply_newsletter(story, newsletter, segment)
        if "slug" in data:
            story.slug = _unique_slug(row.get_parent(), _text(data, "slug", 255) or story.title, story_pk=pk)
        story.refresh_derived_fields()
        story.live = row.live
        published_at = _datetime(data, "published_at")
        if published_at is None and status == "scheduled":
            published_at = story.go_live_at  # rescheduling keeps the time already set
        _save(story, status, published_at)
    return StoryPage.objects.get(pk=pk)


def delete_story(pk: int) -> None:
    story = StoryPage.objects.filter(pk=pk).first()
    if story is None:
        raise NotFound("Resource not found error, cannot delete post.", "Post not found.")
    story.delete()


def find_story(id: str | None = None, slug: str | None = None) -> StoryPage:
    try:
        lookup = {"pk": serializers.parse_id(id)} if id is not None else {"slug": slug}
    except ValueError:
        lookup = None
    story = admin_stories().filter(**lookup).first() if lookup else None
    if story is None:
        raise NotFound("Resource not found error, cannot read post.", "Post not found.")
    return story


# ----- the Admin API: writing pages ----------------------------------------------------------------
# Ghost's pages are posts with type "page"; here they are StandalonePages, which keep a title, slug, body,
# feature image and alt text, and SEO title and description.

PAGE_TEXT_FIELDS = {
    # Ghost's name -> StandalonePage field, as STORY_TEXT_FIELDS.
    "title": "title",
    "feature_image_alt": "feature_image_alt",
    "meta_title": "seo_title",
    "meta_description": "search_description",
}
_NOTHING = (None, "")
# Ghost's page fields a StandalonePage cannot keep, with the values that mean "nothing set". A client that
# sends back the page it read passes; one asking for tags, an excerpt or a members-only page is refused
# rather than silently given something else.
PAGE_UNSUPPORTED = {
    "tags": ([],), "authors": ([],), "featured": (False,), "visibility": ("public",),
    "show_title_and_feature_image": (True,), "custom_excerpt": _NOTHING, "feature_image_caption": _NOTHING,
    "og_image": _NOTHING, "og_title": _NOTHING, "og_description": _NOTHING, "twitter_image": _NOTHING,
    "twitter_title": _NOTHING, "twitter_description": _NOTHING, "canonical_url": _NOTHING,
    "codeinjection_head": _NOTHING, "codeinjection_foot": _NOTHING, "custom_template": _NOTHING,
    "email_subject": _NOTHING, "lexical": _NOTHING, "mobiledoc": _NOTHING,
}  # fmt: skip


@contextmanager
def _page_errors():
    """The helpers shared with stories word their errors for posts; a page's client should read "page"."""
    from byline.api.errors import Validation

    try:
        yield
    except Validation as error:
        error.message = "Validation error, cannot save page."
        raise


def admin_pages():
    return (
        StandalonePage.objects.all().order_by("-first_published_at", "-pk").select_related("latest_revision")
    )


def _apply_page(page, data: dict, source_html: bool) -> None:
    for name, nothing in PAGE_UNSUPPORTED.items():
        if name in data and data[name] not in nothing:
            raise _invalid(f"pages here have no {name}: leave it out or send {nothing[0]!r}.", name)
    for name, field_name in PAGE_TEXT_FIELDS.items():
        if name in data:
            max_length = StandalonePage._meta.get_field(field_name).max_length or 10000
            setattr(page, field_name, _text(data, name, max_length))
    if "feature_image" in data:
        page.feature_image = _stored_image_for_url(data["feature_image"])
    if "html" in data:
        from byline.lib import text

        page.body = _html_body(data, source_html)
        # The model derives plaintext only on a full save; a draft's revision is stored without one.
        page.plaintext = text.html_to_plaintext(str(page.body.render_as_block()))


def add_page(data: dict, home, *, source_html: bool) -> StandalonePage:
    with _page_errors():
        if not isinstance(data, dict):
            raise _invalid('send {"pages": [{…}]}.')
        if not _text(data, "title", 255):
            raise _invalid("a page needs a title.", "title")
        status = _status(data, "draft")
        with transaction.atomic():
            page = StandalonePage(live=False)
            _apply_page(page, data, source_html)
            page.slug = _unique_slug(home, _text(data, "slug", 255) or page.title, suffix="page")
            home.add_child(instance=page)
            _save(page, status, _datetime(data, "published_at"))
    return StandalonePage.objects.get(pk=page.pk)


def edit_page(pk: int, data: dict, *, source_html: bool) -> StandalonePage:
    with _page_errors():
        if not isinstance(data, dict):
            raise _invalid('send {"pages": [{…}]}.')
        with transaction.atomic():
            row = _lock_for_edit(StandalonePage, pk, data, "page")
            page = current_version(row)
            status = _status(data, story_status(row))
            _apply_page(page, data, source_html)
            if "slug" in data:
                wanted = _text(data, "slug", 255) or page.title
                page.slug = _unique_slug(row.get_parent(), wanted, story_pk=pk, suffix="page")
            page.live = row.live
            published_at = _datetime(data, "published_at")
            if published_at is None and status == "scheduled":
                published_at = page.go_live_at  # rescheduling keeps the time already set
            _save(page, status, published_at)
    return StandalonePage.objects.get(pk=pk)


def delete_page(pk: int) -> None:
    page = StandalonePage.objects.filter(pk=pk).first()
    if page is None:
        raise NotFound("Resource not found error, cannot delete page.", "Page not found.")
    page.delete()


def find_page(id: str | None = None, slug: str | None = None) -> StandalonePage:
    try:
        lookup = {"pk": serializers.parse_id(id)} if id is not None else {"slug": slug}
    except ValueError:
        lookup = None
    page = admin_pages().filter(**lookup).first() if lookup else None
    if page is None:
        raise NotFound("Resource not found error, cannot read page.", "Page not found.")
    return page


# ----- the Admin API: images and tags --------------------------------------------------------------

IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def upload_image(upload):
    """Store an uploaded image after checking it is one (Pillow reads it); returns the Image."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError
    from wagtail.images import get_image_model

    if upload is None:
        raise _invalid("send the image as the multipart field 'file'.", "file")
    if upload.size > MAX_IMAGE_BYTES:
        from byline.api.errors import RequestEntityTooLarge

        raise RequestEntityTooLarge(
            "Request is larger than the maximum file size", "Images are at most 20 MB."
        )
    try:
        with PILImage.open(upload) as picture:
            kind = picture.format
            picture.verify()
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError):
        kind = None
    if kind not in IMAGE_FORMATS:
        from byline.api.errors import UnsupportedMediaType

        raise UnsupportedMediaType(
            "Please select a valid image file.", "Images are JPEG, PNG, GIF or WebP.", property="file"
        )
    upload.seek(0)
    title = (upload.name or "image").rsplit("/", 1)[-1][:200]
    return get_image_model().objects.create(title=title, file=upload)


def add_tag(data: dict) -> Tag:
    from django.utils.text import slugify

    if not isinstance(data, dict):
        raise _invalid('send {"tags": [{…}]}.')
    name = _text(data, "name", 120)
    if not name:
        raise _invalid("a tag needs a name.", "name")
    slug = slugify(_text(data, "slug", 120) or (("hash-" + name[1:]) if name.startswith("#") else name))[:120]
    if Tag.objects.filter(name__iexact=name).exists() or Tag.objects.filter(slug=slug).exists():
        raise _invalid(f"a tag named {name} (or with the slug {slug}) exists already.", "name")
    accent = _accent(data)
    return Tag.objects.create(
        name=name, slug=slug or "tag", description=_text(data, "description", 1000), accent_colour=accent
    )


def _accent(data: dict) -> str:
    import re

    accent = _text(data, "accent_color", 7)
    if accent and not re.fullmatch(r"#[0-9a-fA-F]{6}", accent):
        raise _invalid("accent_color is a colour like #1a73e8.", "accent_color")
    return accent


def find_tag(id: str) -> Tag:
    try:
        tag = Tag.objects.filter(pk=serializers.parse_id(id)).first()
    except ValueError:
        tag = None
    if tag is None:
        raise NotFound("Resource not found error, cannot find tag.", "Tag not found.")
    return tag


def edit_tag(id: str, data: dict) -> Tag:
    from django.utils.text import slugify

    tag = find_tag(id)
    if not isinstance(data, dict):
        raise _invalid('send {"tags": [{…}]}.')
    if "name" in data:
        name = _text(data, "name", 120)
        if not name or Tag.objects.filter(name__iexact=name).exclude(pk=tag.pk).exists():
            raise _invalid("a tag needs a name no other tag has.", "name")
        tag.name = name
    if "slug" in data:
        slug = slugify(_text(data, "slug", 120))[:120]
        if not slug or Tag.objects.filter(slug=slug).exclude(pk=tag.pk).exists():
            raise _invalid("a tag needs a slug no other tag has.", "slug")
        tag.slug = slug
    if "description" in data:
        tag.description = _text(data, "description", 1000)
    if "accent_color" in data:
        tag.accent_colour = _accent(data)
    tag.save()
    return tag


def delete_tag(id: str) -> None:
    find_tag(id).delete()  # stories keep their other tags; the links to this one go with it


# ----- the Admin API: webhooks ---------------------------------------------------------------------


def _webhook_fields(webhook, data: dict) -> None:
    from django.core.exceptions import ValidationError

    from byline.api.models import EVENTS
    from byline.api.webhooks import TargetRefused, check_target

    def invalid(message, prop):
        from byline.api.errors import Validation

        return Validation("Validation error, cannot save webhook.", message, property=prop)

    if "event" in data:
        if data["event"] not in EVENTS:
            raise invalid(f"event is one of {', '.join(EVENTS)}.", "event")
        webhook.event = data["event"]
    for name, limit in (("target_url", 2000), ("name", 191), ("secret", 191)):
        if name in data:
            value = data[name] if data[name] is not None else ""
            if not isinstance(value, str) or len(value) > limit:
                raise invalid(f"{name} is text of at most {limit} characters.", name)
            setattr(webhook, name, value.strip())
    if not webhook.event or not webhook.target_url:
        raise invalid(
            "a webhook needs an event and a target_url.", "event" if not webhook.event else "target_url"
        )
    try:
        check_target(webhook.target_url)
    except TargetRefused as refused:
        raise invalid(str(refused), "target_url")
    try:
        webhook.full_clean(exclude=["integration"])
    except ValidationError as error:
        raise invalid("; ".join(f"{f}: {' '.join(e)}" for f, e in error.message_dict.items()), None)


def add_webhook(integration, data: dict):
    from byline.api.models import Webhook

    webhook = Webhook(integration=integration)
    _webhook_fields(webhook, data if isinstance(data, dict) else {})
    webhook.save()
    return webhook


def _own_webhook(integration, id: str):
    from byline.api.models import Webhook

    try:
        pk = serializers.parse_id(id)
    except ValueError:
        pk = None
    webhook = Webhook.objects.filter(pk=pk, integration=integration).first() if pk else None
    if webhook is None:
        raise NotFound("Resource not found error, cannot find webhook.", "Webhook not found.")
    return webhook


def edit_webhook(integration, id: str, data: dict):
    webhook = _own_webhook(integration, id)
    _webhook_fields(webhook, data if isinstance(data, dict) else {})
    webhook.save()
    return webhook


def delete_webhook(integration, id: str) -> None:
    _own_webhook(integration, id).delete()


# ----- the Admin API: members ----------------------------------------------------------------------
# Members belong to the members app: these call its services and only read its models.


def _member_invalid(message: str, prop: str | None = None):
    from byline.api.errors import Validation

    return Validation("Validation error, cannot save member.", message, property=prop)


def _member_newsletters(data: dict):
    from django.core.exceptions import ValidationError

    from byline.members import services as members

    if "newsletters" not in data:
        return None
    try:
        return members.resolve_newsletters(data["newsletters"])
    except ValidationError as error:
        raise _member_invalid(" ".join(error.messages), "newsletters")


def _labels(data: dict) -> tuple[str, ...]:
    labels = data.get("labels") or []
    if not isinstance(labels, list) or len(labels) > 100:
        raise _member_invalid("labels is a list of at most 100 names or {name} objects.", "labels")
    names = []
    for label in labels:
        name = label.get("name") if isinstance(label, dict) else label
        if not isinstance(name, str) or not name.strip() or len(name) > 120:
            raise _member_invalid("each label has a name of at most 120 characters.", "labels")
        names.append(name.strip())
    return tuple(dict.fromkeys(names))


def add_member(data: dict):
    from django.core.exceptions import ValidationError

    from byline.members import services as members
    from byline.members.models import Member
    from byline.newsletters.models import Newsletter

    if not isinstance(data, dict):
        raise _member_invalid('send {"members": [{…}]}.')
    try:
        email = members.normalise_email(data.get("email"))
    except ValidationError as error:
        raise _member_invalid(" ".join(error.messages), "email")
    if Member.objects.filter(email=email).exists():
        raise _member_invalid(
            "Member already exists. Attempting to add member with existing email address.", "email"
        )
    newsletters = _member_newsletters(data)
    if newsletters is None:
        newsletters = list(Newsletter.objects.active().filter(subscribe_on_signup=True))
    row = members.ImportedMember(
        email=email,
        name=members.clean_name(data.get("name") or ""),
        note=str(data.get("note") or "")[:2000],
        labels=_labels(data),
        subscribed=data.get("subscribed", True) is not False,
    )
    with transaction.atomic():
        members.import_members([row], newsletters=newsletters)
    return Member.objects.get(email=email)


def find_member(id: str):
    from byline.members.models import Member

    try:
        member = Member.objects.filter(pk=serializers.parse_id(id)).first()
    except ValueError:
        member = None
    if member is None:
        raise NotFound("Resource not found error, cannot find member.", "Member not found.")
    return member


def edit_member(id: str, data: dict):
    from django.core.exceptions import ValidationError

    from byline.members import services as members

    member = find_member(id)
    if not isinstance(data, dict):
        raise _member_invalid('send {"members": [{…}]}.')
    try:
        members.update_member(member, name=data.get("name"), newsletters=_member_newsletters(data))
    except ValidationError as error:
        raise _member_invalid(" ".join(error.messages))
    return member


def delete_member(id: str) -> None:
    from byline.members import services as members

    members.delete_member(find_member(id))


MEMBER_FIELDS = {
    "id": _id_field("pk"),
    "email": Field("email"),
    "name": Field("name"),
    "status": Field("status", "choice", choices=frozenset({"free", "paid", "comped"})),
    "created_at": Field("created_at", "date"),
    "label": Field("label__slug", within=lambda q: Q(pk__in=_member_label_links(q))),
    "labels.slug": Field("label__slug", within=lambda q: Q(pk__in=_member_label_links(q))),
}


def _member_label_links(q):
    from byline.members.models import Member

    return Member.labels.through.objects.filter(q).values("member_id")


class Members(Resource):
    def queryset(self, params):
        from byline.members.models import Member

        return Member.objects.prefetch_related("labels", "newsletters")


MEMBERS = Members(
    "members",
    "member",
    MEMBER_FIELDS,
    {"created_at": "created_at", "email": "email", "name": "name", "id": "pk"},
    ["-created_at", "-pk"],
)
