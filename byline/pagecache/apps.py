from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "byline.pagecache"
    label = "pagecache"
    verbose_name = "Page cache"

    def ready(self) -> None:
        from byline.lib.bulk import bulk_change_finished

        bulk_change_finished.connect(_purge_after_bulk_change, dispatch_uid="pagecache-bulk-change")


def _purge_after_bulk_change(**kwargs) -> None:
    # An import skipped every per-story purge: everything it touched may be on any page.
    from byline.pagecache import purge_all

    purge_all()
