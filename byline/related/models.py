"""What the related-stories engine stores.

- `PinnedStory`: an editor's hand-picked related stories for a story (up to four, shown first).
- `RelatedStory`: a story's computed list, in order, pins included (so a page read is one query).
- `Term`, `Posting`, `StoryProfile`: the engine's index. A profile exists for every story that may
  be suggested (public, live, on the site); its postings are its most distinctive terms with their
  weights; a term's `df` counts the profiled stories that use it (see README.md).
"""

from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

MAX_PINS = 4


class PinnedStory(Orderable):
    story = ParentalKey("stories.StoryPage", on_delete=models.CASCADE, related_name="pinned_related")
    pinned = models.ForeignKey(
        "stories.StoryPage",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="related story",
        help_text="Shown first under the story, once it is live and public.",
    )

    panels = [FieldPanel("pinned")]

    class Meta(Orderable.Meta):
        verbose_name = "pinned related story"
        constraints = [models.UniqueConstraint(fields=["story", "pinned"], name="unique_pin_per_story")]

    def clean(self):
        if self.story_id and self.pinned_id == self.story_id:
            raise ValidationError({"pinned": "A story cannot be related to itself."})


class RelatedStory(models.Model):
    story = models.ForeignKey("stories.StoryPage", on_delete=models.CASCADE, related_name="related_links")
    # Deleting a story deletes it from every list (CASCADE); unpublishing does it in services.
    related = models.ForeignKey("stories.StoryPage", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    # None for a pin. Kept so a newer story can tell whether it beats the weakest one in the list.
    score = models.FloatField(null=True)

    class Meta:
        ordering = ["story", "position"]
        constraints = [
            models.UniqueConstraint(fields=["story", "related"], name="unique_related_per_story"),
        ]
        indexes = [models.Index(fields=["related"], name="related_by_related")]

    def __str__(self) -> str:
        return f"{self.story_id} → {self.related_id} #{self.position}"


class Term(models.Model):
    text = models.CharField(max_length=40, unique=True)
    df = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.text


class StoryProfile(models.Model):
    """Everything the engine weighs about a candidate story, in one row."""

    story = models.OneToOneField(
        "stories.StoryPage", on_delete=models.CASCADE, primary_key=True, related_name="related_profile"
    )
    published_at = models.DateTimeField(db_index=True)
    primary_tag_id = models.BigIntegerField(null=True)
    tag_ids = models.JSONField(default=list)
    author_ids = models.JSONField(default=list)
    # The optional embedding model's unit vector for the story (embedding.py); None without one.
    embedding = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.story_id}"


class Posting(models.Model):
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    story = models.ForeignKey(StoryProfile, on_delete=models.CASCADE, related_name="postings")
    weight = models.FloatField()

    class Meta:
        # A term's strongest postings first: candidates are read from the top of each list.
        indexes = [models.Index(fields=["term", "-weight", "-story"], name="posting_by_term")]

    def __str__(self) -> str:
        return f"{self.term_id} in {self.story_id}: {self.weight:.3f}"
