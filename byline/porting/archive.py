"""What every archive import shares (Ghost, WordPress): slugs and conflicts, bylines, skipping records.

One transaction around an import (services.py); one savepoint per record, so a record that fails its
checks is skipped and reported while the others go in.
"""

import itertools
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from wagtail.models import Page, Site

from byline.core.models import RESERVED_SLUGS
from byline.lib.bulk import note_changed
from byline.porting.models import ImportedSource
from byline.porting.page_batch import PageBatch
from byline.porting.report import ImportFailed, Report
from byline.stories.models import Author, StandalonePage, StoryAuthor, StoryPage, StoryTag, Tag

ON_CONFLICT = ("skip", "rename", "overwrite")
SLUG = re.compile(r"^[-\w]+$")


def where_in_file(table: str, index: int, row: dict, label_key: str = "title") -> str:
    label = row.get(label_key) or row.get("name") or row.get("slug") or row.get("id") or ""
    return f"{table}[{index}] “{str(label)[:60]}”" if label else f"{table}[{index}]"


def text(value, limit: int | None = None) -> str:
    """A field as text. NUL characters go: no browser shows them and PostgreSQL refuses to store them."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = text.replace("\x00", "")
    return text[:limit] if limit else text


def url_or_blank(value) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        URLValidator()(value.strip())
    except ValidationError:
        return ""
    return value.strip()


def plain_text(html) -> str:
    from byline.lib.text import html_to_plaintext

    return " ".join(html_to_plaintext(text(html)).split())


class ArchiveImporter:
    def __init__(
        self,
        report: Report,
        *,
        on_conflict: str = "skip",
        default_author: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        images=None,
    ):
        if on_conflict not in ON_CONFLICT:
            raise ImportFailed(f"--on-conflict must be one of {', '.join(ON_CONFLICT)}, not {on_conflict!r}.")
        self.report = report
        self.on_conflict = on_conflict
        self.default_author_slug = default_author
        self.progress = progress or (lambda done, total: None)
        self.images = images  # an images.ImageLibrary when --images was given
        self.home = Site.objects.get(is_default_site=True).root_page.specific
        self.authors: dict[str, Author] = {}  # by their id in the file
        self.tags: dict[str, Tag] = {}
        self.slugs_in_file: set[str] = set()
        self.batch = PageBatch(self.home)
        # Slugs of the pages already on the site, read once: a lookup per record would scan them each time.
        self.site_slugs: dict[str, int] = dict(Page.objects.child_of(self.home).values_list("slug", "pk"))

    def image_for(self, url: str):
        """The Wagtail image taken in for an image URL, or None; a URL with none is listed in the report."""
        image = self.images.image_for(url) if self.images and url else None
        if image is None and url and url not in self.report.missing_images:
            self.report.missing_images.append(url)
        return image

    def source_default_author(self) -> Author | None:
        """Who the source itself would credit when a record names nobody (Ghost: its owner)."""
        return None

    def skip(self, kind, where, field_name, message) -> None:
        self.report.problem(
            where, field_name, message if message.endswith("skipped") else f"{message}; skipped"
        )
        self.report.count(kind, "skipped")

    def target_page(self, slug, kind, where):
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
                self.skip(kind, where, "slug", f"“{slug}” {reason} of another kind; not overwritten")
                return None
            return existing
        if self.on_conflict == "rename":
            new_slug = self.free_slug(slug)
            self.report.problem(where, "slug", f"“{slug}” {reason}; imported as “{new_slug}”")
            return model(slug=new_slug)
        self.skip(kind, where, "slug", f"“{slug}” {reason} (use --on-conflict rename or overwrite)")
        return None

    def free_slug(self, slug: str) -> str:
        taken = set(self.site_slugs) | self.slugs_in_file
        number = 2
        while f"{slug}-{number}" in taken or f"{slug}-{number}" in RESERVED_SLUGS:
            number += 1
        self.slugs_in_file.add(f"{slug}-{number}")
        return f"{slug}-{number}"

    def write_page(self, page, links: list, source: ImportedSource, go_live_at=None) -> None:
        """Write a checked page with its author and tag links and its source. A new page joins the
        batch (page_batch.py); one overwritten by --on-conflict, or scheduled (it needs a revision
        for Wagtail's clock), is saved through Wagtail, after the batch so the tree stays in order."""
        source.page = page
        if page.pk is None and go_live_at is None:
            page.refresh_derived_fields()
            self.batch.add(page, [*date_links(links, page), source])
            return
        self.batch.flush()
        if page.pk:
            page.save()
        else:
            self.home.add_child(instance=page)
        StoryAuthor.objects.filter(story_id=page.pk).delete()
        StoryTag.objects.filter(story_id=page.pk).delete()
        for model, rows in itertools.groupby(date_links(links, page), type):
            model.objects.bulk_create(rows)
        if go_live_at:
            page.go_live_at = go_live_at
            page.save(update_fields=["go_live_at"])
            page.save_revision(approved_go_live_at=go_live_at, clean=False)
        note_changed(type(page), [page.pk])  # search and related lists catch up after the import
        fields = [f.name for f in ImportedSource._meta.concrete_fields if f.name not in ("id", "page")]
        ImportedSource.objects.update_or_create(
            page=page, defaults={name: getattr(source, name) for name in fields if name != "imported_at"}
        )

    def byline_rows(self, story, author_ids, tag_ids, where) -> list:
        """The story's ordered author and tag links (unsaved), by their ids in the file; unknown ids
        are reported."""
        authors = []
        for author_id in author_ids:
            author = self.authors.get(author_id)
            if author is None:
                self.report.problem(where, "authors", f"author {author_id} is not in the file; left out")
            elif author not in authors:
                authors.append(author)
        if not authors:
            authors = [self.default_author(where)]
        tags = []
        for tag_id in tag_ids:
            tag = self.tags.get(tag_id)
            if tag is None:
                self.report.problem(where, "tags", f"tag {tag_id} is not in the file; left out")
            elif tag not in tags:
                tags.append(tag)
        return [
            *(StoryAuthor(story=story, author=author, sort_order=n) for n, author in enumerate(authors)),
            *(StoryTag(story=story, tag=tag, sort_order=n) for n, tag in enumerate(tags)),
        ]

    def default_author(self, where) -> Author:
        """--default-author if given, else the source's choice (Ghost's owner), else the first author."""
        author = None
        if self.default_author_slug:
            author = Author.objects.filter(slug=self.default_author_slug).first()
            if author is None:
                raise ImportFailed(f"--default-author {self.default_author_slug}: no author has that slug.")
        else:
            author = self.source_default_author() or next(iter(self.authors.values()), None)
        if author is None:
            author, _ = Author.objects.get_or_create(slug="staff", defaults={"name": "Staff"})
        self.report.problem(where, "authors", f"no author in the file; credited to {author.name}")
        return author


def date_links(links: list, page) -> list:
    """Author and tag links are written in bulk, without their save(): they take the story's
    listing date here (StoryTag.listed_at: what its archives are ordered by)."""
    for link in links:
        link.listed_at = page.listed_at
    return links
