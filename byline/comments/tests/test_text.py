"""The comment sanitiser: examples, then properties checked by hypothesis on arbitrary input."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.comments.text import (
    ALLOWED_TAGS,
    MAX_LENGTH,
    CommentTextError,
    clean_for_output,
    normalise,
    plain_text,
    to_html,
)


class Inventory(HTMLParser):
    """Every tag and attribute in a piece of HTML, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]

    handle_startendtag = handle_starttag


def inventory(html: str) -> Inventory:
    parsed = Inventory()
    parsed.feed(html)
    parsed.close()
    return parsed


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Hello", "<p>Hello</p>"),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\r\n\r\ntwo", "<p>one</p><p>two</p>"),
        ("<b>bold</b> and <EM>em</EM>", "<p><b>bold</b> and <em>em</em></p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ('<b onclick="x">no</b>', '<p>&lt;b onclick="x"&gt;no</p>'),
        (
            "see https://example.com/a?b=1&c=2.",
            '<p>see <a href="https://example.com/a?b=1&amp;c=2" rel="ugc nofollow noopener">'
            "https://example.com/a?b=1&amp;c=2</a>.</p>",
        ),
        ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<p>&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;</p>'),
        ("<p>From Ghost</p><p>two</p>", "<p>From Ghost</p><p>two</p>"),
        ("hidden\u202eword\u200b", "<p>hiddenword</p>"),
        ("<i>left open", "<p><i>left open</i></p>"),
    ],
)
def test_what_members_type_becomes(typed, stored):
    assert to_html(typed) == stored


@pytest.mark.parametrize("typed", ["", " ", "\n\n", "<b></b>", "<p></p>", "<br><br>", "\u200b", None, 42])
def test_empty_or_non_text_comments_are_refused(typed):
    with pytest.raises(CommentTextError):
        to_html(typed)


def test_the_length_limit_counts_characters_as_typed():
    assert to_html("é" * MAX_LENGTH)
    with pytest.raises(CommentTextError, match="at most 5,000"):
        to_html("é" * (MAX_LENGTH + 1))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.one_of(
            st.characters(),
            st.sampled_from(
                ["<", ">", "&", '"', "'", "/", "=", "\n", ":", "script", "svg", "onload", "javascript"]
            ),
            st.sampled_from(
                ["<b>", "</b>", "<i>", "</i>", "<a href=", "<img src=x onerror=", "https://", "<p>"]
            ),
        ),
        max_size=120,
    ).map("".join)
)
def test_any_input_gives_only_allowed_tags_and_safe_attributes(typed):
    try:
        html = to_html(typed)
    except CommentTextError:
        return
    found = inventory(html)
    assert set(found.tags) <= ALLOWED_TAGS
    for tag, name, value in found.attributes:
        assert (tag, name) in {("a", "href"), ("a", "rel")}
        if name == "href":
            assert value.lower().startswith(("http://", "https://"))
        else:
            assert value == "ugc nofollow noopener"
    # Sanitising again changes nothing: what is stored is already what is shown.
    assert clean_for_output(html) == html


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co")), max_size=200))
def test_the_words_survive_sanitising(typed):
    """Whatever a member types is shown, not swallowed: the text read back is the text typed (bar the
    allowed bold/italic tags and line-break markup, which become formatting)."""
    try:
        html = to_html(typed)
    except CommentTextError:
        return
    expected = re.sub(r"</?(?:b|strong|i|em)>", "", normalise(typed), flags=re.IGNORECASE)
    expected = re.sub(r"<br\s*/?>|</?p>", " ", expected, flags=re.IGNORECASE)
    assert plain_text(html).split() == expected.split()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_output_cleaning_never_lets_markup_through_from_stored_rows(stored):
    found = inventory(clean_for_output(stored))
    assert set(found.tags) <= ALLOWED_TAGS
    assert all(name in ("href", "rel") for _, name, _ in found.attributes)
