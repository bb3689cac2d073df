"""Which stories to suggest under a story.

For now: the four live stories sharing the most tags with this one (newest first among equals),
topped up with the latest stories when fewer share a tag. The related-stories engine issue replaces
this function; the block that shows its result stays.
"""

from django.db.models import Count, Q

from byline.stories.models import StoryPage

RELATED_COUNT = 4


def related_stories(story: StoryPage, count: int = RELATED_COUNT) -> list[StoryPage]:
    tag_ids = [tag.pk for tag in story.public_tags]
    candidates = StoryPage.objects.published().exclude(pk=story.pk).filter(visibility="public")
    chosen: list[StoryPage] = []
    if tag_ids:
        sharing = (
            candidates.filter(story_tags__tag_id__in=tag_ids)
            .annotate(shared=Count("story_tags", filter=Q(story_tags__tag_id__in=tag_ids)))
            .order_by("-shared", "-first_published_at", "-pk")
            .for_cards()[:count]
        )
        chosen = list(sharing)
    if len(chosen) < count:
        chosen += list(
            candidates.exclude(pk__in=[s.pk for s in chosen]).for_cards()[: count - len(chosen)]
        )
    return chosen
