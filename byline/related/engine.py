"""Which stories to suggest under a story.

For now: the four live stories sharing the most tags with this one (newest first among equals),
topped up with the latest stories when fewer share a tag. The related-stories engine issue replaces
this function; the block that shows its result stays.
"""

from django.db.models import Count, Q

from byline.stories.models import StoryPage, load_cards

RELATED_COUNT = 4


def related_stories(story: StoryPage, count: int = RELATED_COUNT) -> list[StoryPage]:
    # Choose by id first (one query, two when topping up), then load the chosen cards in one
    # go, so the block costs the same number of queries whichever way it was filled.
    tag_ids = [tag.pk for tag in story.public_tags]
    candidates = StoryPage.objects.published().exclude(pk=story.pk).filter(visibility="public")
    chosen: list[int] = []
    if tag_ids:
        chosen = list(
            candidates.filter(story_tags__tag_id__in=tag_ids)
            .annotate(shared=Count("story_tags", filter=Q(story_tags__tag_id__in=tag_ids)))
            .order_by("-shared", "-first_published_at", "-pk")
            .values_list("pk", flat=True)[:count]
        )
    if len(chosen) < count:
        chosen += candidates.exclude(pk__in=chosen).values_list("pk", flat=True)[: count - len(chosen)]
    return load_cards(chosen)
