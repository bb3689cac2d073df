"""New pages under one parent, written a batch at a time: how an archive import creates its stories.

Saving a new page through Wagtail (`parent.add_child(instance=page)`) costs, per page: a locked
SELECT of the parent and of its last child, two validations with a query per foreign key, the
derived fields twice, an audit-log row, and a search-index and a reference-index task. That was
most of an import's time (about 30 stories a second). The importer has already checked each
record (title, a slug free on the site and in the file, dates; `check()` below validates the
fields), so a batch needs only:

- tree paths counted on from the parent's last child, with treebeard's own helpers;
- one INSERT per table per batch (pages, stories, their links, their sources, audit-log rows);
- no per-page signals: the rows are written "raw", as Django writes fixtures, and the block is
  told what changed (`byline.lib.bulk.note_changed`), so search, related lists and Wagtail's
  reference index catch up once, after commit (`bulk_change_finished`).

The pages are saved exactly as Wagtail would store them (path, depth, url_path, locale,
draft_title, content type) and have no revision, like any page made by `add_child`: the editor
opens the page itself and the first save in the admin makes its first revision.
"""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from treebeard.exceptions import PathOverflow
from wagtail.models import Page, PageLogEntry, ReferenceIndex

from byline.lib.bulk import note_changed

BATCH_SIZE = 500
# Set here or by the batch, or checked by the importer before: not worth a query per page.
NOT_CHECKED = {
    "path", "depth", "numchild", "url_path", "content_type", "locale", "owner", "locked_by",
    "live_revision", "latest_revision", "alias_of", "translation_key", "page_ptr",
}  # fmt: skip


class PageBatch:
    def __init__(self, parent: Page, size: int = BATCH_SIZE):
        self.parent = parent
        self.size = size
        self.waiting: list[tuple[Page, Iterable[models.Model]]] = []

    @staticmethod
    def check(page: Page) -> None:
        """Validate the fields a record brings (lengths, choices, URLs, the body's blocks); raises
        ValidationError like `full_clean`, without its query per foreign key and per slug."""
        exclude = NOT_CHECKED | {f.name for f in page._meta.concrete_fields if f.is_relation}
        page.clean_fields(exclude=exclude)

    def add(self, page: Page, rows: Iterable[models.Model] = ()) -> None:
        """Queue a new, checked page with the unsaved rows that point at it (author and tag links,
        its source); they are written in bulk with the others of the batch, once it has its id."""
        self.waiting.append((page, rows))
        if len(self.waiting) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        waiting, self.waiting = self.waiting, []
        pages = [page for page, _ in waiting]
        with transaction.atomic():
            parent = Page.objects.select_for_update().get(pk=self.parent.pk)
            self._place(parent, pages)
            self._insert(pages)
            Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(pages))
            self.parent.numchild = parent.numchild + len(pages)
            rows: dict[type, list] = {}
            for _, page_rows in waiting:
                for row in page_rows:
                    rows.setdefault(type(row), []).append(row)
            for model, group in rows.items():
                model.objects.bulk_create(group, batch_size=1000)
            self._log_created(pages)
        for model in {type(page) for page in pages}:
            note_changed(model, [page.pk for page in pages if type(page) is model])

    def _place(self, parent: Page, pages: list[Page]) -> None:
        """Paths after the parent's last child, as treebeard's add_child would give them one by one."""
        last = parent.get_last_child()
        step = last._get_lastpos_in_path() if last else 0
        depth = parent.depth + 1
        for page in pages:
            step += 1
            page.depth = depth
            page.path = Page._get_path(parent.path, depth, step)
            if len(page.path) != depth * Page.steplen:
                raise PathOverflow(f"{parent} has no room for another child page")
            page.numchild = 0
            page.set_url_path(parent)
            page.locale_id = page.locale_id or parent.locale_id
            page.draft_title = page.draft_title or page.title

    @staticmethod
    def _insert(pages: list[Page]) -> None:
        """The wagtailcore_page rows in one INSERT, then each page's own table (raw: only that table,
        and receivers know to leave a raw save alone)."""
        base_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
        rows = [Page(**{f.attname: getattr(page, f.attname) for f in base_fields}) for page in pages]
        Page.objects.bulk_create(rows)
        for page, row in zip(pages, rows, strict=True):
            page.id = page.page_ptr_id = row.id
            page.save_base(raw=True, force_insert=True)
            page._state.adding = False

    @staticmethod
    def _log_created(pages: list[Page]) -> None:
        """The "Created" line of each page's history in the admin, as a save through Wagtail writes."""
        now = timezone.now()
        PageLogEntry.objects.bulk_create(
            [
                PageLogEntry(
                    content_type=ContentType.objects.get_for_model(page, for_concrete_model=False),
                    label=page.get_admin_display_title(),
                    action="wagtail.create",
                    timestamp=now,
                    page_id=page.pk,
                    content_changed=True,
                )
                for page in pages
            ],
            batch_size=1000,
        )


def index_references(pages: Iterable[Page]) -> None:
    """Wagtail's reference index ("usage" of images, authors, tags) for pages written in bulk."""
    for page in pages:
        ReferenceIndex.create_or_update_for_object(page)
