"""Imported HTML (Ghost's `html`, WordPress's content) into the story body's StreamField blocks.

Top-level paragraphs, headings and lists become rich text (consecutive ones share one block); Ghost's
cards become their Byline blocks where one exists (code, divider, callout, button, quote-less
blockquotes stay rich text); what has no home (galleries, embeds, HTML cards, images we have not taken
in) becomes a raw HTML block. Everything is sanitised with nh3 on the way in: an export is a file from
elsewhere, and raw HTML blocks are rendered as they are.
"""

import re

import nh3
from bs4 import BeautifulSoup, Comment, NavigableString, Tag

RICH_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "a", "b", "strong", "i", "em", "code", "sup", "sub", "s",
    "del", "br", "blockquote",
}  # fmt: skip
RICH_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote"}
HEADING_LEVELS = {"h1": "h2", "h5": "h4", "h6": "h4"}  # the body has h2–h4 (h1 is the title)

RAW_TAGS = nh3.ALLOWED_TAGS | {"iframe", "video", "audio", "source", "picture", "svg", "path"}
RAW_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href", "target", "name"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "iframe": {"src", "width", "height", "allow", "allowfullscreen", "frameborder", "loading"},
    "video": {"src", "poster", "width", "height", "controls", "loop", "muted", "playsinline", "preload"},
    "audio": {"src", "controls", "preload", "loop"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "svg": {"viewbox", "width", "height", "fill"},
    "path": {"d", "fill"},
}
URL_SCHEMES = {"http", "https", "mailto"}
CARD_BEGIN = re.compile(r"^\s*kg-card-begin:\s*(\w+)\s*$")
CARD_END = re.compile(r"^\s*kg-card-end:\s*(\w+)\s*$")


def clean_rich_text(html: str) -> str:
    return nh3.clean(html, tags=RICH_TAGS, attributes={"a": {"href"}}, url_schemes=URL_SCHEMES).strip()


def clean_raw_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=RAW_TAGS,
        attributes=RAW_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
        link_rel="noopener",
    ).strip()


def _classes(node: Tag) -> set[str]:
    return set(node.get("class") or [])


def _code_block(node: Tag) -> dict:
    code = node.find("code") or node
    language = ""
    for name in _classes(code):
        if name.startswith("language-"):
            language = name.removeprefix("language-")[:40]
    return {"type": "code", "value": {"language": language, "code": code.get_text()}}


def _callout_block(node: Tag) -> dict:
    emoji = node.find(class_="kg-callout-emoji")
    text = node.find(class_="kg-callout-text")
    body = text.decode_contents() if text else node.get_text()
    return {
        "type": "callout",
        "value": {
            "emoji": emoji.get_text(strip=True)[:8] if emoji else "",
            "text": clean_rich_text(f"<p>{body}</p>"),
        },
    }


def _button_block(node: Tag) -> dict | None:
    link = node.find("a", href=True)
    if link is None or not re.match(r"^(https?:|mailto:|/)", link["href"]):
        return None
    return {
        "type": "button",
        "value": {"text": link.get_text(strip=True)[:80] or "Read more", "url": link["href"]},
    }


def _quote_block(node: Tag) -> dict | None:
    """A Ghost blockquote with a cite line becomes a quote block; a plain one stays in the rich text."""
    cite = node.find("cite")
    if cite is None:
        return None
    attribution = cite.get_text(" ", strip=True)
    cite.extract()
    return {
        "type": "quote",
        "value": {"text": node.get_text("\n", strip=True), "attribution": attribution[:250]},
    }


def _rich_fragment(node) -> str:
    """One top-level node as rich text HTML, or '' if it has no text worth keeping."""
    if isinstance(node, NavigableString):
        text = str(node).strip()
        return clean_rich_text(f"<p>{text}</p>") if text else ""
    name = HEADING_LEVELS.get(node.name, node.name)
    if name != node.name:
        node.name = name
    return clean_rich_text(str(node))


def _image_blocks(node: Tag, image_for) -> dict | None:
    """A figure whose images were all taken in (--images) becomes an image or gallery block."""
    images = node.find_all("img")
    if not images or image_for is None:
        return None
    found = [image_for(img.get("src") or "") for img in images]
    if any(image is None for image in found):
        return None
    caption_node = node.find("figcaption")
    caption = " ".join(caption_node.get_text(" ").split())[:500] if caption_node else ""
    if len(found) == 1:
        classes = _classes(node)
        width = "full" if "kg-width-full" in classes else "wide" if "kg-width-wide" in classes else "regular"
        alt = (images[0].get("alt") or "")[:250]
        return {
            "type": "image",
            "value": {"image": found[0].pk, "alt": alt, "caption": caption, "width": width},
        }
    return {"type": "gallery", "value": {"images": [image.pk for image in found[:9]], "caption": caption}}


def _special_block(node: Tag, image_for=None) -> dict | None:
    """The block for a Ghost card or a structural element, or None when it is rich text."""
    classes = _classes(node)
    is_image = node.name in ("figure", "img") or "kg-gallery-card" in classes
    if is_image and (block := _image_blocks(node, image_for)) is not None:
        return block
    if node.name == "pre":
        return _code_block(node)
    if node.name == "hr":
        return {"type": "divider", "value": None}
    if "kg-callout-card" in classes:
        return _callout_block(node)
    if "kg-button-card" in classes:
        return _button_block(node) or {"type": "html", "value": clean_raw_html(str(node))}
    if node.name == "blockquote":
        return _quote_block(node)
    if node.name in RICH_BLOCK_TAGS:
        return None
    if "kg-code-card" in classes and node.find("pre"):
        return _code_block(node.find("pre"))
    raw = clean_raw_html(str(node))
    return {"type": "html", "value": raw} if raw else None


def html_to_blocks(html: str, image_for=None) -> list[dict]:
    """The StreamField raw data (a list of {"type", "value"}) for an HTML fragment.

    `image_for(src)` returns the Wagtail image taken in for an image URL, or None: figures whose images
    all resolve become image and gallery blocks; the others stay as (sanitised) HTML."""
    soup = BeautifulSoup(html or "", "html.parser")
    blocks: list[dict] = []
    rich: list[str] = []
    raw_card: list[str] | None = None

    def flush_rich():
        if rich:
            blocks.append({"type": "rich_text", "value": "".join(rich)})
            rich.clear()

    for node in list(soup.contents):
        if isinstance(node, Comment):
            if CARD_BEGIN.match(node) and CARD_BEGIN.match(node).group(1) == "html":
                raw_card = []
            elif CARD_END.match(node) and raw_card is not None:
                flush_rich()
                cleaned = clean_raw_html("".join(raw_card))
                if cleaned:
                    blocks.append({"type": "html", "value": cleaned})
                raw_card = None
            continue
        if raw_card is not None:
            raw_card.append(str(node))
            continue
        if isinstance(node, NavigableString) or node.name in RICH_BLOCK_TAGS - {"blockquote"}:
            fragment = _rich_fragment(node)
            if fragment:
                rich.append(fragment)
            continue
        special = _special_block(node, image_for)
        if special is None:
            fragment = _rich_fragment(node)
            if fragment:
                rich.append(fragment)
            continue
        flush_rich()
        blocks.append(special)
    if raw_card:
        # A card that never ended (a truncated file): keep its content rather than lose it.
        cleaned = clean_raw_html("".join(raw_card))
        if cleaned:
            flush_rich()
            blocks.append({"type": "html", "value": cleaned})
    flush_rich()
    return blocks
