"""Importing a Ghost export into Byline, all or nothing. Called by services.import_ghost.

One transaction around everything; one savepoint per record, so a record that fails its checks is
skipped and reported while the others go in. A dry run does the same work and rolls back at the end,
so its report is exactly what a real run would do. Imported stories are not "published" through
Wagtail: no publish signals, so an archive moving in never emails anyone.
"""

import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from byline.core.models import PublicationSettings
from byline.porting import ghost
from byline.porting.archive import SLUG, ArchiveImporter, plain_text, text, url_or_blank, where_in_file
from byline.porting.html_blocks import html_to_blocks
from byline.porting.models import ImportedSource
from byline.porting.page_batch import PageBatch
from byline.porting.report import Report
from byline.stories.models import Author, StoryPage, Tag

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
IMAGE_PATH = re.compile(r"""(?:__GHOST_URL__|https?://[^\s"'<>]+)?/content/images/[^\s"'<>)]+""")
VISIBILITY = {"public": "public"}  # members, paid, tiers and filters all mean "members only" here


class GhostImporter(ArchiveImporter):
    def __init__(
        self,
        export: ghost.GhostExport,
        report: Report,
        *,
        old_url: str = "",
        with_settings: bool = True,
        **options,
    ):
        super().__init__(report, **options)
        self.export = export
        self.old_url = old_url.rstrip("/")
        self.with_settings = with_settings

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
            where = where_in_file("users", index, row, "name")
            name = text(row.get("name")).strip()
            slug = slugify(text(row.get("slug")) or name, allow_unicode=True)[:120]
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
                author.bio = text(row.get("bio"), 2000)
                author.website = url_or_blank(row.get("website"))
                author.location = text(row.get("location"), 120)
                author.x_handle = text(row.get("twitter"), 50).lstrip("@")
                author.facebook = text(row.get("facebook"), 100)
                author.save()
                self.report.count("author", outcome)
            self.authors[str(row.get("id"))] = author

    def import_tags(self) -> None:
        for index, row in enumerate(self.export.rows("tags")):
            where = where_in_file("tags", index, row, "name")
            name = text(row.get("name")).strip()[:120]
            if not name:
                self.report.problem(where, "name", "a tag needs a name; skipped")
                self.report.count("tag", "skipped")
                continue
            if row.get("visibility") == "internal" and not name.startswith("#"):
                name = f"#{name}"[:120]
            slug = slugify(text(row.get("slug")) or name, allow_unicode=True)[:120] or "tag"
            tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name=name).first()
            if tag is not None and self.on_conflict != "overwrite":
                self.report.count("tag", "existing")
            else:
                outcome = "updated" if tag else "created"
                tag = tag or Tag(slug=slug)
                tag.name = name
                tag.description = text(row.get("description"), 1000)
                colour = text(row.get("accent_color"))
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
            where = where_in_file("newsletters", index, row, "name")
            name = text(row.get("name")).strip()[:120]
            slug = slugify(text(row.get("slug")) or name)[:120]
            if not name or not slug:
                self.report.problem(where, "name", "a newsletter needs a name; skipped")
                self.report.count("newsletter", "skipped")
                continue
            if Newsletter.objects.filter(slug=slug).exists():
                self.report.count("newsletter", "existing")
                continue
            reply_to = text(row.get("sender_reply_to"))
            Newsletter.objects.create(
                name=name,
                slug=slug,
                description=text(row.get("description"), 300),
                sender_name=text(row.get("sender_name"), 120),
                sender_email=text(row.get("sender_email")) if "@" in text(row.get("sender_email")) else "",
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
            publication.name = text(values["title"], 120)
        if values.get("description"):
            publication.description = text(values["description"], 300)
        colour = text(values.get("accent_color"))
        if HEX_COLOUR.match(colour):
            publication.accent_colour = colour.lower()
        if values.get("twitter"):
            publication.x_handle = text(values["twitter"], 50).lstrip("@")
        if values.get("facebook"):
            publication.facebook_page = text(values["facebook"], 100)
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
            self.report.missing_images.append(text(values["logo"]))

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
                url = self._rewrite_urls(text(item["url"]))[:500] or "/"
                links.append(("link", {"label": text(item["label"], 50), "url": url}))
        return links

    # Stories and pages ---------------------------------------------------------------------------

    def import_posts(self) -> None:
        total = self.export.count_posts()
        meta = ghost.posts_meta(self.export)
        tag_links = ghost.ordered_links(self.export, "posts_tags", "tag_id")
        author_links = ghost.ordered_links(self.export, "posts_authors", "author_id")
        for index, row in enumerate(self.export.posts()):
            kind = "page" if ghost.is_page(row) else "story"
            where = where_in_file("posts", index, row)
            try:
                with transaction.atomic():
                    self.import_post(row, kind, where, meta, tag_links, author_links)
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    self.report.problem(where, field_name, "; ".join(messages) + "; skipped")
                self.report.count(kind, "skipped")
            self.progress(index + 1, total)
        self.batch.flush()

    def import_post(self, row, kind, where, meta, tag_links, author_links) -> None:
        post_id = str(row.get("id"))
        title = text(row.get("title")).strip()
        if not title:
            self.skip(kind, where, "title", "has no title")
            return
        slug = text(row.get("slug")).strip().lower()
        if not slug or not SLUG.match(slug):
            self.skip(kind, where, "slug", f"{slug!r} is not a usable slug" if slug else "has no slug")
            return
        if slug in self.slugs_in_file:
            self.skip(kind, where, "slug", f"“{slug}” appears earlier in the file")
            return
        self.slugs_in_file.add(slug)
        try:
            dates = {
                key: ghost.parse_date(row.get(key)) for key in ("published_at", "created_at", "updated_at")
            }
        except ValueError as error:
            bad = next(key for key in ("published_at", "created_at", "updated_at") if _bad_date(row.get(key)))
            self.skip(kind, where, bad, f"{error}; skipped")
            return

        page = self.target_page(slug, kind, where)
        if page is None:
            return
        outcome = "updated" if page.pk else "created"
        if len(title) > 255:
            self.report.problem(where, "title", "longer than 255 characters; shortened")
        page.title = title[:255]
        html = self._rewrite_urls(text(row.get("html")))
        self._note_images(html)
        page.body = html_to_blocks(html, self.images.image_for if self.images else None)
        feature_url = text(row.get("feature_image")).replace("__GHOST_URL__", "")
        page.feature_image = self.image_for(feature_url) if feature_url else None
        status = row.get("status") or "draft"
        page.live = status == "published"
        page.first_published_at = dates["published_at"] if page.live else None
        page.last_published_at = (dates["updated_at"] or dates["published_at"]) if page.live else None
        page.has_unpublished_changes = not page.live
        post_meta = ghost.meta_for(row, meta)
        page.seo_title = text(post_meta.get("meta_title"), 255)
        page.search_description = text(post_meta.get("meta_description"))
        if kind == "story":
            self._story_fields(page, row, post_meta, status, where)
        else:
            page.feature_image_alt = text(post_meta.get("feature_image_alt"), 250)
        PageBatch.check(page)
        source = ImportedSource(
            system=ImportedSource.GHOST,
            original_id=post_id[:64],
            original_uuid=text(row.get("uuid"), 64),
            lexical=text(row.get("lexical")),
            mobiledoc=text(row.get("mobiledoc")),
            codeinjection_head=text(row.get("codeinjection_head")),
            codeinjection_foot=text(row.get("codeinjection_foot")),
            original_feature_image=text(row.get("feature_image"), 2000),
        )
        links = []
        if kind == "story":
            author_ids = author_links.get(post_id, [])
            if not author_ids and row.get("author_id"):
                author_ids = [str(row["author_id"])]  # Ghost 1–2 kept one author on the post row
            links = self.byline_rows(page, author_ids, tag_links.get(post_id, []), where)
        go_live_at = dates["published_at"] if status == "scheduled" else None
        self.write_page(page, links, source, go_live_at)
        self.report.count(kind, outcome)

    def _story_fields(self, story: StoryPage, row, post_meta, status, where) -> None:
        excerpt = text(row.get("custom_excerpt"))
        if len(excerpt) > 300:
            self.report.problem(where, "custom_excerpt", "longer than 300 characters; shortened")
        story.custom_excerpt = excerpt[:300]
        story.featured = bool(row.get("featured"))
        story.visibility = VISIBILITY.get(row.get("visibility") or "public", "members")
        story.canonical_url = url_or_blank(row.get("canonical_url"))
        story.feature_image_alt = text(post_meta.get("feature_image_alt"), 250)
        caption = post_meta.get("feature_image_caption")
        story.feature_image_caption = plain_text(caption)[:500] if caption else ""
        story.og_title = text(post_meta.get("og_title"), 300)
        story.og_description = text(post_meta.get("og_description"), 500)
        story.twitter_title = text(post_meta.get("twitter_title"), 300)
        story.twitter_description = text(post_meta.get("twitter_description"), 500)
        story.email_subject = text(post_meta.get("email_subject"), 300)
        # Ghost 5's "sent" posts went out by email only; they stay off the site here too.
        story.email_only = status == "sent" or bool(post_meta.get("email_only"))

    def source_default_author(self) -> Author | None:
        """Ghost's owner: whoever the export's roles say owned the site."""
        owner_id = self._owner_id()
        return self.authors.get(owner_id) if owner_id else None

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

    def _note_images(self, html: str) -> None:
        """Images in the body that --images did not bring along are listed in the report."""
        for found in IMAGE_PATH.findall(html):
            url = found.replace("__GHOST_URL__", "")
            if not (self.images and self.images.image_for(url)) and url not in self.report.missing_images:
                self.report.missing_images.append(url)


def _bad_date(value) -> bool:
    try:
        ghost.parse_date(value)
    except ValueError:
        return True
    return False
