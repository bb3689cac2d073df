"""Importing a Ghost export into Byline, all or nothing. Called by services.import_ghost.

One transaction around everything; one savepoint per record, so a record that fails its checks is
skipped and reported while the others go in. A dry run does the same work and rolls back at the end,
so its report is exactly what a real run would do. Imported stories are not "published" through
Wagtail: no publish signals, so an archive moving in never emails anyone.
"""

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page, Site

from byline.core.models import RESERVED_SLUGS, PublicationSettings
from byline.porting import ghost
from byline.porting.html_blocks import html_to_blocks
from byline.porting.models import ImportedSource
from byline.porting.report import ImportFailed, Report
from byline.stories.models import Author, StandalonePage, StoryAuthor, StoryPage, StoryTag, Tag

ON_CONFLICT = ("skip", "rename", "overwrite")
SLUG = re.compile(r"^[-\w]+$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
IMAGE_PATH = re.compile(r"""(?:__GHOST_URL__|https?://[^\s"'<>]+)?/content/images/[^\s"'<>)]+""")
VISIBILITY = {"public": "public"}  # members, paid, tiers and filters all mean "members only" here


def _where(table: str, index: int, row: dict, label_key: str = "title") -> str:
    label = row.get(label_key) or row.get("name") or row.get("slug") or row.get("id") or ""
    return f"{table}[{index}] “{str(label)[:60]}”" if label else f"{table}[{index}]"


def _text(value, limit: int | None = None) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text[:limit] if limit else text


def _url_or_blank(value) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        URLValidator()(value.strip())
    except ValidationError:
        return ""
    return value.strip()


class GhostImporter:
    def __init__(
        self,
        export: ghost.GhostExport,
        report: Report,
        *,
        on_conflict: str = "skip",
        default_author: str | None = None,
        old_url: str = "",
        with_settings: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ):
        if on_conflict not in ON_CONFLICT:
            raise ImportFailed(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r}.")
        self.export = export
        self.report = report
        self.on_conflict = on_conflict
        self.default_author_slug = default_author
        self.old_url = old_url.rstrip("/")
        self.with_settings = with_settings
        self.progress = progress or (lambda done, total: None)
        self.home = Site.objects.get(is_default_site=True).root_page.specific
        self.authors: dict[str, Author] = {}
        self.tags: dict[str, Tag] = {}
        self.slugs_in_file: set[str] = set()
        # Slugs of the pages already on the site, read once: a lookup per record would scan them each time.
        self.site_slugs: dict[str, int] = dict(Page.objects.child_of(self.home).values_list("slug", "pk"))

    # The whole run --------------------------------------------------------------------------------

    def run(self) -> None:
        self.import_users()
        self.import_tags()
        self.import_newsletters()
        if self.with_settings:
            self.import_settings()
        self.import_posts()

    # Authors and tags ----------------------------------------------------------------------------

    def import_users(self) -> None:
        for index, row in enumerate(self.export.rows("users")):
            where = _where("users", index, row, "name")
            name = _text(row.get("name")).strip()
            slug = slugify(_text(row.get("slug")) or name, allow_unicode=True)[:120]
            if not name or not slug:
                self.report.problem(where, "name", "an author needs a name; skipped")
                self.report.count("author", "skipped")
                continue
            author = Author.objects.filter(slug=slug).first()
            if author is not None and self.on_conflict != "overwrite":
                self.report.count("author", "existing")
            else:
                outcome = "updated" if author else "created"
                author = author or Author(slug=slug)
                author.name = name[:120]
                author.bio = _text(row.get("bio"), 2000)
                author.website = _url_or_blank(row.get("website"))
                author.location = _text(row.get("location"), 120)
                author.x_handle = _text(row.get("twitter"), 50).lstrip("@")
                author.facebook = _text(row.get("facebook"), 100)
                author.save()
                self.report.count("author", outcome)
            self.authors[str(row.get("id"))] = author

    def import_tags(self) -> None:
        for index, row in enumerate(self.export.rows("tags")):
            where = _where("tags", index, row, "name")
            name = _text(row.get("name")).strip()[:120]
            if not name:
                self.report.problem(where, "name", "a tag needs a name; skipped")
                self.report.count("tag", "skipped")
                continue
            if row.get("visibility") == "internal" and not name.startswith("#"):
                name = f"#{name}"[:120]
            slug = slugify(_text(row.get("slug")) or name, allow_unicode=True)[:120] or "tag"
            tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name=name).first()
            if tag is not None and self.on_conflict != "overwrite":
                self.report.count("tag", "existing")
            else:
                outcome = "updated" if tag else "created"
                tag = tag or Tag(slug=slug)
                tag.name = name
                tag.description = _text(row.get("description"), 1000)
                colour = _text(row.get("accent_color"))
                tag.accent_colour = colour if HEX_COLOUR.match(colour) else ""
                tag.save()
                self.report.count("tag", outcome)
            self.tags[str(row.get("id"))] = tag

    def import_newsletters(self) -> None:
        from django.apps import apps

        if not apps.is_installed("byline.newsletters"):
            return
        Newsletter = apps.get_model("newsletters", "Newsletter")
        for index, row in enumerate(self.export.rows("newsletters")):
            where = _where("newsletters", index, row, "name")
            name = _text(row.get("name")).strip()[:120]
            slug = slugify(_text(row.get("slug")) or name)[:120]
            if not name or not slug:
                self.report.problem(where, "name", "a newsletter needs a name; skipped")
                self.report.count("newsletter", "skipped")
                continue
            if Newsletter.objects.filter(slug=slug).exists():
                self.report.count("newsletter", "existing")
                continue
            reply_to = _text(row.get("sender_reply_to"))
            Newsletter.objects.create(
                name=name,
                slug=slug,
                description=_text(row.get("description"), 300),
                sender_name=_text(row.get("sender_name"), 120),
                sender_email=_text(row.get("sender_email")) if "@" in _text(row.get("sender_email")) else "",
                # Ghost stores the keywords "newsletter" or "support" here, or an address.
                reply_to=reply_to if "@" in reply_to else "",
                subscribe_on_signup=bool(row.get("subscribe_on_signup", True)),
                status="archived" if row.get("status") == "archived" else "active",
                sort_order=row.get("sort_order") if isinstance(row.get("sort_order"), int) else 0,
            )
            self.report.count("newsletter", "created")

    def import_settings(self) -> None:
        values = self.export.settings()
        if not values:
            return
        publication = PublicationSettings.for_site(self.home.get_site())
        if values.get("title"):
            publication.name = _text(values["title"], 120)
        if values.get("description"):
            publication.description = _text(values["description"], 300)
        colour = _text(values.get("accent_color"))
        if HEX_COLOUR.match(colour):
            publication.accent_colour = colour.lower()
        if values.get("twitter"):
            publication.x_handle = _text(values["twitter"], 50).lstrip("@")
        if values.get("facebook"):
            publication.facebook_page = _text(values["facebook"], 100)
        navigation = self._navigation(values.get("navigation"))
        if navigation is not None:
            publication.navigation = navigation
        publication.save()
        self.report.count("settings", "updated")
        # Ghost 2 called it active_timezone. Byline's comes from TIME_ZONE, not from the database.
        timezone = values.get("timezone") or values.get("active_timezone")
        if timezone and timezone != settings.TIME_ZONE:
            self.report.problem(
                "settings", "timezone", f"is {timezone} in Ghost; Byline uses TIME_ZONE={settings.TIME_ZONE}"
            )
        if values.get("logo"):
            self.report.missing_images.append(_text(values["logo"]))

    def _navigation(self, value):
        try:
            items = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            self.report.problem("settings", "navigation", "is not valid JSON; the site's navigation is kept")
            return None
        if not isinstance(items, list):
            return None
        links = []
        for item in items:
            if isinstance(item, dict) and item.get("label") and item.get("url"):
                url = self._rewrite_urls(_text(item["url"]))[:500] or "/"
                links.append(("link", {"label": _text(item["label"], 50), "url": url}))
        return links

    # Stories and pages ---------------------------------------------------------------------------

    def import_posts(self) -> None:
        posts = self.export.rows("posts")
        meta = ghost.post_meta(self.export)
        tag_links = ghost.ordered_links(self.export, "posts_tags", "tag_id")
        author_links = ghost.ordered_links(self.export, "posts_authors", "author_id")
        for index, row in enumerate(posts):
            kind = "page" if ghost.is_page(row) else "story"
            where = _where("posts", index, row)
            try:
                with transaction.atomic():
                    self.import_post(row, kind, where, meta, tag_links, author_links)
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    self.report.problem(where, field_name, "; ".join(messages) + "; skipped")
                self.report.count(kind, "skipped")
            self.progress(index + 1, len(posts))

    def import_post(self, row, kind, where, meta, tag_links, author_links) -> None:
        post_id = str(row.get("id"))
        title = _text(row.get("title")).strip()
        if not title:
            self._skip(kind, where, "title", "has no title")
            return
        slug = _text(row.get("slug")).strip().lower()
        if not slug or not SLUG.match(slug):
            self._skip(kind, where, "slug", f"{slug!r} is not a usable slug" if slug else "has no slug")
            return
        if slug in self.slugs_in_file:
            self._skip(kind, where, "slug", f"“{slug}” appears earlier in the file")
            return
        self.slugs_in_file.add(slug)
        try:
            dates = {
                key: ghost.parse_date(row.get(key)) for key in ("published_at", "created_at", "updated_at")
            }
        except ValueError as error:
            bad = next(key for key in ("published_at", "created_at", "updated_at") if _bad_date(row.get(key)))
            self._skip(kind, where, bad, f"{error}; skipped")
            return

        page = self._target_page(slug, kind, where)
        if page is None:
            return
        outcome = "updated" if page.pk else "created"
        if len(title) > 255:
            self.report.problem(where, "title", "longer than 255 characters; shortened")
        page.title = title[:255]
        html = self._rewrite_urls(_text(row.get("html")))
        self._note_images(html, row.get("feature_image"))
        page.body = html_to_blocks(html)
        status = row.get("status") or "draft"
        page.live = status == "published"
        page.first_published_at = dates["published_at"] if page.live else None
        page.last_published_at = (dates["updated_at"] or dates["published_at"]) if page.live else None
        page.has_unpublished_changes = not page.live
        post_meta = meta.get(post_id, {})
        page.seo_title = _text(post_meta.get("meta_title"), 255)
        page.search_description = _text(post_meta.get("meta_description"))
        if kind == "story":
            self._story_fields(page, row, post_meta, status, where)
        else:
            page.feature_image_alt = _text(post_meta.get("feature_image_alt"), 250)
        if page.pk:
            page.save()
        else:
            self.home.add_child(instance=page)
        if kind == "story":
            self._link_authors_and_tags(
                page, row, tag_links.get(post_id, []), author_links.get(post_id, []), where
            )
        if status == "scheduled" and dates["published_at"]:
            page.go_live_at = dates["published_at"]
            page.save(update_fields=["go_live_at"])
            page.save_revision(approved_go_live_at=dates["published_at"], clean=False)
        ImportedSource.objects.update_or_create(
            page=page,
            defaults={
                "system": ImportedSource.GHOST,
                "original_id": post_id[:64],
                "original_uuid": _text(row.get("uuid"), 64),
                "lexical": _text(row.get("lexical")),
                "mobiledoc": _text(row.get("mobiledoc")),
                "codeinjection_head": _text(row.get("codeinjection_head")),
                "codeinjection_foot": _text(row.get("codeinjection_foot")),
                "original_feature_image": _text(row.get("feature_image"), 2000),
            },
        )
        self.report.count(kind, outcome)

    def _skip(self, kind, where, field_name, message) -> None:
        self.report.problem(
            where, field_name, message if message.endswith("skipped") else f"{message}; skipped"
        )
        self.report.count(kind, "skipped")

    def _target_page(self, slug, kind, where):
        """A new page, the existing one to overwrite, or None (skipped) — by --on-conflict."""
        model = StoryPage if kind == "story" else StandalonePage
        existing_pk = self.site_slugs.get(slug)
        existing = Page.objects.get(pk=existing_pk) if existing_pk else None
        reserved = slug in RESERVED_SLUGS
        if existing is None and not reserved:
            return model(slug=slug)
        reason = "is used by the site itself" if reserved else "is already used by a page on this site"
        if self.on_conflict == "overwrite" and existing is not None and not reserved:
            existing = existing.specific
            if not isinstance(existing, model):
                self._skip(kind, where, "slug", f"“{slug}” {reason} of another kind; not overwritten")
                return None
            return existing
        if self.on_conflict == "rename":
            new_slug = self._free_slug(slug)
            self.report.problem(where, "slug", f"“{slug}” {reason}; imported as “{new_slug}”")
            return model(slug=new_slug)
        self._skip(kind, where, "slug", f"“{slug}” {reason} (use --on-conflict rename or overwrite)")
        return None

    def _free_slug(self, slug: str) -> str:
        taken = set(self.site_slugs) | self.slugs_in_file
        number = 2
        while f"{slug}-{number}" in taken or f"{slug}-{number}" in RESERVED_SLUGS:
            number += 1
        self.slugs_in_file.add(f"{slug}-{number}")
        return f"{slug}-{number}"

    def _story_fields(self, story: StoryPage, row, post_meta, status, where) -> None:
        excerpt = _text(row.get("custom_excerpt"))
        if len(excerpt) > 300:
            self.report.problem(where, "custom_excerpt", "longer than 300 characters; shortened")
        story.custom_excerpt = excerpt[:300]
        story.featured = bool(row.get("featured"))
        story.visibility = VISIBILITY.get(row.get("visibility") or "public", "members")
        story.canonical_url = _url_or_blank(row.get("canonical_url"))
        story.feature_image_alt = _text(post_meta.get("feature_image_alt"), 250)
        caption = post_meta.get("feature_image_caption")
        story.feature_image_caption = _plain(caption)[:500] if caption else ""
        story.og_title = _text(post_meta.get("og_title"), 300)
        story.og_description = _text(post_meta.get("og_description"), 500)
        story.twitter_title = _text(post_meta.get("twitter_title"), 300)
        story.twitter_description = _text(post_meta.get("twitter_description"), 500)
        story.email_subject = _text(post_meta.get("email_subject"), 300)
        # Ghost 5's "sent" posts went out by email only; they stay off the site here too.
        story.email_only = status == "sent" or bool(post_meta.get("email_only"))

    def _link_authors_and_tags(self, story, row, tag_ids, author_ids, where) -> None:
        StoryAuthor.objects.filter(story=story).delete()
        StoryTag.objects.filter(story=story).delete()
        if not author_ids and row.get("author_id"):
            author_ids = [str(row["author_id"])]  # Ghost 1–2 kept one author on the post row
        authors = []
        for author_id in author_ids:
            author = self.authors.get(author_id)
            if author is None:
                self.report.problem(where, "authors", f"author {author_id} is not in the file; left out")
            elif author not in authors:
                authors.append(author)
        if not authors:
            authors = [self._default_author(where)]
        StoryAuthor.objects.bulk_create(
            StoryAuthor(story=story, author=author, sort_order=order) for order, author in enumerate(authors)
        )
        tags = []
        for tag_id in tag_ids:
            tag = self.tags.get(tag_id)
            if tag is None:
                self.report.problem(where, "tags", f"tag {tag_id} is not in the file; left out")
            elif tag not in tags:
                tags.append(tag)
        StoryTag.objects.bulk_create(
            StoryTag(story=story, tag=tag, sort_order=order) for order, tag in enumerate(tags)
        )

    def _default_author(self, where) -> Author:
        """--default-author if given, else Ghost's owner, else the first author in the file."""
        author = None
        if self.default_author_slug:
            author = Author.objects.filter(slug=self.default_author_slug).first()
            if author is None:
                raise ImportFailed(f"--default-author {self.default_author_slug}: no author has that slug.")
        else:
            owner_id = self._owner_id()
            author = self.authors.get(owner_id) if owner_id else None
            author = author or next(iter(self.authors.values()), None)
        if author is None:
            author, _ = Author.objects.get_or_create(slug="staff", defaults={"name": "Staff"})
        self.report.problem(where, "authors", f"no author in the file; credited to {author.name}")
        return author

    def _owner_id(self) -> str | None:
        owner_roles = {
            str(role.get("id")) for role in self.export.rows("roles") if role.get("name") == "Owner"
        }
        for link in self.export.rows("roles_users"):
            if str(link.get("role_id")) in owner_roles:
                return str(link.get("user_id"))
        return None

    # URLs and images -----------------------------------------------------------------------------

    def _rewrite_urls(self, html: str) -> str:
        """Ghost's __GHOST_URL__ placeholder and the old site's address become this site's (root-relative)."""
        html = html.replace("__GHOST_URL__", "")
        if self.old_url:
            html = html.replace(self.old_url + "/", "/")
        return html

    def _note_images(self, html: str, feature_image) -> None:
        for found in IMAGE_PATH.findall(html):
            self.report.missing_images.append(found)
        if isinstance(feature_image, str) and feature_image:
            self.report.missing_images.append(feature_image.replace("__GHOST_URL__", ""))


def _bad_date(value) -> bool:
    try:
        ghost.parse_date(value)
    except ValueError:
        return True
    return False


def _plain(html) -> str:
    from byline.lib.text import html_to_plaintext

    return " ".join(html_to_plaintext(_text(html)).split())
