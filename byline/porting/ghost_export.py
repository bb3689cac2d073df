"""Writing a Ghost-format JSON export (Ghost 6's shape), which Ghost, or Byline, can import back.

Ids are 24 hex characters like Ghost's, derived from Byline's primary keys, so relations inside the file
line up. The body goes out as rendered `html` (every Ghost importer reads it); an imported story's
original `lexical`/`mobiledoc` goes out verbatim beside it, so a round trip through Byline loses nothing.
"""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from wagtail.models import Site

from byline.core.models import PublicationSettings
from byline.stories.models import Author, StandalonePage, StoryPage, Tag

EXPORT_VERSION = "6.0.0"


def ghost_id(kind: str, pk: int) -> str:
    prefix = {"post": "1", "tag": "2", "user": "3", "newsletter": "4", "link": "5", "meta": "6"}[kind]
    return prefix + format(pk, "023x")


def ghost_date(value) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.BYLINE_URL.rstrip("/") + url


def _source(page):
    from byline.porting.models import ImportedSource

    try:
        return page.imported_source
    except ImportedSource.DoesNotExist:
        return None


def _post(page, kind: str) -> dict:
    source = _source(page)
    story = page if kind == "post" else None
    html = page.body_html() if story else str(page.body.render_as_block())
    feature = ""
    if page.feature_image_id:
        feature = _absolute(page.feature_image.file.url)
    elif source and source.original_feature_image:
        feature = source.original_feature_image
    if page.live:
        status = "published"
    elif page.go_live_at and page.go_live_at > timezone.now():
        status = "scheduled"
    elif story and story.email_only:
        status = "sent"
    else:
        status = "draft"
    published = page.first_published_at or (page.go_live_at if status == "scheduled" else None)
    return {
        "id": ghost_id("post", page.pk),
        "uuid": (source and source.original_uuid) or str(page.translation_key),
        "title": page.title,
        "slug": page.slug,
        "html": html,
        "lexical": (source and source.lexical) or None,
        "mobiledoc": (source and source.mobiledoc) or None,
        "plaintext": page.plaintext,
        "feature_image": feature or None,
        "featured": bool(story and story.featured),
        "type": kind,
        "status": status,
        "visibility": story.visibility if story else "public",
        "created_at": ghost_date(
            page.first_published_at or page.latest_revision_created_at or timezone.now()
        ),
        "updated_at": ghost_date(page.last_published_at or page.latest_revision_created_at or timezone.now()),
        "published_at": ghost_date(published),
        "custom_excerpt": (story.custom_excerpt or None) if story else None,
        "codeinjection_head": (source and source.codeinjection_head) or None,
        "codeinjection_foot": (source and source.codeinjection_foot) or None,
        "canonical_url": (story.canonical_url or None) if story else None,
        "locale": None,
        "custom_template": None,
        "email_recipient_filter": "all",
        "newsletter_id": None,
        "show_title_and_feature_image": True,
    }


def _meta(page, kind: str) -> dict:
    story = page if kind == "post" else None
    return {
        "id": ghost_id("meta", page.pk),
        "post_id": ghost_id("post", page.pk),
        "og_image": None,
        "og_title": (story.og_title or None) if story else None,
        "og_description": (story.og_description or None) if story else None,
        "twitter_image": None,
        "twitter_title": (story.twitter_title or None) if story else None,
        "twitter_description": (story.twitter_description or None) if story else None,
        "meta_title": page.seo_title or None,
        "meta_description": page.search_description or None,
        "email_subject": (story.email_subject or None) if story else None,
        "frontmatter": None,
        "feature_image_alt": page.feature_image_alt or None,
        "feature_image_caption": (story.feature_image_caption or None) if story else None,
        "email_only": bool(story and story.email_only),
    }


def _user(author: Author) -> dict:
    return {
        "id": ghost_id("user", author.pk),
        "name": author.name,
        "slug": author.slug,
        "email": f"{author.slug}@authors.invalid",  # Ghost requires one; authors here have none
        "bio": author.bio or None,
        "website": author.website or None,
        "location": author.location or None,
        "twitter": f"@{author.x_handle}" if author.x_handle else None,
        "facebook": author.facebook or None,
        "profile_image": _absolute(author.photo.file.url) if author.photo_id else None,
        "status": "active",
    }


def _tag(tag: Tag) -> dict:
    return {
        "id": ghost_id("tag", tag.pk),
        "name": tag.name,
        "slug": tag.slug,
        "description": tag.description or None,
        "feature_image": None,
        "visibility": "internal" if tag.is_internal else "public",
        "accent_color": tag.accent_colour or None,
    }


def _settings() -> list[dict]:
    site = Site.objects.get(is_default_site=True)
    publication = PublicationSettings.for_site(site)
    navigation = [{"label": item.value["label"], "url": item.value["url"]} for item in publication.navigation]
    values = {
        "title": publication.name,
        "description": publication.description,
        "accent_color": publication.accent_colour,
        "twitter": f"@{publication.x_handle}" if publication.x_handle else None,
        "facebook": publication.facebook_page or None,
        "navigation": json.dumps(navigation),
        "timezone": settings.TIME_ZONE,
    }
    return [{"key": key, "value": value} for key, value in values.items()]


def _newsletters() -> list[dict]:
    from django.apps import apps

    if not apps.is_installed("byline.newsletters"):
        return []
    Newsletter = apps.get_model("newsletters", "Newsletter")
    return [
        {
            "id": ghost_id("newsletter", item.pk),
            "uuid": str(item.uuid),
            "name": item.name,
            "slug": item.slug,
            "description": item.description or None,
            "sender_name": item.sender_name or None,
            "sender_email": item.sender_email or None,
            "sender_reply_to": item.reply_to or "newsletter",
            "status": item.status,
            "subscribe_on_signup": item.subscribe_on_signup,
            "sort_order": item.sort_order,
        }
        for item in Newsletter.objects.all()
    ]


def build_export(progress=None) -> dict:
    stories = StoryPage.objects.select_related("feature_image", "imported_source").prefetch_related(
        "story_authors", "story_tags"
    )
    pages = StandalonePage.objects.select_related("feature_image", "imported_source")
    posts, metas, posts_tags, posts_authors = [], [], [], []
    total = stories.count() + pages.count()
    done = 0
    for kind, queryset in (("post", stories.order_by("pk")), ("page", pages.order_by("pk"))):
        for page in queryset.iterator(chunk_size=500):
            posts.append(_post(page, kind))
            metas.append(_meta(page, kind))
            if kind == "post":
                for link in page.story_tags.all():
                    posts_tags.append({
                        "id": ghost_id("link", link.pk), "post_id": ghost_id("post", page.pk),
                        "tag_id": ghost_id("tag", link.tag_id), "sort_order": link.sort_order,
                    })  # fmt: skip
                for link in page.story_authors.all():
                    posts_authors.append({
                        "id": ghost_id("link", link.pk), "post_id": ghost_id("post", page.pk),
                        "author_id": ghost_id("user", link.author_id), "sort_order": link.sort_order,
                    })  # fmt: skip
            done += 1
            if progress:
                progress("Stories and pages", done, total)
    return {
        "db": [
            {
                "meta": {
                    "exported_on": int(datetime.now(tz=UTC).timestamp() * 1000),
                    "version": EXPORT_VERSION,
                },
                "data": {
                    "posts": posts,
                    "posts_meta": metas,
                    "posts_tags": posts_tags,
                    "posts_authors": posts_authors,
                    "tags": [_tag(tag) for tag in Tag.objects.order_by("pk")],
                    "users": [
                        _user(author) for author in Author.objects.select_related("photo").order_by("pk")
                    ],
                    "settings": _settings(),
                    "newsletters": _newsletters(),
                },
            }
        ]
    }
