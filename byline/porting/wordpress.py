"""Importing a WordPress export (WXR 1.2) into Byline. Called by services.import_wordpress.

The file is read as a stream (lxml's iterparse, each element cleared once used), so memory stays
bounded however large the export; entities are not resolved and nothing is fetched (no XXE).
What maps where:
- posts → stories, pages → pages. publish → live; draft and pending → drafts; future → scheduled;
  private → live for members only; trash, auto-drafts and revisions are left out.
- categories and tags → tags: categories first (the first is the primary tag), then tags. WordPress's
  default "Uncategorized" is left out.
- authors (wp:author) → authors, matched by their login.
- the featured image (`_thumbnail_id` → an attachment's URL) is listed in the report and kept on the
  imported source; images are not downloaded.
- excerpts → custom excerpts; Gutenberg's block comments are dropped and classic content's blank lines
  become paragraphs (what WordPress's wpautop does when it shows a post).
- each old permalink redirects (301) to the story's new URL when they differ.
- comments on stories → comments by guests (the commenter's name only; no member is made and the
  email address is not kept): approved → published, unapproved → waiting for approval; spam, trash,
  pingbacks and trackbacks are left out. Written in bulk by the comments app once the stories have
  their ids (`byline.comments.services.import_guest_comments`).
"""

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from lxml import etree
from wagtail.contrib.redirects.models import Redirect

from byline.comments.services import ImportedComment, import_guest_comments
from byline.porting.archive import SLUG, ArchiveImporter, plain_text
from byline.porting.html_blocks import html_to_blocks
from byline.porting.models import ImportedSource
from byline.porting.page_batch import PageBatch
from byline.porting.report import ImportFailed, Report
from byline.stories.models import Author, Tag

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}"
DC = "{http://purl.org/dc/elements/1.1/}"
BLOCK_TAGS = re.compile(
    r"^\s*<(p|h[1-6]|ul|ol|li|blockquote|pre|figure|div|table|hr|iframe|img|section|aside|dl|address)\b", re.I
)
KIND = {"post": "story", "page": "page"}
STATUS_LIVE = {"publish", "private"}
SKIPPED_STATUSES = {"trash", "auto-draft", "inherit"}


def autop(html: str) -> str:
    """Classic-editor content keeps paragraphs as blank lines; WordPress adds <p> when it shows them."""
    chunks = [chunk.strip() for chunk in re.split(r"\n\s*\n", html.replace("\r\n", "\n")) if chunk.strip()]
    out = []
    for chunk in chunks:
        if BLOCK_TAGS.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


def clean_content(html: str) -> str:
    """Gutenberg's <!-- wp:… --> comments go; classic content gets its paragraphs."""
    without_blocks = re.sub(r"<!--\s*/?wp:[^>]*?-->", "", html or "")
    return autop(without_blocks)


def parse_wp_date(value: str | None) -> datetime | None:
    """WordPress's GMT dates ("2019-05-01 10:00:00"); its "0000-00-00 00:00:00" means none."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _child(element, name: str) -> str:
    found = element.find(name)
    return (found.text or "") if found is not None else ""


def _comment_date(comment: dict) -> datetime | None:
    """`comment_date_gmt`, else `comment_date` (the site's local time, read as UTC), else None."""
    for value in (comment["date_gmt"], comment["date"]):
        try:
            found = parse_wp_date(value)
        except ValueError:
            continue
        if found is not None:
            return found
    return None


class WordPressImporter(ArchiveImporter):
    def __init__(self, path: str, report: Report, **options):
        super().__init__(report, **options)
        self.path = path
        self.attachments: dict[str, str] = {}  # attachment post id → file URL
        self.items: list[dict] = []
        self.base_url = ""
        self.permalinks: list[tuple[str, object]] = []
        self.comments: list[tuple[object, list[dict], str]] = []  # (story, its comments, where)

    def run(self) -> None:
        self.read()
        for index, item in enumerate(self.items):
            kind = KIND[item["type"]]
            where = f"item {index + 1} “{item['title'][:60]}”" if item["title"] else f"item {index + 1}"
            queued = len(self.comments)
            try:
                with transaction.atomic():
                    self.import_item(item, kind, where)
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    self.report.problem(where, field_name, "; ".join(messages) + "; skipped")
                self.report.count(kind, "skipped")
            if item["comments"] and len(self.comments) == queued:
                self.skip_comments(item, kind, where)
            self.progress(index + 1, len(self.items))
        self.batch.flush()
        for link, page in self.permalinks:
            self.redirect_old_permalink(link, page)
        self.write_comments()

    # Reading --------------------------------------------------------------------------------------

    def read(self) -> None:
        name = self.path
        if not Path(name).is_file():
            raise ImportFailed(f"{name}: cannot be read (no such file).")
        parser_options = {"resolve_entities": False, "no_network": True, "huge_tree": True, "load_dtd": False}
        saw_channel = False
        try:
            for _, element in etree.iterparse(name, events=("end",), **parser_options):
                tag = element.tag
                if tag == "channel":
                    saw_channel = True
                elif tag == f"{WP}base_site_url":
                    self.base_url = (element.text or "").rstrip("/")
                elif tag == f"{WP}author":
                    self.read_author(element)
                elif tag == f"{WP}category":
                    self.read_term(element, "category")
                elif tag == f"{WP}tag":
                    self.read_term(element, "post_tag")
                elif tag == "item":
                    self.read_item(element)
                    element.clear()
        except etree.XMLSyntaxError as error:
            raise ImportFailed(
                f"{name}: is not well-formed XML (line {error.lineno}: {error.msg})."
            ) from None
        if not saw_channel:
            raise ImportFailed(f"{name}: is XML but not a WordPress export (no RSS channel).")

    def read_author(self, element) -> None:
        login = _child(element, f"{WP}author_login").strip()
        name = _child(element, f"{WP}author_display_name").strip() or login
        if not login:
            return
        slug = slugify(login, allow_unicode=True)[:120] or "author"
        author = Author.objects.filter(slug=slug).first()
        if author is None:
            author = Author.objects.create(name=name[:120], slug=slug)
            self.report.count("author", "created")
        else:
            self.report.count("author", "existing")
        self.authors[login] = author

    def read_term(self, element, taxonomy: str) -> None:
        prefix = "category" if taxonomy == "category" else "tag"
        slug = unquote(_child(element, f"{WP}{prefix}_nicename" if prefix == "category" else f"{WP}tag_slug"))
        name = _child(element, f"{WP}cat_name" if prefix == "category" else f"{WP}tag_name").strip()
        self.term(taxonomy, slug, name)

    def term(self, taxonomy: str, slug: str, name: str) -> Tag | None:
        key = f"{taxonomy}:{slug}"
        if key in self.tags:
            return self.tags[key]
        if not name or slug == "uncategorized":
            return None
        slug = slugify(slug or name, allow_unicode=True)[:120] or "tag"
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name=name[:120]).first()
        if tag is None:
            tag = Tag.objects.create(name=name[:120], slug=slug)
            self.report.count("tag", "created")
        else:
            self.report.count("tag", "existing")
        self.tags[key] = tag
        return tag

    def read_comments(self, element) -> list[dict]:
        return [
            {
                "id": _child(comment, f"{WP}comment_id").strip(),
                "parent": _child(comment, f"{WP}comment_parent").strip(),
                "author": " ".join(_child(comment, f"{WP}comment_author").split()),
                "date_gmt": _child(comment, f"{WP}comment_date_gmt"),
                "date": _child(comment, f"{WP}comment_date"),
                "content": _child(comment, f"{WP}comment_content"),
                "approved": _child(comment, f"{WP}comment_approved").strip(),
                "type": _child(comment, f"{WP}comment_type").strip(),
            }
            for comment in element.findall(f"{WP}comment")
        ]

    def read_item(self, element) -> None:
        post_type = _child(element, f"{WP}post_type")
        post_id = _child(element, f"{WP}post_id")
        if post_type == "attachment":
            self.attachments[post_id] = _child(element, f"{WP}attachment_url")
            return
        if post_type not in KIND:
            return
        meta = {
            _child(row, f"{WP}meta_key"): _child(row, f"{WP}meta_value")
            for row in element.findall(f"{WP}postmeta")
        }
        terms = [
            (category.get("domain"), unquote(category.get("nicename") or ""), (category.text or "").strip())
            for category in element.findall("category")
        ]
        self.items.append(
            {
                "id": post_id,
                "type": post_type,
                "title": _child(element, "title").strip(),
                "link": _child(element, "link").strip(),
                "slug": unquote(_child(element, f"{WP}post_name")).strip().lower(),
                "status": _child(element, f"{WP}status"),
                "date": _child(element, f"{WP}post_date_gmt"),
                "creator": _child(element, f"{DC}creator").strip(),
                "content": _child(element, f"{CONTENT}encoded"),
                "excerpt": _child(element, f"{EXCERPT}encoded"),
                "sticky": _child(element, f"{WP}is_sticky") == "1",
                "thumbnail": meta.get("_thumbnail_id", ""),
                "terms": terms,
                "comments": self.read_comments(element),
            }
        )

    # Writing --------------------------------------------------------------------------------------

    def import_item(self, item, kind, where) -> None:
        status = item["status"]
        if status in SKIPPED_STATUSES:
            self.report.count(kind, "skipped")
            return
        title = item["title"]
        if not title:
            self.skip(kind, where, "title", "has no title")
            return
        slug = item["slug"] or slugify(title, allow_unicode=True)[:255]
        if not slug or not SLUG.match(slug):
            self.skip(kind, where, "slug", f"{slug!r} is not a usable slug")
            return
        if slug in self.slugs_in_file:
            self.skip(kind, where, "slug", f"“{slug}” appears earlier in the file")
            return
        self.slugs_in_file.add(slug)
        try:
            published = parse_wp_date(item["date"])
        except ValueError:
            self.skip(kind, where, "post_date_gmt", f"{item['date']!r} is not a date")
            return
        page = self.target_page(slug, kind, where)
        if page is None:
            return
        outcome = "updated" if page.pk else "created"
        page.title = title[:255]
        page.body = html_to_blocks(
            self.rewrite_urls(clean_content(item["content"])), self.images.image_for if self.images else None
        )
        page.live = status in STATUS_LIVE
        page.first_published_at = published if page.live else None
        page.last_published_at = published if page.live else None
        page.has_unpublished_changes = not page.live
        feature = self.attachments.get(item["thumbnail"], "")
        page.feature_image = self.image_for(feature) if feature else None
        if kind == "story":
            excerpt = plain_text(item["excerpt"])
            if len(excerpt) > 300:
                self.report.problem(where, "excerpt", "longer than 300 characters; shortened")
            page.custom_excerpt = excerpt[:300]
            page.featured = item["sticky"]
            page.visibility = "members" if status == "private" else "public"
        PageBatch.check(page)
        links = self.byline_rows(page, *self.byline_keys(item), where) if kind == "story" else []
        source = ImportedSource(
            system=ImportedSource.WORDPRESS,
            original_id=item["id"][:64],
            original_feature_image=feature[:2000],
        )
        self.write_page(page, links, source, published if status == "future" and published else None)
        self.permalinks.append((item["link"], page))  # redirected once the page has its URL
        if kind == "story" and item["comments"]:
            self.comments.append((page, item["comments"], where))  # written once the story has its id
        self.report.count(kind, outcome)

    # Comments ------------------------------------------------------------------------------------

    def skip_comments(self, item, kind, where) -> None:
        """A record not imported as a story (skipped, or a page: pages have no comments here)."""
        self.report.count("comment", "skipped", len(item["comments"]))
        reason = "pages have no comments in Byline" if kind == "page" else "its story was not imported"
        self.report.problem(where, "comments", f"{len(item['comments'])} left out ({reason})")

    def write_comments(self) -> None:
        """Every imported story's comments in bulk, now that the stories have their ids. What WordPress
        calls spam or trash, pingbacks and trackbacks are left out (counted, not listed one by one)."""
        rows, wheres, left_out = [], {}, 0
        for story, comments, where in self.comments:
            for comment in comments:
                if comment["type"] not in ("", "comment") or comment["approved"] in ("spam", "trash"):
                    left_out += 1
                    continue
                key = f"{story.pk}:{comment['id']}"
                wheres[key] = f"{where} › comment {comment['id']}"
                created_at = _comment_date(comment)
                if created_at is None:
                    self.skip("comment", wheres[key], "comment_date_gmt", "has no date that parses")
                    continue
                rows.append(
                    ImportedComment(
                        key=key,
                        story_id=story.pk,
                        guest_name=(comment["author"] or "Anonymous")[:200],
                        html=comment["content"],
                        created_at=created_at,
                        approved=comment["approved"] == "1",
                        parent_key=f"{story.pk}:{comment['parent']}"
                        if comment["parent"] not in ("", "0")
                        else "",
                    )
                )
        self.comments = []
        if left_out:
            self.report.count("comment", "skipped", left_out)
            self.report.problem(
                self.path, "comments", f"{left_out} spam, trashed, pingback or trackback left out"
            )
        if not rows:
            return
        result = import_guest_comments(rows)
        for comment in result.created:
            self.report.count("comment", "created")
            if comment.status != comment.PUBLISHED:
                self.report.count("comment", "hidden")
        self.report.count("comment", "existing", len(result.existing))
        for key in result.empty:
            self.skip("comment", wheres[key], "comment_content", "is empty once unsafe HTML is removed")

    def byline_keys(self, item) -> tuple[list[str], list[str]]:
        """(author keys, tag keys) in order: categories first, so the first category is the primary tag."""
        tag_keys = []
        for taxonomy in ("category", "post_tag"):
            for domain, slug, name in item["terms"]:
                if domain == taxonomy and self.term(taxonomy, slug, name) is not None:
                    tag_keys.append(f"{taxonomy}:{slug}")
        return ([item["creator"]] if item["creator"] else []), tag_keys

    def rewrite_urls(self, html: str) -> str:
        return html.replace(self.base_url + "/", "/") if self.base_url else html

    def redirect_old_permalink(self, link: str, page) -> None:
        old_path = urlsplit(link).path if link else ""
        if not old_path or Redirect.normalise_path(old_path) == Redirect.normalise_path(page.url or ""):
            return
        old_path = Redirect.normalise_path(old_path)
        if len(old_path) > 255 or Redirect.objects.filter(old_path=old_path, site=None).exists():
            return
        Redirect.add_redirect(old_path, redirect_to=page, is_permanent=True)
        self.report.count("redirect", "created")
