"""Ghost's filter language (NQL) parsed into Django Q objects over a whitelist of fields.

    filter=tag:news+featured:true,published_at:>now-7d
    filter=slug:[one,two]+authors.slug:-jo+title:~'election night'

The text is parsed into a small tree, then each comparison becomes one ORM lookup on a field the caller
allows. Values only ever travel as query parameters: nothing in a filter can become SQL text, and a name
outside the whitelist or an operator a field does not support is a FilterError with a message a client
can act on. See byline/lib/NQL.md for the grammar and the decisions.
"""

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q

MAX_LENGTH = 4000
MAX_DEPTH = 16
MAX_TERMS = 200
MAX_LIST = 500


class FilterError(ValueError):
    """The filter does not parse, or names a field or operator that is not allowed."""


# ----- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    kind: str  # "text", "null", "true", "false", "number", "relative"
    raw: str | int | float | None = None
    quoted: bool = False


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str  # "=", "!=", ">", ">=", "<", "<=", "in", "not in", "~", "-~", "~^", "-~^", "~$", "-~$"
    value: Value | tuple[Value, ...]


@dataclass(frozen=True)
class Group:
    conjunction: str  # "and" / "or"
    children: tuple


# ----- parsing -------------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?=\s*:))
  | (?P<relative>now[+-]\d{1,5}[smhdwMy](?![^\s'":+,()\[\]]))
  | (?P<punct>[:+,()\[\]])
  | (?P<op>-?~\^|-?~\$|-?~|>=|<=|>|<|-(?=\s*\[))
  | (?P<word>[^\s'":+,()\[\]]+)
    """,
    re.VERBOSE,
)
RELATIVE = re.compile(r"^now(?:([+-])(\d{1,5})([smhdwMy]))?$")
NUMBER = re.compile(r"^-?\d{1,15}(?:\.\d{1,15})?$")
ESCAPE = re.compile(r"\\(.)")


def _tokenise(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match:  # an unterminated quote is the only text no alternative takes
            raise FilterError(f"unterminated quoted string at character {position + 1}")
        kind = match.lastgroup
        if kind != "space":
            tokens.append((kind, match.group(), position))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenise(text)
        self.index = 0
        self.terms = 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else (None, None, None)

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def expect(self, value: str):
        kind, text, position = self.take()
        if text != value:
            where = f"at character {position + 1}" if position is not None else "at the end"
            raise FilterError(
                f"expected '{value}' {where}, found {text!r}" if text else f"expected '{value}'"
            )

    def parse(self):
        if not self.tokens:
            raise FilterError("the filter is empty")
        tree = self.disjunction(0)
        if self.index != len(self.tokens):
            _, text, position = self.peek()
            raise FilterError(f"unexpected {text!r} at character {position + 1}")
        return tree

    def disjunction(self, depth):
        children = [self.conjunction(depth)]
        while self.peek()[1] == ",":
            self.take()
            children.append(self.conjunction(depth))
        return children[0] if len(children) == 1 else Group("or", tuple(children))

    def conjunction(self, depth):
        children = [self.unit(depth)]
        while self.peek()[1] == "+":
            self.take()
            children.append(self.unit(depth))
        return children[0] if len(children) == 1 else Group("and", tuple(children))

    def unit(self, depth):
        kind, text, position = self.peek()
        if text == "(":
            if depth >= MAX_DEPTH:
                raise FilterError(f"the filter nests deeper than {MAX_DEPTH} parentheses")
            self.take()
            tree = self.disjunction(depth + 1)
            self.expect(")")
            return tree
        if kind != "field":
            if text is None:
                raise FilterError("the filter ends where a field name was expected")
            raise FilterError(f"expected a field name at character {position + 1}, found {text!r}")
        self.take()
        self.expect(":")
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise FilterError(f"the filter has more than {MAX_TERMS} comparisons")
        return self.comparison(text)

    def comparison(self, name):
        kind, text, _ = self.peek()
        if kind == "op":
            self.take()
            if text == "-":  # only ever before "[": tag:-[a,b]
                return Comparison(name, "not in", self.value_list())
            return Comparison(name, text, self.value())
        if text == "[":
            return Comparison(name, "in", self.value_list())
        if kind == "word" and text.startswith("-") and not NUMBER.match(text):
            # "tag:-news" negates; "-5" stays a number; "-'two words'" negates a quoted value.
            self.take()
            return Comparison(name, "!=", self.value() if text == "-" else _literal(text[1:]))
        return Comparison(name, "=", self.value())

    def value_list(self):
        self.expect("[")
        values = [self.value()]
        while self.peek()[1] == ",":
            self.take()
            values.append(self.value())
            if len(values) > MAX_LIST:
                raise FilterError(f"a [list] holds at most {MAX_LIST} values")
        self.expect("]")
        return tuple(values)

    def value(self):
        kind, text, position = self.take()
        if kind == "string":
            return Value("text", ESCAPE.sub(r"\1", text[1:-1]), quoted=True)
        if kind in ("word", "relative"):
            return _literal(text)
        if kind is None:
            raise FilterError("the filter ends where a value was expected")
        raise FilterError(f"a value is missing at character {position + 1}, found {text!r}")


def _literal(word: str) -> Value:
    if word in ("null", "true", "false"):
        return Value(word)
    if NUMBER.match(word):
        return Value("number", float(word) if "." in word else int(word))
    if RELATIVE.match(word):
        return Value("relative", word)
    return Value("text", word)


def parse(text: str):
    """The tree of a filter, or FilterError."""
    if not isinstance(text, str):
        raise FilterError("the filter must be text")
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the filter is longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


# ----- compiling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A field a filter may name.

    path: the ORM lookup path; kind: text, bool, number, date, id or choice; within: wraps a condition on
    related rows into one on the outer row (a `pk__in` subquery), so that `tag:a+tag:b` means "has both"
    and `tag:-a` means "has not a"; to_python: turns a text value into what the column stores (ids).
    """

    path: str
    kind: str = "text"
    within: Callable[[Q], Q] | None = None
    to_python: Callable[[str], object] | None = None
    choices: frozenset = field(default_factory=frozenset)
    # Text columns store "" for nothing: `field:null` matches "" as well as NULL.
    blank_is_null: bool = True
    # A computed value that may be NULL (a story with no tags has no primary tag): a negated condition
    # keeps those rows, as "is not news" should, where SQL's NOT would drop them.
    nullable: bool = False


TEXT_OPS = {"=", "!=", "in", "not in", "~", "-~", "~^", "-~^", "~$", "-~$", ">", ">=", "<", "<="}
OPS_BY_KIND = {
    "text": TEXT_OPS,
    "choice": {"=", "!=", "in", "not in"},
    "id": {"=", "!=", "in", "not in"},
    "bool": {"=", "!="},
    "number": {"=", "!=", "in", "not in", ">", ">=", "<", "<="},
    "date": {"=", "!=", ">", ">=", "<", "<="},
}
COMPARISONS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
MATCHES = {"~": "icontains", "~^": "istartswith", "~$": "iendswith"}


def compile_filter(text: str, fields: dict[str, Field], now: datetime | None = None) -> Q:
    """Parse `text` and compile it against `fields` (name -> Field) into a Q object."""
    return compile_tree(parse(text), fields, now)


def compile_tree(tree, fields: dict[str, Field], now: datetime | None = None) -> Q:
    """Compile a parsed filter against `fields`; relative dates count from `now`."""
    return _compile(tree, fields, now or datetime.now(UTC))


def field_names(tree) -> set[str]:
    """Every field name a parsed filter mentions."""
    if isinstance(tree, Comparison):
        return {tree.field}
    return set().union(*(field_names(child) for child in tree.children))


def is_relative(tree) -> bool:
    """Whether a parsed filter compares with a moment relative to now (`now-30d`): the rows it
    selects change with the clock."""
    if isinstance(tree, Group):
        return any(is_relative(child) for child in tree.children)
    values = tree.value if isinstance(tree.value, tuple) else (tree.value,)
    return any(value.kind == "relative" for value in values)


def _compile(tree, fields, now) -> Q:
    if isinstance(tree, Group):
        compiled = [_compile(child, fields, now) for child in tree.children]
        result = compiled[0]
        for q in compiled[1:]:
            result = (result & q) if tree.conjunction == "and" else (result | q)
        return result
    spec = fields.get(tree.field)
    if spec is None:
        raise FilterError(f"unknown field '{tree.field}' (filterable: {', '.join(sorted(fields))})")
    if tree.op not in OPS_BY_KIND[spec.kind]:
        raise FilterError(f"the operator '{_op_text(tree.op)}' does not apply to '{tree.field}'")
    negated = tree.op in ("!=", "not in") or tree.op.startswith("-~")
    q = _condition(tree, spec, now)
    if spec.within:
        q = spec.within(q)
    if not negated:
        return q
    if spec.nullable and not (tree.op == "!=" and tree.value.kind == "null"):
        return ~q | Q(**{f"{spec.path}__isnull": True})
    return ~q


def _op_text(op: str) -> str:
    return {"=": ":", "!=": "-", "in": "[…]", "not in": "-[…]"}.get(op, op)


def _condition(tree: Comparison, spec: Field, now) -> Q:
    op = tree.op.lstrip("-") if tree.op.startswith("-~") else tree.op
    if op in ("in", "not in"):
        values = [_convert(value, spec, tree.field, now) for value in tree.value]
        if any(value is None for value in values):
            raise FilterError(f"null cannot be part of a [list] for '{tree.field}'")
        return Q(**{f"{spec.path}__in": values})
    value = _convert(tree.value, spec, tree.field, now)
    if value is None:
        if op not in ("=", "!="):
            raise FilterError(f"null cannot be compared with '{_op_text(op)}' for '{tree.field}'")
        q = Q(**{f"{spec.path}__isnull": True})
        return q | Q(**{spec.path: ""}) if spec.kind == "text" and spec.blank_is_null else q
    if op in MATCHES:
        return Q(**{f"{spec.path}__{MATCHES[op]}": str(value)})
    if op in COMPARISONS:
        return Q(**{f"{spec.path}__{COMPARISONS[op]}": value})
    return Q(**{spec.path: value})


def _convert(value: Value, spec: Field, name: str, now):
    if value.kind == "null":
        return None
    kind = spec.kind
    if kind == "bool":
        if value.kind not in ("true", "false"):
            raise FilterError(f"'{name}' takes true or false")
        return value.kind == "true"
    if kind == "number":
        if value.kind == "text" and value.quoted and NUMBER.match(str(value.raw)):
            value = _literal(str(value.raw))
        if value.kind != "number":
            raise FilterError(f"'{name}' takes a number")
        return value.raw
    if kind == "date":
        return _date(value, name, now)
    text = value.kind if value.kind in ("true", "false") else str(value.raw)
    if kind == "choice" and text not in spec.choices:
        raise FilterError(f"'{name}' is one of {', '.join(sorted(spec.choices))}")
    if spec.to_python:
        try:
            return spec.to_python(text)
        except (TypeError, ValueError):
            raise FilterError(f"'{text}' is not a valid value for '{name}'")
    return text


def _date(value: Value, name: str, now: datetime) -> datetime:
    text = str(value.raw)
    relative = RELATIVE.match(text) if value.kind == "relative" else None
    if relative:
        sign, amount, unit = relative.groups()
        return _shift(now, (-1 if sign == "-" else 1) * int(amount or 0), unit or "s")
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise FilterError(f"'{text}' is not a date for '{name}' (use 'YYYY-MM-DD HH:MM:SS' or now-7d)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if unit in seconds:
        try:
            return moment + timedelta(seconds=amount * seconds[unit])
        except OverflowError:
            raise FilterError("the relative date is out of range")
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    if not 1 <= year <= 9999:
        raise FilterError("the relative date is out of range")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
