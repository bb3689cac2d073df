import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_path():
    def path(name: str) -> str:
        return str(FIXTURES / name)

    return path


@pytest.fixture
def write_export(tmp_path):
    """Write a Ghost export (a dict, or raw bytes) to a file; its path."""

    def write(document, name="export.json") -> str:
        target = tmp_path / name
        if isinstance(document, bytes):
            target.write_bytes(document)
        else:
            target.write_text(json.dumps(document), encoding="utf-8")
        return str(target)

    return write


def minimal_export(*posts, version="5.80.0", **tables) -> dict:
    return {"db": [{"meta": {"version": version}, "data": {"posts": list(posts), **tables}}]}


def post(slug, title="A story", **fields) -> dict:
    return {
        "id": f"id-{slug}",
        "title": title,
        "slug": slug,
        "html": f"<p>The text of {slug}.</p>",
        "type": "post",
        "status": "published",
        "published_at": "2025-01-02T03:04:05.000Z",
        **fields,
    }
