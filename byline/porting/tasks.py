"""Slow porting work, queued after an import has committed."""

from django_tasks import task
from wagtail.models import Page

from byline.porting.page_batch import index_references


@task(queue_name="default")
def index_imported_references(page_ids: list[int]) -> None:
    """Wagtail's reference index for pages an import wrote in bulk: what the admin shows as the
    "usage" of an image, an author or a tag. Nothing on the public site reads it, so it can wait
    for a worker rather than hold up the import."""
    for start in range(0, len(page_ids), 500):
        index_references(Page.objects.filter(pk__in=page_ids[start : start + 500]).specific())
