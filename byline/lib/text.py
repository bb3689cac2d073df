"""Plain text, excerpts, word counts and reading time for story bodies.

These mirror what Ghost computes for a post, so that content moved between Ghost and Byline gets
the same excerpt and the same "N min read":

- ``html_to_plaintext`` follows Ghost's ``htmlToPlaintext.excerpt`` (npm html-to-text 9 with
  Ghost's settings), which is what Ghost stores as ``post.plaintext``;
- ``excerpt`` follows Ghost's serializer: the custom excerpt, else the first 500 characters;
- ``count_words``/``count_images``/``reading_time`` follow ``@tryghost/helpers`` ``readingTime``,
  which counts on the raw HTML, not on the plain text.

Framework-free on purpose (no Django imports): it is pure string work and is tested without
settings.
"""

import math
import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

# ---------------------------------------------------------------------------------------------
# HTML -> plain text
# ---------------------------------------------------------------------------------------------

# html-to-text's whitespace: a run of these collapses to one space. NBSP is deliberately not in
# the set, so "&nbsp;" survives as U+00A0 like it does in Ghost.
_WHITESPACE = " \t\r\n\f"
_WORD_OR_SPACE = re.compile(f"[{_WHITESPACE}]+|[^{_WHITESPACE}]+")

# (line breaks before, line breaks after) per block tag, as html-to-text's defaults. Two breaks
# make a blank line. Tags not listed are inline; that includes div, which Ghost makes inline
# ("backwards compatibility with html-to-text 5"), so a div only breaks through its block children.
_BLOCK_BREAKS = {
    "p": (2, 2),
    "h1": (3, 2),
    "h2": (3, 2),
    "h3": (3, 2),
    "h4": (2, 2),
    "h5": (2, 2),
    "h6": (2, 2),
    "blockquote": (2, 2),  # Ghost's excerpt uses the plain block format: no "> " prefix
    "pre": (2, 2),
    "table": (2, 2),  # html-to-text lays tables out as blocks unless configured as data tables
    "tr": (1, 1),
    "li": (1, 1),  # only for a stray <li>; items of ul/ol are laid out by _add_list
    "figure": (1, 1),
    "article": (1, 1),
    "aside": (1, 1),
    "footer": (1, 1),
    "form": (1, 1),
    "header": (1, 1),
    "main": (1, 1),
    "nav": (1, 1),
    "section": (1, 1),
}

# Never part of the excerpt: images and their captions, rules, footnotes, embedded code, and
# newsletter signup cards (their text is a form, not the story).
_SKIPPED_TAGS = {"img", "figcaption", "hr", "script", "style"}

# Python's recursion limit is ~1000 frames and the walker uses two per level, so absurdly deep
# HTML (pasted markup can nest thousands of spans) is flattened to its words below this depth
# instead of failing the save of a story.
_MAX_DEPTH = 200


def html_to_plaintext(html: str | None) -> str:
    """Ghost's excerpt plain text of ``html``: no wrapping, link text without URLs.

    Blocks are separated by line breaks (a blank line around paragraphs, two blank lines before
    h1-h3, a single newline for ``<br>`` and between list items). List items keep html-to-text's
    markers (" * " and " 1. ", nested lists indented), so a text that starts with a list starts with
    a space. Whitespace inside running text collapses to one space; entities are decoded.
    """
    if not html:
        return ""
    soup = BeautifulSoup(html, "lxml")
    out = _Text()
    # Like html-to-text, convert only the body, so a full document's <head> stays out.
    _walk(soup.body or soup, out)
    # Only line breaks are trimmed at the start, so a leading list marker keeps its alignment.
    return out.text().lstrip("\n").rstrip()


class _Text:
    """Output under construction.

    Line breaks and spaces are *owed* and only written before the next visible text. That way
    empty elements leave no trace and nothing dangles at the start or end, and when two blocks
    meet, the larger of their breaks wins instead of the sum (as in html-to-text).
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.owed_breaks = 0
        self.owed_space = False
        self.trailing_newlines = 0  # of the text written so far

    def add_words(self, text: str) -> None:
        for token in _WORD_OR_SPACE.findall(text):
            if token[0] in _WHITESPACE:
                self.owed_space = True
            else:
                self.write(token)

    def add_space(self) -> None:
        self.owed_space = True

    def add_breaks(self, count: int) -> None:
        self.owed_breaks = max(self.owed_breaks, count)

    def write(self, text: str) -> None:
        """Write text as is (after any owed breaks or space)."""
        if self.parts:
            if self.owed_breaks:
                # A <br> just before a block end already provided some of the breaks.
                missing = self.owed_breaks - self.trailing_newlines
                self.parts.append("\n" * max(missing, 0))
            elif self.owed_space and not self.trailing_newlines:
                self.parts.append(" ")
        self.parts.append(text)
        self.owed_breaks = 0
        self.owed_space = False
        stripped = text.rstrip("\n")
        if stripped:
            self.trailing_newlines = len(text) - len(stripped)
        else:
            self.trailing_newlines += len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _walk(node: Tag, out: _Text, pre: bool = False, depth: int = 0) -> None:
    for child in node.children:
        if isinstance(child, Tag):
            _add_element(child, out, pre, depth + 1)
        elif isinstance(child, PreformattedString):
            continue  # comments, doctypes, processing instructions, CDATA
        elif isinstance(child, NavigableString):
            if not pre:
                out.add_words(str(child))
            elif child:
                out.write(str(child))  # preformatted text keeps its spaces and newlines


def _add_element(tag: Tag, out: _Text, pre: bool, depth: int) -> None:
    name = tag.name
    if _is_skipped(tag):
        return
    if depth > _MAX_DEPTH:
        out.add_words(tag.get_text(" "))  # get_text iterates, it does not recurse
    elif name == "br":
        out.write("\n")
    elif name in ("ul", "ol"):
        _add_list(tag, out, depth)
    elif name in ("td", "th"):
        # Each row is a line (tr is a block); a space keeps the words of adjacent cells apart.
        out.add_space()
        _walk(tag, out, pre, depth)
        out.add_space()
    elif name in _BLOCK_BREAKS:
        before, after = _BLOCK_BREAKS[name]
        out.add_breaks(before)
        _walk(tag, out, pre or name == "pre", depth)
        out.add_breaks(after)
    else:
        # Inline: a, strong, em, span, div, code, sup, ... Links keep their text, never the URL.
        _walk(tag, out, pre, depth)


def _is_skipped(tag: Tag) -> bool:
    classes = tag.get_attribute_list("class")
    if tag.name in _SKIPPED_TAGS or "kg-signup-card" in classes:
        return True
    if tag.name == "div" and "footnotes" in classes:
        return True
    # a[rel=footnote] is an exact match on the attribute value, as in CSS.
    return tag.name == "a" and " ".join(tag.get_attribute_list("rel", [])) == "footnote"


def _add_list(tag: Tag, out: _Text, depth: int) -> None:
    """Lay a list out like html-to-text: one item per line behind a marker.

    A list nested in an item uses the marker without its leading space and is separated by single
    line breaks; the item's continuation lines are indented to sit under its first word.
    """
    items = [child for child in tag.children if isinstance(child, Tag) or _has_words(child)]
    if not items:
        return
    nested = tag.parent is not None and tag.parent.name == "li"
    prefixes = _list_prefixes(tag, items, nested)
    width = max(len(prefix) for prefix in prefixes)
    lines = []
    for item, prefix in zip(items, prefixes, strict=True):
        lines.append(_indent(prefix.ljust(width), _item_text(item, depth)))
    breaks = 1 if nested else 2
    out.add_breaks(breaks)
    out.write("\n".join(lines))
    out.add_breaks(breaks)


def _has_words(node) -> bool:
    is_text = isinstance(node, NavigableString) and not isinstance(node, PreformattedString)
    return is_text and bool(node.strip(_WHITESPACE))


def _list_prefixes(tag: Tag, items: list, nested: bool) -> list[str]:
    try:
        number = int(tag.get("start") or 1)
    except ValueError:
        number = 1
    prefixes = []
    for item in items:
        if not (isinstance(item, Tag) and item.name == "li"):
            prefixes.append("")  # html-to-text gives stray list children no marker
            continue
        if tag.name == "ol":
            prefix = f" {number}. "
            number += 1
        else:
            prefix = " * "
        prefixes.append(prefix.lstrip(" ") if nested else prefix)
    return prefixes


def _item_text(item: Tag | NavigableString, depth: int) -> str:
    sub = _Text()
    if isinstance(item, Tag):
        if item.name == "li":
            _walk(item, sub, depth=depth + 1)
        else:
            _add_element(item, sub, False, depth + 1)
    else:
        sub.add_words(str(item))
    return sub.text()


def _indent(prefix: str, text: str) -> str:
    first, *rest = text.split("\n")
    margin = " " * len(prefix)
    lines = [(prefix + first).rstrip()]
    lines += [margin + line if line else "" for line in rest]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Excerpt
# ---------------------------------------------------------------------------------------------


def excerpt(plaintext: str, custom_excerpt: str | None = None, length: int = 500) -> str:
    """The story's excerpt: its custom excerpt, else the start of its plain text.

    A custom excerpt that is None, empty or only whitespace does not count. Otherwise this is
    Ghost's ``plaintext.substring(0, 500)``: no ellipsis and no trimming.

    ``length`` counts UTF-16 code units, not Python characters, because JavaScript's
    ``substring`` does and Ghost compatibility means cutting at the same place: an emoji outside
    the Basic Multilingual Plane uses two units. Unlike JavaScript we never split a surrogate
    pair: when the cut falls inside one, that character is dropped whole, so the excerpt may be
    one unit shorter than ``length`` (Ghost would end it with a lone high surrogate).
    """
    if custom_excerpt is not None and custom_excerpt.strip():
        return custom_excerpt
    return _utf16_prefix(plaintext or "", length)


def _utf16_prefix(text: str, units: int) -> str:
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


# ---------------------------------------------------------------------------------------------
# Word counts and reading time
# ---------------------------------------------------------------------------------------------

# Ghost's regular expressions, translated. In JavaScript "." matches anything but \n, \r, U+2028
# and U+2029, so Ghost's "(.|\n)" is "anything but \r, U+2028, U+2029". Case-sensitive, as there.
_TAG = re.compile("<[^\r\u2028\u2029]*?>")
_IMG = re.compile("<img[^\r\u2028\u2029]*?>")
_WORD = re.compile(
    "[a-zA-Z\u00c0-\u00ff0-9_\u0392-\u03c9\u0410-\u04f9]+"
    "|[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\u3040-\u309f\uac00-\ud7af]+"
)

WORDS_PER_MINUTE = 275


def count_words(html: str) -> int:
    """Ghost's word count of an HTML body (tags become spaces; entities are not decoded).

    Latin (with Latin-1 letters), Greek, Cyrillic words and digits count one each. A run of
    CJK/kana/hangul characters counts one word per character when it starts at or after U+4E00
    (CJK ideographs, hangul), else as one word (a run that starts with hiragana or CJK
    extension A) — Ghost tests only the run's first character.
    """
    if not html:
        return 0
    count = 0
    for match in _WORD.findall(_TAG.sub(" ", html)):
        count += len(match) if ord(match[0]) >= 0x4E00 else 1
    return count


def count_images(html: str) -> int:
    """Ghost's image count: ``<img`` tags in the HTML, as written (lowercase only)."""
    if not html:
        return 0
    return len(_IMG.findall(html))


def reading_seconds(words: int, images: int) -> float:
    """Ghost's reading estimate: 275 words a minute, plus 12 s for the first image, 11 s for the
    second and so on, never less than 3 s per image.

    The arithmetic is done in the same order as Ghost's so the float result is identical.
    """
    seconds = words / (WORDS_PER_MINUTE / 60)
    for i in range(12, 12 - images, -1):
        seconds += max(i, 3)
    return seconds


def reading_time(html: str | None, has_feature_image: bool = False) -> int | None:
    """Whole minutes to read a story, as Ghost shows it; 0 for a very short one.

    None when there is no body at all. A feature image counts as one more image.
    """
    if html is None:
        return None
    images = count_images(html) + (1 if has_feature_image else 0)
    return _js_round(reading_seconds(count_words(html), images) / 60)


def _js_round(value: float) -> int:
    """JavaScript's Math.round: halves round up (Python's round() goes to even: round(2.5) == 2).

    Comparing the fraction with 0.5 rather than computing floor(x + 0.5) avoids the float
    addition rounding 0.49999999999999994 up to 1.
    """
    whole = math.floor(value)
    return whole + 1 if value - whole >= 0.5 else whole


def word_count(plaintext: str) -> int:
    """Whitespace-separated words of plain text, for display in the admin."""
    return len(plaintext.split()) if plaintext else 0
