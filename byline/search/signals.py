"""How search hears about a bulk change (an archive import): the rows it wrote skipped Wagtail's
per-save indexing, so they are indexed here once, in bulk, after commit. Single saves and publishes
keep the index current through Wagtail's own signal handlers. Wired in SearchConfig.ready()."""

from wagtail.search.backends import get_search_backends
from wagtail.search.index import RelatedFields, class_is_indexed

from byline.lib.bulk import bulk_change_finished

CHUNK = 500  # rows read and indexed at a time: bounded memory however big the import


def index_bulk_change(sender, changed=None, **kwargs):
    for model, ids in (changed or {}).items():
        if ids and class_is_indexed(model):
            index_rows(model, sorted(ids))


def index_rows(model, ids) -> None:
    for backend in get_search_backends(with_auto_update=True):
        for start in range(0, len(ids), CHUNK):
            rows = model.get_indexed_objects().filter(pk__in=ids[start : start + CHUNK])
            rows = list(rows.prefetch_related(*nested_relations(model)))
            backend.add_bulk(model, rows)


def nested_relations(model) -> list[str]:
    """get_indexed_objects prefetches the first step of each related search field (a story's tag
    links) but not the next (the tag), which would cost a query per link: prefetch both."""
    return [
        f"{outer.field_name}__{inner.field_name}"
        for outer in model.get_search_fields()
        if isinstance(outer, RelatedFields)
        for inner in outer.fields
        if isinstance(inner, RelatedFields)
    ]


def connect() -> None:
    bulk_change_finished.connect(index_bulk_change, dispatch_uid="search-bulk-change")
