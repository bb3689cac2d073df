"""Ghost exports are streamed: post rows are read one at a time in their own pass, so their order in
the file does not matter and a huge file is never held in memory (bench/porting.py measures the peak)."""

import json

import pytest

from byline.porting import ghost, services
from byline.porting.report import ImportFailed
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db


def export_text(posts_first: bool) -> str:
    """A Ghost export written by hand as text, so the order of its tables is the one asked for."""
    posts = json.dumps(
        [
            {"id": "p1", "title": "Ferry timetable", "slug": "ferry-timetable", "html": "<p>Boats.</p>",
             "status": "published", "published_at": "2025-02-01T08:00:00.000Z", "type": "post"},
            {"id": "p2", "title": "Market day", "slug": "market-day", "html": "<p>Stalls.</p>",
             "status": "published", "published_at": "2025-02-02T08:00:00.000Z", "type": "post",
             "meta_title": "Market day, the legacy field"},
        ]
    )  # fmt: skip
    rest = (
        '"tags": [{"id": "t1", "name": "Harbour", "slug": "harbour"}],'
        '"users": [{"id": "u1", "name": "Ada Writer", "slug": "ada"}],'
        '"posts_tags": [{"post_id": "p1", "tag_id": "t1", "sort_order": 0}],'
        '"posts_authors": [{"post_id": "p1", "author_id": "u1", "sort_order": 0},'
        '                  {"post_id": "p2", "author_id": "u1", "sort_order": 0}],'
        '"posts_meta": [{"post_id": "p1", "meta_title": "Ferry times, for search engines"}]'
    )
    data = f'"posts": {posts}, {rest}' if posts_first else f'{rest}, "posts": {posts}'
    meta = '"meta": {"version": "5.80.0", "exported_on": 1738400000000}'
    # data before meta too: the version is checked once the whole file has been read through
    return f'{{"db": [{{"data": {{{data}}}, {meta}}}]}}'


@pytest.mark.parametrize("posts_first", [True, False])
def test_posts_link_to_tags_and_authors_wherever_they_sit_in_the_file(tmp_path, posts_first):
    path = tmp_path / "export.json"
    path.write_text(export_text(posts_first), encoding="utf-8")
    report = services.import_ghost(str(path))
    assert report.get("story", "created") == 2
    ferry = StoryPage.objects.get(slug="ferry-timetable")
    assert [tag.slug for tag in ferry.tags] == ["harbour"]
    assert [author.slug for author in ferry.authors] == ["ada"]
    assert ferry.seo_title == "Ferry times, for search engines"
    assert StoryPage.objects.get(slug="market-day").seo_title == "Market day, the legacy field"


def test_reading_an_export_keeps_no_post_rows_in_memory(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(export_text(posts_first=True), encoding="utf-8")
    export = ghost.read_export(path)
    assert export.tables["posts"] == []
    assert export.count_posts() == 2
    assert [row["slug"] for row in export.posts()] == ["ferry-timetable", "market-day"]
    assert export.version == "5.80.0" and export.exported_on.year == 2025


def test_a_bom_at_the_start_is_accepted(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + export_text(posts_first=True).encode())
    assert services.import_ghost(str(path)).get("story", "created") == 2


def test_a_bad_byte_far_into_the_file_is_found_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(ghost, "CHUNK", 16)  # so the bad byte sits in a later chunk
    text = export_text(posts_first=True).replace("Stalls.", "Stalls \u00e9.")
    raw = text.encode("latin-1")
    path = tmp_path / "export.json"
    path.write_bytes(raw)
    with pytest.raises(ImportFailed) as failure:
        ghost.read_export(path)
    bad_byte = raw.index(b"\xe9")
    assert f"byte {bad_byte} is 0xe9" in str(failure.value)


def test_broken_json_in_a_huge_file_is_still_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(ghost, "PRECISE_ERRORS_UP_TO", 0)  # as if the file were too big to read whole
    path = tmp_path / "export.json"
    path.write_text(export_text(posts_first=True)[:-20], encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        ghost.read_export(path)
    assert str(path) in str(failure.value) and "is not valid JSON (parse error" in str(failure.value)
    assert not StoryPage.objects.filter(slug="ferry-timetable").exists()
