"""The filter parser on its own: its tree, its errors, and properties over arbitrary input."""

import contextlib
from datetime import UTC, datetime

import pytest
from django.db.models import Q
from hypothesis import given, settings
from hypothesis import strategies as st

from byline.lib import nql
from byline.lib.nql import Comparison, Field, FilterError, Group, Value

FIELDS = {
    "slug": Field("slug"),
    "title": Field("title"),
    "featured": Field("featured", "bool"),
    "published_at": Field("first_published_at", "date"),
    "reading_time": Field("reading_time", "number"),
    "visibility": Field("visibility", "choice", choices=frozenset({"public", "members"})),
    "tag": Field("tag__slug", within=lambda q: Q(pk__in=[q])),
}
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_it_parses_a_comparison_into_a_tree():
    assert nql.parse("tag:news") == Comparison("tag", "=", Value("text", "news"))


def test_and_binds_tighter_than_or():
    tree = nql.parse("a:1+b:2,c:3")
    assert tree.conjunction == "or"
    assert tree.children[0] == Group(
        "and", (Comparison("a", "=", Value("number", 1)), Comparison("b", "=", Value("number", 2)))
    )


def test_parentheses_group_first():
    assert nql.parse("a:x+(b:y,c:z)").children[1].conjunction == "or"


@pytest.mark.parametrize(
    ("text", "op"),
    [("a:-x", "!="), ("a:>5", ">"), ("a:>=5", ">="), ("a:<5", "<"), ("a:<=5", "<="), ("a:~x", "~"),
     ("a:~^x", "~^"), ("a:~$x", "~$"), ("a:-~x", "-~"), ("a:-~^x", "-~^"), ("a:-~$x", "-~$"),
     ("a:[x,y]", "in"), ("a:-[x,y]", "not in")],
)  # fmt: skip
def test_it_reads_every_operator(text, op):
    assert nql.parse(text).op == op


def test_literals_keep_their_kind():
    values = [nql.parse(f"a:{word}").value for word in ("null", "true", "false", "12", "-3", "1.5", "now-7d")]
    assert [v.kind for v in values] == ["null", "true", "false", "number", "number", "number", "relative"]
    assert nql.parse("a:'true'").value == Value("text", "true", quoted=True)


def test_quoted_strings_keep_spaces_and_escaped_quotes():
    assert nql.parse("title:'it\\'s late, here'").value.raw == "it's late, here"
    assert nql.parse('title:"say \\"so\\""').value.raw == 'say "so"'


def test_a_negated_quoted_value():
    assert nql.parse("title:-'two words'") == Comparison(
        "title", "!=", Value("text", "two words", quoted=True)
    )


def test_relative_dates_count_back_from_now():
    q = nql.compile_filter("published_at:>now-30d", FIELDS, now=NOW)
    assert q.children == [("first_published_at__gt", datetime(2026, 3, 1, 12, 0, tzinfo=UTC))]
    q = nql.compile_filter("published_at:<now-1M", FIELDS, now=NOW)
    assert q.children == [("first_published_at__lt", datetime(2026, 2, 28, 12, 0, tzinfo=UTC))]
    q = nql.compile_filter("published_at:>now+1y", FIELDS, now=NOW)
    assert q.children == [("first_published_at__gt", datetime(2027, 3, 31, 12, 0, tzinfo=UTC))]


def test_contains_is_case_insensitive_and_literal():
    q = nql.compile_filter("title:~'50%_off'", FIELDS, now=NOW)
    assert q.children == [("title__icontains", "50%_off")]  # Django escapes % and _ itself


def test_null_on_text_also_matches_empty_text():
    q = nql.compile_filter("slug:null", FIELDS, now=NOW)
    assert q == Q(slug__isnull=True) | Q(slug="")


def test_relations_are_wrapped_so_negation_means_has_none():
    q = nql.compile_filter("tag:-news", FIELDS, now=NOW)
    assert q.negated
    assert q.children[0][0] == "pk__in"


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   ", "empty"), ("nope:1", "unknown field 'nope'"), ("featured:yes", "true or false"),
     ("slug:>=x", None), ("visibility:paid", "is one of"), ("reading_time:'x'", "takes a number"),
     ("published_at:>'31/12/2020'", "not a date"), ("a:" + "b" * 5000, "longer than"),
     ("slug:[" + ",".join(["x"] * 600) + "]", "at most"), ("+".join(["slug:x"] * 201), "more than 200")],
)  # fmt: skip
def test_bad_filters_raise_filter_error(text, message):
    if message is None:  # a valid comparison on text
        nql.compile_filter(text, FIELDS, now=NOW)
        return
    with pytest.raises(FilterError, match=message):
        nql.compile_filter(text, FIELDS, now=NOW)


def test_it_refuses_anything_but_text():
    with pytest.raises(FilterError):
        nql.parse(["tag:news"])


# ----- properties ----------------------------------------------------------------------------------

ALPHABET = st.sampled_from(list("abtg_:-+,()[]'\"~^$<>=! .%;\\0123456789") + ["now", "null", "true", "tag"])


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=80) | st.lists(ALPHABET, max_size=40).map("".join))
def test_the_parser_never_crashes(text):
    with contextlib.suppress(FilterError):
        nql.compile_filter(text, FIELDS, now=NOW)


def _leaves(q):
    for child in q.children:
        if isinstance(child, Q):
            yield from _leaves(child)
        else:
            yield child


MARKED = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30).map(lambda s: "zq" + s)
ALLOWED_LOOKUPS = {
    f"{path}{suffix}"
    for path in ("slug", "title")
    for suffix in ("", "__in", "__icontains", "__istartswith", "__iendswith", "__gt", "__gte", "__lt",
                   "__lte", "__isnull")
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["slug", "title"]),
    st.sampled_from([":", ":-", ":~", ":-~", ":~^", ":~$", ":>", ":<="]),
    MARKED,
)
def test_values_only_ever_become_lookup_values(field, op, value):
    quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    q = nql.compile_filter(f"{field}{op}{quoted}", FIELDS, now=NOW)
    for lookup, parameter in _leaves(q):
        assert lookup in ALLOWED_LOOKUPS
        assert parameter in (value, True, "")


@pytest.mark.parametrize(
    "text, relative",
    [("published_at:>now-30d", True), ("tag:news+published_at:<=now", True),
     ("tag:news,(featured:true+published_at:>now-1w)", True), ("published_at:[now-1d,now]", True),
     ("tag:news", False), ("published_at:>'2024-01-01'", False), ("title:'now-30d'", False)],
)  # fmt: skip
def test_a_filter_relative_to_now_is_told_apart(text, relative):
    assert nql.is_relative(nql.parse(text)) is relative
