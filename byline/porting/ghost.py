"""Reading a Ghost JSON export (Ghost 2 to 6): the file, its shape, its version, its records.

The format is in ../shared/reference/ghost.md, section 3. An export is `{"db": [{"meta", "data"}]}` or
a bare `{"meta", "data"}`; `data` holds tables as lists of rows (posts, tags, users, posts_tags,
posts_authors, posts_meta, settings, newsletters, …). Everything here only reads and checks: the
import itself is in services.py.
"""

import codecs
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ijson

from byline.porting.report import ImportFailed

SUPPORTED_MAJOR_VERSIONS = {2, 3, 4, 5, 6}
# Ghost 1.0 stored these on the post row; 2.x exports still carry some of them there.
LEGACY_META_FIELDS = (
    "meta_title", "meta_description", "og_title", "og_description", "twitter_title",
    "twitter_description", "feature_image_alt", "feature_image_caption", "email_subject",
)  # fmt: skip


# Files up to this size are also read whole when they are not valid JSON, for the line and column
# of the mistake; bigger ones get the streaming parser's own description.
PRECISE_ERRORS_UP_TO = 64 * 1024 * 1024
CHUNK = 1024 * 1024
POSTS = ("db.item.data.posts.item", "data.posts.item")  # where post rows sit, in either shape


@dataclass
class GhostExport:
    path: str
    version: str
    exported_on: datetime | None
    tables: dict[str, list] = field(default_factory=dict)
    # Set when the posts are streamed from the file rather than held in `tables`: the prefix of
    # the post rows in the file, and how many there are.
    posts_prefix: str = ""
    post_count: int = 0

    def rows(self, table: str) -> list[dict]:
        return [row for row in self.tables.get(table) or [] if isinstance(row, dict)]

    def posts(self) -> Iterator[dict]:
        """The post rows, one at a time: read from the file again, so only one is in memory."""
        if not self.posts_prefix:
            yield from self.rows("posts")
            return
        with _open_json(self.path) as source:
            for row in ijson.items(source, self.posts_prefix, use_float=True):
                if isinstance(row, dict):
                    yield row

    def count_posts(self) -> int:
        return self.post_count if self.posts_prefix else len(self.rows("posts"))

    def settings(self) -> dict[str, object]:
        """Ghost keeps settings as rows of {key, value}; values of JSON settings are JSON strings."""
        return {
            row["key"]: row.get("value") for row in self.rows("settings") if isinstance(row.get("key"), str)
        }


def read_export(path: str | Path) -> GhostExport:
    """Parse and check the file; ImportFailed with a message naming the file and what is wrong.

    The file is streamed (ijson), so a 1 GB export never sits in memory: a first pass checks the
    encoding, then a second builds everything but the post rows (tags, users, links, settings are
    small) and counts the posts; the import reads the posts in a third pass, one at a time.
    """
    name = str(path)
    _check_utf8(path, name)
    posts = {"count": 0, "prefix": ""}
    try:
        with _open_json(path) as source:
            document = _document_without_posts(source, posts)
    except ijson.JSONError as error:
        raise ImportFailed(f"{name}: is not valid JSON ({_where_json_fails(path, error)}).") from None
    export = parse_export(document, name)
    export.posts_prefix = posts["prefix"] or POSTS[0]  # with no posts, any prefix streams nothing
    export.post_count = posts["count"]
    return export


def _check_utf8(path, name: str) -> None:
    """UTF-8 throughout (a BOM is fine), read a chunk at a time; ImportFailed naming the bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset = 0
    try:
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    # error.object is the chunk behind the bytes of a character the last one cut
                    start = offset - (len(error.object) - len(chunk)) + error.start
                    raise ImportFailed(
                        f"{name}: is not UTF-8 text (byte {start} is {error.object[error.start]:#04x})."
                        " Ghost exports are UTF-8 JSON. Was the file converted to another encoding?"
                    ) from None
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except OSError as error:
        raise ImportFailed(f"{name}: cannot be read ({error.strerror or error}).") from None
    except UnicodeDecodeError:
        raise ImportFailed(f"{name}: is not UTF-8 text (it ends in the middle of a character).") from None


@contextmanager
def _open_json(path):
    with open(path, "rb") as source:
        if source.read(3) != codecs.BOM_UTF8:
            source.seek(0)
        yield source


def _document_without_posts(source, posts: dict):
    """The whole JSON document except the post rows, which are counted and skipped."""
    builder = ijson.ObjectBuilder()
    skipping = ""
    for prefix, event, value in ijson.parse(source, use_float=True):
        if skipping:
            if prefix == skipping and event in ("end_map", "end_array"):  # the row's own end
                skipping = ""
            continue
        if prefix in POSTS and event in ("start_map", "start_array"):
            posts["count"] += 1
            posts["prefix"] = posts["prefix"] or prefix
            skipping = prefix
            continue
        if prefix in POSTS:  # a scalar where a row should be: counted, skipped like other non-rows
            posts["count"] += 1
            continue
        builder.event(event, value)
    return builder.value


def _where_json_fails(path, error) -> str:
    """Line and column of the mistake, from the standard parser when the file is small enough."""
    if Path(path).stat().st_size <= PRECISE_ERRORS_UP_TO:
        try:
            json.loads(Path(path).read_bytes().decode("utf-8-sig"))
        except json.JSONDecodeError as precise:
            return f"line {precise.lineno}, column {precise.colno}: {precise.msg}"
    return " ".join(str(error).split())


def parse_export(document, name: str = "export") -> GhostExport:
    if isinstance(document, dict) and "db" in document:
        db = document["db"]
        if not isinstance(db, list) or not db or not isinstance(db[0], dict):
            raise ImportFailed(f"{name}: `db` should be a list holding one export object.")
        document = db[0]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ImportFailed(
            f'{name}: is JSON but not a Ghost export (expected {{"db": [{{"meta": …, "data": …}}]}}).'
        )
    meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
    version = str(meta.get("version") or "")
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) not in SUPPORTED_MAJOR_VERSIONS:
        raise ImportFailed(
            f"{name}: Ghost version {version or '(none given in meta.version)'} is not one Byline reads "
            f"(it reads exports from Ghost {min(SUPPORTED_MAJOR_VERSIONS)} "
            f"to {max(SUPPORTED_MAJOR_VERSIONS)})."
        )
    tables = {}
    for table, rows in document["data"].items():
        if not isinstance(rows, list):
            raise ImportFailed(f"{name}: data.{table} should be a list of rows, not {type(rows).__name__}.")
        tables[table] = rows
    exported_on = None
    if isinstance(meta.get("exported_on"), int | float):
        exported_on = datetime.fromtimestamp(meta["exported_on"] / 1000, tz=UTC)
    return GhostExport(path=name, version=version, exported_on=exported_on, tables=tables)


def parse_date(value) -> datetime | None:
    """Ghost's dates: ISO strings ("2024-03-01T10:00:00.000Z"), or milliseconds in Ghost 1.0 exports.

    None for null or missing; ValueError for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"{value!r} is not a date")


def posts_meta(export: GhostExport) -> dict[str, dict]:
    """posts_meta rows (Ghost 3+) by post id, without their empty values."""
    rows: dict[str, dict] = {}
    for row in export.rows("posts_meta"):
        rows.setdefault(str(row.get("post_id")), {}).update(
            {key: value for key, value in row.items() if value not in (None, "")}
        )
    return rows


def meta_for(post: dict, posts_meta: dict[str, dict]) -> dict:
    """A post's SEO and social fields: its posts_meta row over the legacy fields on the post row."""
    legacy = {key: post.get(key) for key in LEGACY_META_FIELDS if post.get(key) not in (None, "")}
    return {**legacy, **posts_meta.get(str(post.get("id")), {})}


def ordered_links(export: GhostExport, table: str, key: str) -> dict[str, list[str]]:
    """{post id: [tag or author ids in their sort order]} from posts_tags / posts_authors."""
    links: dict[str, list[tuple[int, int, str]]] = {}
    for position, row in enumerate(export.rows(table)):
        order = row.get("sort_order")
        order = order if isinstance(order, int) else 0
        links.setdefault(str(row.get("post_id")), []).append((order, position, str(row.get(key))))
    return {post: [target for _, _, target in sorted(items)] for post, items in links.items()}


def is_page(post: dict) -> bool:
    # Ghost 1–2 used a `page` boolean; 3+ use `type`.
    if "type" in post:
        return post.get("type") == "page"
    return bool(post.get("page"))
