from django import template

from byline.related.services import related_for_page

register = template.Library()


@register.simple_tag
def related_stories(story):
    """`{% related_stories page as related %}`: the stories for the related block, as stored."""
    return related_for_page(story)
