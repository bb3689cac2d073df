"""The story page's Comments section: `{% load byline_comments %}{% comments_section page %}`.

The HTML is the same for every reader (pages are cached); comments.js fills in the signed-in parts."""

import hashlib

from django import template
from django.utils.safestring import mark_safe
from wagtail.models import Site

from byline.comments import services
from byline.comments.models import CommentSettings
from byline.comments.text import clean_for_output

register = template.Library()
COLOURS = 7  # the theme's .avatar--c0 … c6


def comment_settings(request) -> CommentSettings:
    if not hasattr(request, "_comment_settings"):
        site = Site.find_for_request(request)
        # Read on every story page: from the cache, forgotten when the settings are saved.
        request._comment_settings = CommentSettings.cached_for_site(site) if site else CommentSettings()
    return request._comment_settings


@register.inclusion_tag("comments/section.html", takes_context=True)
def comments_section(context, story):
    request = context["request"]
    if story.pk is None:
        # A preview of a story not saved yet: nobody can have commented on it.
        return {"shown": False}
    site_settings = comment_settings(request)
    if not services.thread_shown(story, site_settings):
        return {"shown": False}
    return {
        "shown": True,
        "story": story,
        "open": services.open_for_new_comments(story, site_settings),
        "thread": services.thread(story),
        "request": request,
    }


@register.filter
def comment_html(value):
    """Stored comment HTML, sanitised once more on the way out."""
    return mark_safe(clean_for_output(value))  # noqa: S308 - nh3 output with a five-tag allowlist


@register.filter
def member_colour(member) -> int:
    if member is None:
        return 0
    return hashlib.sha256(str(member.uuid).encode()).digest()[0] % COLOURS


@register.filter
def writer_colour(comment) -> int:
    """The avatar colour: by member, or by a guest's name (an imported comment), else the first."""
    if comment.member_id is None:
        name = comment.guest_name
        return hashlib.sha256(name.encode()).digest()[0] % COLOURS if name else 0
    return member_colour(comment.member)


@register.filter
def badge_for(badges, member):
    return badges.get(member.pk, "") if member is not None and badges else ""
