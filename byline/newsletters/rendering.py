"""A story as an email: rendered once per send, then personalised per recipient by substitution.

The template is rendered with per-send markers (`@@<marker>:name@@` and friends) where the recipient's
details go; `Personaliser` splits the rendered text at those markers once, so each recipient costs a
string join, not a template render. The marker is random per send, so no story text can collide with it.
"""

import re
import secrets
from dataclasses import dataclass
from html import escape
from urllib.parse import urljoin

import css_inline
import nh3
from bs4 import BeautifulSoup
from django.conf import settings
from django.template.loader import render_to_string

EMAIL_WIDTH = 600  # px: the body column of the email
IMAGE_WIDTH = 560  # px: images inside the column's padding
FIELDS = ("name", "unsubscribe_url")

# What survives in an email body: formatting, links, images, tables. No scripts, frames, forms or styles.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"class"},
}

_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def new_marker() -> str:
    return secrets.token_hex(8)


def placeholder(marker: str, field: str) -> str:
    return f"@@{marker}:{field}@@"


def absolute(url: str) -> str:
    return urljoin(settings.BYLINE_URL.rstrip("/") + "/", url or "")


def body_html(story) -> str:
    """The story's body made email-safe: embeds become linked thumbnails, URLs absolute, images sized."""
    parts = []
    for block in story.body:
        if block.block_type == "embed":
            parts.append(_embed_as_link(block.value))
        else:
            parts.append(str(block.render()))
    return email_safe("".join(parts))


def _embed_as_link(value) -> str:
    embed = value.get("url")
    url = getattr(embed, "url", "") or ""
    if not url:
        return ""
    title = getattr(embed, "title", "") or url
    thumbnail = getattr(embed, "thumbnail_url", "") or ""
    inner = (
        f'<img src="{escape(thumbnail)}" alt="{escape(title)}" width="{IMAGE_WIDTH}">'
        if thumbnail
        else escape(title)
    )
    caption = f"<figcaption>{escape(value.get('caption') or '')}</figcaption>" if value.get("caption") else ""
    return f'<figure class="embed"><a href="{escape(url)}">{inner}</a>{caption}</figure>'


def email_safe(html: str) -> str:
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )
    soup = BeautifulSoup(cleaned, "html.parser")
    for link in soup.find_all("a", href=True):
        link["href"] = absolute(link["href"])
    for image in soup.find_all("img"):
        image["src"] = absolute(image.get("src", ""))
        width = _int(image.get("width"))
        image["width"] = str(min(width, IMAGE_WIDTH) if width else IMAGE_WIDTH)
        image.attrs.pop("height", None)  # the width alone keeps the aspect ratio in every client
    return str(soup)


def _int(value) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    marker: str


def render(story, newsletter, publication, *, subject: str = "", marker: str = "") -> Rendered:
    """The whole email for `story`, with markers where each recipient's details go."""
    marker = marker or new_marker()
    subject = " ".join((subject or story.email_subject or story.title).split())
    context = {
        "story": story,
        "newsletter": newsletter,
        "publication": publication,
        "subject": subject,
        "story_url": absolute(story.url or ""),
        "authors": ", ".join(author.name for author in story.authors),
        "body_html": body_html(story),
        "body_text": story.plaintext,
        "feature_image_url": _rendition_url(story.feature_image, "width-1200"),
        "logo_url": _rendition_url(getattr(publication, "logo", None), "max-400x120"),
        "greeting_name": placeholder(marker, "name"),
        "unsubscribe_url": placeholder(marker, "unsubscribe_url"),
        "preferences_url": absolute("/account/"),
        "postal_address": getattr(publication, "postal_address", ""),
        "email_width": EMAIL_WIDTH,
        "image_width": IMAGE_WIDTH,
    }
    html = render_to_string("emails/newsletter/body.html", context)
    html = _inliner.inline(html)
    text = render_to_string("emails/newsletter/body.txt", context)
    return Rendered(subject=subject, html=html, text=text, marker=marker)


def _rendition_url(image, spec: str) -> str:
    if image is None:
        return ""
    return absolute(image.get_rendition(spec).url)


def greeting_name(name: str) -> str:
    words = (name or "").split()
    return words[0] if words else "there"


class Personaliser:
    """Cuts the rendered email at its markers once; `fill` joins the pieces with one recipient's details."""

    def __init__(self, template: str, marker: str, *, html: bool):
        pattern = "@@" + re.escape(marker) + ":(" + "|".join(FIELDS) + ")@@"
        self.pieces = re.split(pattern, template)
        self.html = html

    def fill(self, values: dict) -> str:
        pieces = self.pieces.copy()
        for index in range(1, len(pieces), 2):
            value = values[pieces[index]]
            pieces[index] = escape(value) if self.html else value
        return "".join(pieces)
