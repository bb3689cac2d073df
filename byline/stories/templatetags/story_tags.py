from django import template

from byline.stories import seo
from byline.stories.share import share_links as build_share_links

register = template.Library()


@register.simple_tag(takes_context=True)
def share_links(context, story):
    request = context["request"]
    return build_share_links(request.build_absolute_uri(story.get_url(request)), story.title)


@register.simple_tag(takes_context=True)
def story_jsonld(context, story):
    return seo.news_article(context["request"], story, context.get("publication"))


@register.simple_tag(takes_context=True)
def website_jsonld(context):
    return seo.website(context["request"], context.get("publication"))
