"""HTML sent to the Admin API (`?source=html`) turned into a story body of Byline's blocks.

Paragraphs, headings, lists and quotes become rich text; <hr> a divider; <pre> a code block; an <img>
(or a <figure> around one) whose address is an image stored here becomes an image block; everything
else (embeds, tables, scripts of trusted integrations, Ghost's paywall comment) is kept as raw HTML so
nothing is lost.
"""

from urllib.parse import urlsplit

import nh3
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from wagtail.images import get_image_model

RICH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote"}
INLINE_TAGS = {"a", "b", "strong", "i", "em", "code", "br", "sup", "sub", "s", "del", "li", "ul", "ol", "p"}
HEADINGS = {"h1": "h2", "h5": "h4", "h6": "h4"}  # the editor offers h2–h4
ALLOWED = {
    "p",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "a",
    "b",
    "i",
    "code",
    "br",
    "sup",
    "sub",
    "s",
}


def _rich(html: str) -> str:
    html = nh3.clean(
        html,
        tags=ALLOWED | {"strong", "em", "del", "h1", "h5", "h6"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
    )
    soup = BeautifulSoup(html, "html.parser")
    for old, new in {**HEADINGS, "strong": "b", "em": "i", "del": "s"}.items():
        for element in soup.find_all(old):
            element.name = new
    return str(soup)


def _stored_image(src: str):
    """The image whose file lives at `src` (an address this site gave out), or None."""
    path = urlsplit(src or "").path
    marker = "/original_images/"
    if marker not in path:
        return None
    name = "original_images/" + path.rsplit(marker, 1)[1]
    return get_image_model().objects.filter(file=name).first()


def _image_block(node: Tag):
    image_tag = node if node.name == "img" else node.find("img")
    if image_tag is None or (node.name == "figure" and node.find(["iframe", "video", "audio"])):
        return None
    image = _stored_image(image_tag.get("src", ""))
    if image is None:
        return None
    caption = node.find("figcaption") if node.name == "figure" else None
    return {
        "type": "image",
        "value": {
            "image": image.pk,
            "alt": (image_tag.get("alt") or "")[:250],
            "caption": caption.get_text(" ", strip=True)[:500] if caption else "",
            "width": "regular",
        },
    }


def html_to_body(html: str) -> list[dict]:
    """Raw StreamField data for `html` (what StoryPage.body accepts)."""
    soup = BeautifulSoup(html or "", "html.parser")
    blocks, rich = [], []

    def flush():
        text = "".join(rich).strip()
        rich.clear()
        if text:
            cleaned = _rich(text)
            if cleaned.strip():
                blocks.append({"type": "rich_text", "value": cleaned})

    for node in soup.contents:
        if isinstance(node, Comment):
            flush()
            blocks.append({"type": "html", "value": f"<!--{node}-->"})
        elif isinstance(node, NavigableString):
            if node.strip():
                rich.append(f"<p>{node}</p>")
        elif node.name in RICH_TAGS:
            rich.append(str(node))
        else:
            flush()
            blocks.append(_other_block(node))
    flush()
    return blocks


def _other_block(node: Tag) -> dict:
    if node.name == "hr":
        return {"type": "divider", "value": None}
    if node.name == "pre":
        code = node.find("code")
        language = ""
        for css in (code or node).get("class") or []:
            if css.startswith("language-"):
                language = css.removeprefix("language-")[:40]
        return {"type": "code", "value": {"language": language, "code": node.get_text()}}
    if node.name in ("img", "figure"):
        block = _image_block(node)
        if block:
            return block
    return {"type": "html", "value": str(node)}
