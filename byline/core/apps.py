from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "byline.core"
    label = "core"
    verbose_name = "Publication"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from byline.core import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_align_site, sender=self)


def _align_site(**kwargs) -> None:
    # After every migrate the site's address follows BYLINE_URL, so changing the setting is enough.
    from byline.core.services import align_site_with_public_url

    align_site_with_public_url()
