"""Static-file mode: cached HTML pages also written as files that nginx serves without Python.

With `BYLINE_STATIC_PAGES_DIR` set, a page stored by the cache for a query-less address ending in
"/" is also written to `<dir>/<host>/<path>index.html` (deploy/nginx.conf's `try_files`). A small
SQLite index beside the files records what each file depends on, so a purge deletes exactly the
files that recorded a purged dependency, from whichever process purges. Files are written to a
temporary name and renamed, so nginx never serves half a page.
"""

import os
import sqlite3
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.http.request import split_domain_port

INDEX_NAME = ".byline-pages.sqlite3"
_local = threading.local()


def enabled() -> bool:
    return bool(settings.PAGECACHE_STATIC_DIR)


def _root() -> Path:
    return Path(settings.PAGECACHE_STATIC_DIR)


def _index() -> sqlite3.Connection:
    root = _root()
    connection = getattr(_local, "connection", None)
    if connection is None or getattr(_local, "root", None) != root:
        root.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(root / INDEX_NAME, timeout=10, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS pages (file TEXT NOT NULL, dependency TEXT NOT NULL)")
        connection.execute("CREATE INDEX IF NOT EXISTS pages_by_dependency ON pages (dependency)")
        connection.execute("CREATE INDEX IF NOT EXISTS pages_by_file ON pages (file)")
        _local.connection, _local.root = connection, root
    return connection


def file_for(host: str, path: str) -> Path | None:
    """Where the page for this host and path goes, or None when it cannot be a file nginx finds."""
    hostname, _port = split_domain_port(host)
    if not hostname or not path.startswith("/") or not path.endswith("/"):
        return None
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") or "\\" in part or "\x00" in part for part in parts) or "/" in hostname:
        return None
    return _root().joinpath(hostname, *parts, "index.html")


def write(host: str, path: str, body: bytes, dependencies) -> Path | None:
    target = file_for(host, path)
    if target is None:
        return None
    relative = str(target.relative_to(_root()))
    index = _index()
    # Index first, then the file: a purge landing in between deletes a file that is about to be
    # replaced anyway, never leaves a written file unindexed.
    index.execute("BEGIN IMMEDIATE")
    index.execute("DELETE FROM pages WHERE file = ?", (relative,))
    index.executemany(
        "INSERT INTO pages (file, dependency) VALUES (?, ?)", [(relative, dep) for dep in set(dependencies)]
    )
    index.execute("COMMIT")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".page-")
    with os.fdopen(handle, "wb") as out:
        out.write(body)
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
    return target


def remove_file(target: Path) -> None:
    relative = str(target.relative_to(_root()))
    _index().execute("DELETE FROM pages WHERE file = ?", (relative,))
    target.unlink(missing_ok=True)


def remove(dependencies) -> int:
    """Delete the files that depend on any of these; how many went."""
    dependencies = list(set(dependencies))
    if not dependencies:
        return 0
    index = _index()
    marks = ",".join("?" * len(dependencies))
    index.execute("BEGIN IMMEDIATE")
    files = [
        row[0]
        for row in index.execute(
            # Only placeholders are formatted in; the values go as parameters.
            f"SELECT DISTINCT file FROM pages WHERE dependency IN ({marks})",  # noqa: S608
            dependencies,
        )
    ]
    index.executemany("DELETE FROM pages WHERE file = ?", [(file,) for file in files])
    index.execute("COMMIT")
    for file in files:
        (_root() / file).unlink(missing_ok=True)
    return len(files)


def remove_all() -> int:
    index = _index()
    index.execute("BEGIN IMMEDIATE")
    files = [row[0] for row in index.execute("SELECT DISTINCT file FROM pages")]
    index.execute("DELETE FROM pages")
    index.execute("COMMIT")
    for file in files:
        (_root() / file).unlink(missing_ok=True)
    return len(files)
