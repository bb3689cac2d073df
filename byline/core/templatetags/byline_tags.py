import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# The characters that could end a <script> element or start a comment inside one.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def jsonld(data):
    """A JSON-LD <script>, escaped so no value can close the element early."""
    payload = json.dumps(data, ensure_ascii=False, default=str).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.filter
def reading_time_label(minutes):
    """Ghost's wording: "1 min read" for anything up to a minute."""
    if minutes is None:
        return ""
    return "1 min read" if minutes <= 1 else f"{minutes} min read"


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    request = context.get("request")
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path) if request else path
