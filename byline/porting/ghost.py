"""Reading a Ghost JSON export (Ghost 2 to 6): the file, its shape, its version, its records.

The format is in ../shared/reference/ghost.md, section 3. An export is `{"db": [{"meta", "data"}]}` or
a bare `{"meta", "data"}`; `data` holds tables as lists of rows (posts, tags, users, posts_tags,
posts_authors, posts_meta, settings, newsletters, …). Everything here only reads and checks: the
import itself is in services.py.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from byline.porting.report import ImportFailed, read_text

SUPPORTED_MAJOR_VERSIONS = {2, 3, 4, 5, 6}
# Ghost 1.0 stored these on the post row; 2.x exports still carry some of them there.
LEGACY_META_FIELDS = (
    "meta_title", "meta_description", "og_title", "og_description", "twitter_title",
    "twitter_description", "feature_image_alt", "feature_image_caption", "email_subject",
)  # fmt: skip


@dataclass
class GhostExport:
    path: str
    version: str
    exported_on: datetime | None
    tables: dict[str, list] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict]:
        return [row for row in self.tables.get(table) or [] if isinstance(row, dict)]

    def settings(self) -> dict[str, object]:
        """Ghost keeps settings as rows of {key, value}; values of JSON settings are JSON strings."""
        return {
            row["key"]: row.get("value") for row in self.rows("settings") if isinstance(row.get("key"), str)
        }


def read_export(path: str | Path) -> GhostExport:
    """Parse and check the file; ImportFailed with a message naming the file and what is wrong."""
    name = str(path)
    text = read_text(
        path, name, encoding_hint="Ghost exports are UTF-8 JSON. Was the file converted to another encoding?"
    )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"{name}: is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None
    return parse_export(document, name)


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


def post_meta(export: GhostExport) -> dict[str, dict]:
    """posts_meta rows by post id (Ghost 3+), merged over the legacy fields on the post rows."""
    merged: dict[str, dict] = {}
    for post in export.rows("posts"):
        legacy = {key: post.get(key) for key in LEGACY_META_FIELDS if post.get(key) not in (None, "")}
        if legacy:
            merged[str(post.get("id"))] = legacy
    for row in export.rows("posts_meta"):
        merged.setdefault(str(row.get("post_id")), {}).update(
            {key: value for key, value in row.items() if value not in (None, "")}
        )
    return merged


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
