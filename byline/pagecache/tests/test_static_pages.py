"""Static-file mode: pages written as files for nginx, and deleted by the same purges."""

import time

import pytest
from django.test import Client

from byline.pagecache import store


@pytest.fixture(autouse=True)
def static_mode(page_cache, settings, tmp_path):
    settings.PAGECACHE_STATIC_DIR = str(tmp_path / "pages")
    return tmp_path / "pages" / "testserver"  # the test client's host


def test_an_anonymous_page_is_written_where_nginx_looks_for_it(client, make_story, static_mode):
    story = make_story("Lighthouse keepers return")
    served = client.get(story.url)
    written = static_mode / "lighthouse-keepers-return" / "index.html"
    assert written.read_bytes() == served.content
    client.get("/")
    assert (static_mode / "index.html").read_bytes() == client.get("/").content


def test_feeds_query_strings_and_signed_in_readers_never_become_files(make_story, static_mode):
    story = make_story("Lighthouse keepers return")
    Client().get("/rss/")  # XML: nginx would serve it as HTML
    Client().get(story.url + "?utm_source=mail")
    signed = Client()
    signed.cookies["sessionid"] = "abc"
    signed.get(story.url)
    files = sorted(path.relative_to(static_mode).as_posix() for path in static_mode.rglob("*.html"))
    assert files == []


def test_a_purge_deletes_exactly_the_files_that_show_the_change(client, make_story, static_mode, committed):
    lighthouse, market = make_story("Lighthouse keepers return"), make_story("Market day moves")
    for path in (lighthouse.url, market.url, "/"):
        client.get(path)
    lighthouse.title = "Lighthouse keepers return home"
    with committed():
        lighthouse.save_revision().publish()
    assert not (static_mode / "lighthouse-keepers-return" / "index.html").exists()
    assert not (static_mode / "index.html").exists()
    assert (static_mode / "market-day-moves" / "index.html").exists()
    # The next reader after the purge's safety margin writes the new page.
    time.sleep(store.PURGE_MARGIN_SECONDS)
    client.get(lighthouse.url)
    assert "keepers return home" in (static_mode / "lighthouse-keepers-return" / "index.html").read_text()


def test_purging_everything_deletes_every_file(client, make_story, static_mode):
    from byline.pagecache import purge_all

    story = make_story("Lighthouse keepers return")
    client.get(story.url)
    client.get("/")
    purge_all()
    assert list(static_mode.rglob("*.html")) == []


def test_hostile_paths_never_leave_the_folder(settings, tmp_path):
    from byline.pagecache import static_pages

    assert static_pages.file_for("127.0.0.1", "/../../etc/") is None
    assert static_pages.file_for("127.0.0.1", "/a/./b/") is None
    assert static_pages.file_for("127.0.0.1", "/no-slash") is None
    assert (
        static_pages.file_for("127.0.0.1:8000", "/story/")
        == tmp_path / "pages" / "127.0.0.1" / "story" / "index.html"
    )
