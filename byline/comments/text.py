"""A comment's text: what a member types becomes a small, safe piece of HTML.

Members type plain text. Line breaks are kept (a blank line starts a paragraph), bare http(s) links
become clickable, and `<b>`, `<strong>`, `<i>`, `<em>` written exactly like that are kept. Everything
else is shown as typed: `<script>` appears as the text "<script>". Ghost's comments UI sends HTML
paragraphs, so `<p>` and `<br>` are read as line breaks.

The result then goes through nh3 with the same small allowlist, and `clean_for_output` runs nh3 again
when the comment is shown, so a row changed behind our back (an import, a database edit) is still safe.
"""

import html
import re
import unicodedata

import nh3

MAX_LENGTH = 5000
ALLOWED_TAGS = {"p", "br", "a", "b", "strong", "i", "em"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "ugc nofollow noopener"
URL_SCHEMES = {"http", "https"}


class CommentTextError(ValueError):
    """The text cannot be a comment; the message is for the member."""


_BREAK = re.compile(r"<br\s*/?>|</?p>", re.IGNORECASE)
_INLINE_TAG = re.compile(r"(</?(?:b|strong|i|em)>)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}*'\""
_PARAGRAPHS = re.compile(r"\n\s*\n")


def clean_for_output(value: str) -> str:
    """Sanitise stored comment HTML for display (the second of two passes)."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=LINK_REL,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
    )


def _visible(text: str) -> str:
    # Control and invisible format characters (bidi overrides, zero-width joiners used to hide
    # words) have no place in a comment; newlines and tabs are kept.
    return "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co")
    )


def from_imported_html(raw: str) -> str:
    """The stored HTML of a comment written elsewhere (a WordPress comment, which is HTML), or "" when
    nothing is left. Unlike `to_html`, tags are read as HTML, not shown as typed: the allowed ones stay
    (links lose every attribute but href, and get our rel), the rest are dropped with their text kept
    — scripts and styles with their content. Paragraphs and line breaks are kept as WordPress shows
    them. No length limit: the limit is for members typing here, not for an archive."""
    first = clean_for_output(_visible(str(raw or "").replace("\r\n", "\n").replace("\r", "\n")))
    text = _BREAK.sub("\n", first)
    paragraphs = [part.strip() for part in _PARAGRAPHS.split(text) if part.strip()]
    cleaned = clean_for_output("".join(f"<p>{part.replace(chr(10), '<br>')}</p>" for part in paragraphs))
    return cleaned if plain_text(cleaned).strip() else ""


def normalise(raw) -> str:
    """Text as typed, with line endings unified and control characters dropped; raises CommentTextError."""
    if not isinstance(raw, str):
        raise CommentTextError("Write your comment as text.")
    if len(raw) > MAX_LENGTH * 4:
        # Refuse absurd bodies before doing any work on them.
        raise CommentTextError(f"Comments can be at most {MAX_LENGTH:,} characters long.")
    text = _visible(raw.replace("\r\n", "\n").replace("\r", "\n"))
    return _BREAK.sub("\n", text).strip()


def to_html(raw) -> str:
    """The stored HTML of a comment; raises CommentTextError when it is empty or too long."""
    text = normalise(raw)
    if len(text) > MAX_LENGTH:
        raise CommentTextError(f"Comments can be at most {MAX_LENGTH:,} characters long.")
    paragraphs = [part.strip() for part in _PARAGRAPHS.split(text) if part.strip()]
    body = "".join(f"<p>{_inline(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)
    cleaned = clean_for_output(body)
    if not plain_text(cleaned).strip():
        raise CommentTextError("Write something before posting.")
    return cleaned


def plain_text(value: str) -> str:
    """The words of stored comment HTML (for emails, snippets and the admin)."""
    text = _BREAK.sub("\n", value or "")
    text = re.sub(r"<[^>]*>", "", text)
    return html.unescape(text).strip()


def count_links(value: str) -> int:
    return value.count("<a ")


def _inline(text: str) -> str:
    out = []
    for index, piece in enumerate(_INLINE_TAG.split(text)):
        if index % 2:
            out.append(piece.lower())
        else:
            out.append(_linkify(piece))
    return "".join(out)


def _linkify(text: str) -> str:
    out, position = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if len(url) <= len("https://"):
            continue
        out.append(html.escape(text[position : match.start()]))
        escaped = html.escape(url)
        out.append(f'<a href="{escaped}">{escaped}</a>')
        position = match.start() + len(url)
    out.append(html.escape(text[position:]))
    return "".join(out)
