from django import template

from byline.related.engine import related_stories as find_related

register = template.Library()


@register.simple_tag
def related_stories(story):
    """`{% related_stories page as related %}`: the stories for the related block."""
    return find_related(story)
