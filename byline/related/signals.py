"""How `related` hears about stories: publishing (which is also how a live story is edited),
unpublishing and deleting. Wired in RelatedConfig.ready(); stories knows nothing of this app."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from wagtail.signals import page_published, page_unpublished

from byline.lib.bulk import bulk_change_finished, in_bulk_change
from byline.related import services


def enqueue_refresh(story_ids) -> None:
    story_ids = sorted(set(story_ids))
    if story_ids:
        from byline.related.tasks import refresh_related

        # After commit: a worker must see the change it is asked to act on.
        transaction.on_commit(partial(refresh_related.enqueue, story_ids), robust=True)


def on_published(sender, instance, **kwargs):
    if in_bulk_change():  # an import: every list is rebuilt once at the end (on_bulk_change)
        return
    enqueue_refresh([instance.pk])


def on_unpublished(sender, instance, **kwargs):
    if in_bulk_change():
        return
    # Out of every list at once, in the same transaction; refilling those lists can wait.
    enqueue_refresh(services.withdraw(instance.pk))


def before_delete(sender, instance, **kwargs):
    instance._related_lists_to_refill = services.lists_containing(instance.pk)


def after_delete(sender, instance, **kwargs):
    # The rows themselves went with the story (CASCADE); the lists it was in need a fourth story.
    enqueue_refresh(set(getattr(instance, "_related_lists_to_refill", ())) - {instance.pk})


def on_bulk_change(sender, changed=None, **kwargs):
    """After an import: one rebuild of every list costs less than refreshing story by story."""
    from byline.stories.models import StoryPage

    if (changed or {}).get(StoryPage):
        services.rebuild()


def connect() -> None:
    from byline.stories.models import StoryPage, story_page_cards

    story_page_cards.connect(services.offer_cards, sender=StoryPage, dispatch_uid="related-cards")
    page_published.connect(on_published, sender=StoryPage, dispatch_uid="related-published")
    page_unpublished.connect(on_unpublished, sender=StoryPage, dispatch_uid="related-unpublished")
    pre_delete.connect(before_delete, sender=StoryPage, dispatch_uid="related-pre-delete")
    post_delete.connect(after_delete, sender=StoryPage, dispatch_uid="related-post-delete")
    bulk_change_finished.connect(on_bulk_change, dispatch_uid="related-bulk-change")
