"""What newsletters do when stories change: a story that goes live with a newsletter chosen is emailed."""

from byline.newsletters import services


def story_published(sender, instance, **kwargs) -> None:
    from byline.stories.models import StoryPage

    if isinstance(instance, StoryPage):
        services.email_for_story(instance)


def delivery_event(sender, event, esp_name, **kwargs) -> None:
    services.record_delivery_event(esp_name, event)
