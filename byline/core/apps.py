from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "byline.core"
    label = "core"
    verbose_name = "Publication"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from byline.core import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_align_site, sender=self)
        _purge_pages_on_site_wide_changes()


def _purge_pages_on_site_wide_changes() -> None:
    """Publication settings, and pages other than stories (home, About), show on or steer every
    page: a change to them forgets the whole page cache. Stories purge precisely (stories/signals)."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Site
    from wagtail.signals import page_published, page_unpublished

    from byline.core.models import PublicationSettings

    post_save.connect(_purge_everything, sender=PublicationSettings, dispatch_uid="pagecache-publication")
    post_save.connect(_purge_for_sites, sender=Site, dispatch_uid="pagecache-site-saved")
    post_delete.connect(_purge_for_sites, sender=Site, dispatch_uid="pagecache-site-deleted")
    page_published.connect(_purge_for_pages, dispatch_uid="pagecache-page-published")
    page_unpublished.connect(_purge_for_pages, dispatch_uid="pagecache-page-unpublished")
    post_delete.connect(_purge_for_pages, dispatch_uid="pagecache-page-deleted")


def _purge_everything(sender, **kwargs) -> None:
    from django.db import transaction

    from byline.lib.bulk import in_bulk_change
    from byline.pagecache import purge_all

    # A settings row created on first read holds the defaults pages already show: nothing to purge.
    if not in_bulk_change() and not kwargs.get("created"):
        transaction.on_commit(purge_all)


def _purge_for_sites(sender, **kwargs) -> None:
    """A Site's address or root steers every URL and route; each process's copy of the sites
    (core.services.site_for_request) is forgotten with the pages. Now and after commit: a request in
    between could copy the old row again."""
    from django.db import transaction

    from byline.pagecache import purge_all

    purge_all()
    transaction.on_commit(purge_all)


def _purge_for_pages(sender, **kwargs) -> None:
    from wagtail.models import Page

    if issubclass(sender, Page) and sender._meta.label != "stories.StoryPage":
        _purge_everything(sender)


def _align_site(**kwargs) -> None:
    # After every migrate the site's address follows BYLINE_URL, so changing the setting is enough.
    from byline.core.services import align_site_with_public_url

    align_site_with_public_url()
