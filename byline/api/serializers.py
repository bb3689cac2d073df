"""Ghost's wire shapes, written out by hand: the shape is a promise to every client out there.

Empty text becomes null (Ghost's nulls, never ""), dates carry the site's offset, URLs are absolute, ids
are 24 hex characters (Ghost's ObjectId shape) made from our integer keys.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

PAYWALL = "<!--members-only-->"
GHOST_VERSION = "6.0"  # the Ghost API release whose shapes Byline answers with


def ghost_id(pk: int) -> str:
    return f"{pk:024x}"


def parse_id(text: str) -> int:
    """The integer key behind a 24-hex id; ValueError for anything else."""
    if len(text) != 24 or text.strip("0123456789abcdefABCDEF"):
        raise ValueError(text)
    return int(text, 16)


def ghost_date(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    local = timezone.localtime(moment)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}{offset[:3]}:{offset[3:]}"


def nullable(text: str | None):
    return text or None


@dataclass
class Output:
    """What the request asked to see: the site's root URL, include, formats and fields."""

    root_url: str
    include: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=lambda: {"html"})
    fields: set[str] = field(default_factory=set)
    member_access: bool = False

    def absolute(self, url: str | None) -> str | None:
        if not url:
            return None
        return url if url.startswith(("http://", "https://")) else self.root_url + url

    def image(self, image) -> str | None:
        return self.absolute(image.file.url) if image is not None else None

    def shows(self, name: str) -> bool:
        """Whether a format (html, plaintext) is asked for and not left out by `fields`."""
        return name in self.formats and (not self.fields or name in self.fields)

    def pick(self, data: dict) -> dict:
        if not self.fields:
            return data
        return {key: value for key, value in data.items() if key in self.fields}


# ----- tags and authors ----------------------------------------------------------------------------


def tag(tag, out: Output, *, with_count: bool = False) -> dict:
    data = {
        "id": ghost_id(tag.pk),
        "name": tag.name,
        "slug": tag.slug,
        "description": nullable(tag.description),
        "feature_image": out.image(tag.feature_image) if tag.feature_image_id else None,
        "visibility": tag.visibility,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "meta_title": None,
        "meta_description": None,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "canonical_url": None,
        "accent_color": nullable(tag.accent_colour),
        "url": out.absolute(tag.get_absolute_url()),
    }
    if with_count:
        data["count"] = {"posts": tag.post_count}
    return data


def author(author, out: Output, *, with_count: bool = False) -> dict:
    x_handle = author.x_handle.lstrip("@")
    data = {
        "id": ghost_id(author.pk),
        "name": author.name,
        "slug": author.slug,
        "profile_image": out.image(author.photo) if author.photo_id else None,
        "cover_image": None,
        "bio": nullable(author.bio),
        "website": nullable(author.website),
        "location": nullable(author.location),
        "facebook": nullable(author.facebook),
        "twitter": f"@{x_handle}" if x_handle else None,
        "threads": None,
        "bluesky": nullable(author.bluesky_handle),
        "mastodon": None,
        "tiktok": None,
        "youtube": None,
        "instagram": None,
        "linkedin": None,
        "meta_title": None,
        "meta_description": None,
        "url": out.absolute(author.get_absolute_url()),
    }
    if with_count:
        data["count"] = {"posts": author.post_count}
    return data


# ----- posts and pages -----------------------------------------------------------------------------


def visible_html(html: str, story, out: Output) -> tuple[str, bool]:
    """The body a reader with this key may see, and whether they see all of it.

    Members-only stories are cut at the paywall marker for anonymous keys; with no marker, nothing of
    the body is shown (Ghost's rule).
    """
    if getattr(story, "visibility", "public") == "public" or out.member_access:
        return html, True
    cut = html.find(PAYWALL)
    return (html[:cut] if cut >= 0 else ""), False


def post(story, out: Output, request) -> dict:
    """A story as Ghost's post object (33 fields, more with include and formats)."""
    from byline.lib import text

    gated = story.visibility != "public" and not out.member_access
    html = story.body_html() if gated or out.shows("html") or out.shows("plaintext") else ""
    html, access = visible_html(html, story, out)
    if access:
        plaintext, excerpt = story.plaintext, story.excerpt
    else:
        plaintext = text.html_to_plaintext(html) if html else ""
        excerpt = text.excerpt(plaintext, story.custom_excerpt)
    data = {
        "id": ghost_id(story.pk),
        "uuid": str(story.translation_key),
        "title": story.title,
        "slug": story.slug,
        "comment_id": ghost_id(story.pk),
        "feature_image": out.image(story.feature_image) if story.feature_image_id else None,
        "featured": story.featured,
        "visibility": story.visibility,
        "created_at": ghost_date(story.first_published_at or story.latest_revision_created_at),
        "updated_at": ghost_date(story.updated_at),
        "published_at": ghost_date(story.published_at),
        "custom_excerpt": nullable(story.custom_excerpt),
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "custom_template": None,
        "canonical_url": nullable(story.canonical_url),
        "url": out.absolute(story.get_url(request)),
        "excerpt": excerpt or None,
        "reading_time": story.reading_time if story.reading_time is not None else 0,
        "access": access,
        "comments": story.comments != story.COMMENTS_HIDDEN,
        "og_image": out.image(story.og_image) if story.og_image_id else None,
        "og_title": nullable(story.og_title),
        "og_description": nullable(story.og_description),
        "twitter_image": out.image(story.twitter_image) if story.twitter_image_id else None,
        "twitter_title": nullable(story.twitter_title),
        "twitter_description": nullable(story.twitter_description),
        "meta_title": nullable(story.seo_title),
        "meta_description": nullable(story.search_description),
        "email_subject": nullable(story.email_subject),
        "frontmatter": None,
        "feature_image_alt": nullable(story.feature_image_alt),
        "feature_image_caption": nullable(story.feature_image_caption),
    }
    _formats(data, html, plaintext, out)
    if "tags" in out.include:
        data["tags"] = [tag(t, out) for t in story.tags]
        data["primary_tag"] = tag(story.primary_tag, out) if story.primary_tag else None
    if "authors" in out.include:
        data["authors"] = [author(a, out) for a in story.authors]
        data["primary_author"] = author(story.primary_author, out) if story.primary_author else None
    return out.pick(data)


def page(standalone, out: Output, request) -> dict:
    """A standalone page as Ghost's page object. Pages carry no authors or tags here."""
    from byline.lib import text

    # Pages are few and short: render the body for the reading time whether or not html is shown.
    html = str(standalone.body.render_as_block()) if standalone.body else ""
    has_image = bool(standalone.feature_image_id)

    plaintext = standalone.plaintext
    data = {
        "id": ghost_id(standalone.pk),
        "uuid": str(standalone.translation_key),
        "title": standalone.title,
        "slug": standalone.slug,
        "comment_id": ghost_id(standalone.pk),
        "feature_image": out.image(standalone.feature_image) if standalone.feature_image_id else None,
        "featured": False,
        "visibility": "public",
        "created_at": ghost_date(standalone.first_published_at or standalone.latest_revision_created_at),
        "updated_at": ghost_date(standalone.last_published_at or standalone.first_published_at),
        "published_at": ghost_date(standalone.first_published_at),
        "custom_excerpt": None,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "custom_template": None,
        "canonical_url": None,
        "show_title_and_feature_image": True,
        "url": out.absolute(standalone.get_url(request)),
        "excerpt": text.excerpt(plaintext, "") or None,
        "reading_time": text.reading_time(html or None, has_feature_image=has_image) or 0,
        "access": True,
        "comments": False,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "meta_title": nullable(standalone.seo_title),
        "meta_description": nullable(standalone.search_description),
        "frontmatter": None,
        "feature_image_alt": nullable(standalone.feature_image_alt),
        "feature_image_caption": None,
    }
    _formats(data, html, plaintext, out)
    if "tags" in out.include:
        data["tags"], data["primary_tag"] = [], None
    if "authors" in out.include:
        data["authors"], data["primary_author"] = [], None
    return out.pick(data)


def _formats(data: dict, html: str, plaintext: str, out: Output) -> None:
    if "html" in out.formats:
        data["html"] = html
    if "plaintext" in out.formats:
        data["plaintext"] = plaintext


# ----- the publication -----------------------------------------------------------------------------


def site_settings(publication, home, out: Output) -> dict:
    x_handle = publication.x_handle.lstrip("@")
    navigation = [{"label": link.value["label"], "url": link.value["url"]} for link in publication.navigation]
    return {
        "title": publication.name,
        "description": nullable(publication.description),
        "logo": out.image(publication.logo) if publication.logo_id else None,
        "icon": None,
        "accent_color": publication.accent_colour,
        "cover_image": None,
        "facebook": nullable(publication.facebook_page),
        "twitter": f"@{x_handle}" if x_handle else None,
        "threads": nullable(publication.threads_handle),
        "bluesky": nullable(publication.bluesky_handle),
        "mastodon": None,
        "tiktok": None,
        "youtube": None,
        "instagram": None,
        "linkedin": nullable(publication.linkedin_page),
        "locale": settings.LANGUAGE_CODE.split("-")[0],
        "timezone": settings.TIME_ZONE,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "navigation": navigation,
        "secondary_navigation": [],
        "meta_title": nullable(home.seo_title) if home else None,
        "meta_description": nullable(home.search_description) if home else None,
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "members_support_address": publication.support_email or "noreply",
        "members_enabled": True,
        "donations_enabled": False,
        "allow_self_signup": True,
        "members_invite_only": False,
        "members_signup_access": "all",
        "paid_members_enabled": False,
        "firstpromoter_account": None,
        "portal_button_style": "icon-and-text",
        "portal_button_signup_text": "Subscribe",
        "portal_button_icon": None,
        "portal_signup_terms_html": None,
        "portal_signup_checkbox_required": False,
        "portal_signup_gift_promotion": False,
        "portal_account_gift_promotion": False,
        "portal_plans": ["free"],
        "portal_default_plan": "free",
        "portal_name": publication.subscribe_asks_name,
        "portal_button": False,
        "comments_enabled": "all",
        "recommendations_enabled": False,
        "outbound_link_tagging": False,
        "default_email_address": publication.sender_email or settings.DEFAULT_FROM_EMAIL,
        "support_email_address": publication.support_email or settings.DEFAULT_FROM_EMAIL,
        "editor_default_email_recipients": "visibility",
        "labs": {},
        "site_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, out.root_url + "/")),
        "lang": settings.LANGUAGE_CODE.split("-")[0],
        "url": out.root_url + "/",
        "version": GHOST_VERSION,
    }


def free_tier(since: datetime | None, publication) -> dict:
    """Byline has one tier: free membership."""
    return {
        "id": ghost_id(1),
        "name": "Free",
        "description": None,
        "slug": "free",
        "active": True,
        "type": "free",
        "welcome_page_url": None,
        "created_at": ghost_date(since),
        "updated_at": ghost_date(since),
        "visibility": "public",
        "benefits": [],
        "trial_days": 0,
    }


def newsletter(letter) -> dict:
    return {
        "id": ghost_id(letter.pk),
        "uuid": str(letter.uuid),
        "name": letter.name,
        "description": nullable(letter.description),
        "slug": letter.slug,
        "sender_email": nullable(letter.sender_email),
        "subscribe_on_signup": letter.subscribe_on_signup,
        "visibility": "members",
        "sort_order": letter.sort_order,
        "created_at": ghost_date(letter.created_at),
        "updated_at": ghost_date(letter.created_at),
    }


# ----- the Admin API -------------------------------------------------------------------------------


def admin_date(moment: datetime | None) -> str | None:
    """The Admin API writes dates in UTC with a Z, where the Content API uses the site's offset."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def admin_post(story, row, out: Output, request, *, status: str, updated_at) -> dict:
    """A story as the Admin API shows it: everything the Content API shows, with its status, email
    options, tags and authors, and `updated_at` as the edit-collision check reads it."""
    out.member_access = True
    out.include = out.include | {"tags", "authors"}
    data = post(story, out, request)
    data.update(
        {
            **_admin_state(story, row, status, updated_at),
            "email_segment": "all",
            "email_only": story.email_only,
            "email": None,
            "newsletter": None,
        }
    )
    return out.pick(data)


def _admin_state(version, row, status: str, updated_at) -> dict:
    """Status and UTC dates of a story or page: `version` is what an editor last saved, `row` the page in
    the tree (live or not)."""
    return {
        "status": status,
        "created_at": admin_date(row.first_published_at or row.latest_revision_created_at),
        "updated_at": admin_date(updated_at),
        "published_at": admin_date(
            row.first_published_at if row.live else (version.go_live_at or row.first_published_at)
        ),
    }


def admin_page(standalone, row, out: Output, request, *, status: str, updated_at) -> dict:
    """A standalone page as the Admin API shows it: the Content API's page with Ghost's `type`, its
    status and UTC dates, and `updated_at` as the edit-collision check reads it. Tags and authors are
    always listed, as Ghost's Admin API does; here they are always empty."""
    out.include = out.include | {"tags", "authors"}
    data = page(standalone, out, request)
    data.update({"type": "page", **_admin_state(standalone, row, status, updated_at)})
    return out.pick(data)


def admin_tag(topic, out: Output) -> dict:
    return {**tag(topic, out), "created_at": None, "updated_at": None}


def webhook(hook) -> dict:
    return {
        "id": ghost_id(hook.pk),
        "event": hook.event,
        "target_url": hook.target_url,
        "name": hook.name or None,
        "secret": hook.secret or None,
        "api_version": "v6",
        "integration_id": ghost_id(hook.integration_id),
        "last_triggered_at": admin_date(hook.last_triggered_at),
        "last_triggered_status": hook.last_triggered_status or None,
        "last_triggered_error": hook.last_triggered_error or None,
        "created_at": admin_date(hook.created_at),
        "updated_at": admin_date(hook.updated_at),
    }


def admin_member(member) -> dict:
    labels = list(member.labels.all())
    newsletters = list(member.newsletters.all())
    return {
        "id": ghost_id(member.pk),
        "uuid": str(member.uuid),
        "email": member.email,
        "name": member.name or None,
        "note": member.note or None,
        "geolocation": None,
        "subscribed": bool(newsletters),
        "created_at": admin_date(member.created_at),
        "updated_at": admin_date(member.updated_at),
        "labels": [
            {
                "id": ghost_id(label.pk),
                "name": label.name,
                "slug": label.slug,
                "created_at": None,
                "updated_at": None,
            }
            for label in labels
        ],
        "subscriptions": [],
        "avatar_image": None,
        "comped": False,
        "email_count": 0,
        "email_opened_count": 0,
        "email_open_rate": None,
        "status": member.status,
        "last_seen_at": admin_date(member.last_seen_at),
        "tiers": [],
        "newsletters": [
            {
                "id": ghost_id(letter.pk),
                "name": letter.name,
                "description": letter.description or None,
                "status": letter.status,
            }
            for letter in newsletters
        ],  # fmt: skip
        "email_suppression": {"suppressed": member.email_disabled, "info": None},
    }
