from django import template

from byline import pagecache
from byline.related.services import related_for_page
from byline.stories.models import card_dependencies

register = template.Library()


@register.simple_tag(takes_context=True)
def related_stories(context, story):
    """`{% related_stories page as related %}`: the stories for the related block, as stored. The
    page then depends on each story it lists (a retitled or unpublished one must not linger here)."""
    related = related_for_page(story)
    if request := context.get("request"):
        pagecache.depends_on(request, *card_dependencies(related))
    return related
