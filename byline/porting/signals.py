"""Porting's share of a bulk change's catch-up: the pages an import wrote in bulk (page_batch.py)
skipped Wagtail's per-save reference-index task; one task indexes them all. Wired in
PortingConfig.ready()."""

from django.db import transaction
from wagtail.models import Page

from byline.lib.bulk import bulk_change_finished


def index_references_after_import(sender, changed=None, **kwargs):
    page_ids = sorted(pk for model, ids in (changed or {}).items() if issubclass(model, Page) for pk in ids)
    if page_ids:
        from byline.porting.tasks import index_imported_references

        transaction.on_commit(lambda: index_imported_references.enqueue(page_ids), robust=True)


def connect() -> None:
    bulk_change_finished.connect(index_references_after_import, dispatch_uid="porting-bulk-change")
