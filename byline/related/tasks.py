"""Slow related-stories work, queued after the change that calls for it has been committed."""

from django_tasks import task

from byline.related import services


@task(queue_name="default")
def refresh_related(story_ids: list[int]) -> None:
    """Recompute these stories' lists (each also offered to the lists of the stories it is most like)."""
    services.refresh(story_ids)
