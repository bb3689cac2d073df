"""Purges reach every process sharing the cache within a second, and a configured CDN."""

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import caches

from byline.pagecache import purge, store

PURGE_IN_ANOTHER_PROCESS = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "byline.test_settings"
django.setup()
from django.conf import settings
FILES = "byline.lib.filecache.FileCache"
settings.CACHES["pages"] = {"BACKEND": FILES, "LOCATION": sys.argv[1]}
from byline.pagecache import purge
purge("story:7")
"""


def test_a_purge_in_another_process_is_seen_within_a_second(settings, tmp_path):
    # Two web processes on one box share the file cache: the default without Redis.
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "byline.lib.filecache.FileCache",
            "LOCATION": str(tmp_path),
        },
    }
    store.forget_memo()
    stored = store.save("pc:p:shared", 200, [], b"page", {"story:7"}, time.time() - 5)
    assert stored is not None
    assert store.lookup("pc:p:shared") is not None  # and now remembered in this process
    subprocess.run([sys.executable, "-c", PURGE_IN_ANOTHER_PROCESS, str(tmp_path)], check=True, timeout=60)
    purged_at = time.monotonic()
    while store.lookup("pc:p:shared") is not None:
        assert time.monotonic() - purged_at < 1.0, "still served more than a second after the purge"
        time.sleep(0.02)


class PurgeRecorder(BaseHTTPRequestHandler):
    seen: list = []

    def do_PURGE(self):  # noqa: N802 (the HTTP method's name)
        PurgeRecorder.seen.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def cdn(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), PurgeRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    PurgeRecorder.seen = []
    settings.WAGTAILFRONTENDCACHE = {
        "cdn": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": f"http://127.0.0.1:{server.server_port}",
        }
    }
    yield PurgeRecorder.seen
    server.shutdown()


def test_a_purge_reaches_a_configured_cdn_for_the_pages_it_names(cdn, settings, db):
    settings.PAGECACHE_ENABLED = True
    caches["pages"].clear()
    purge("story:7", urls=["/the-story/", "/"])
    assert ("127.0.0.1:8000", "/the-story/") in cdn
    assert ("127.0.0.1:8000", "/") in cdn


def test_publishing_a_story_purges_its_address_at_the_cdn(
    cdn, make_story, django_capture_on_commit_callbacks
):
    story = make_story("Tide tables for winter")
    story.title = "Tide tables for the winter"
    with django_capture_on_commit_callbacks(execute=True):
        story.save_revision().publish()
    paths = {path for _host, path in cdn}
    assert {"/tide-tables-for-winter/", "/", "/rss/", "/sitemap.xml"} <= paths


def test_the_purgepages_command_makes_every_page_stale(db, settings):
    from django.core.management import call_command

    settings.PAGECACHE_ENABLED = True
    store.forget_memo()
    assert store.save("pc:p:any", 200, [], b"page", {"story:1"}, time.time() - 5) is not None
    call_command("purgepages")
    assert store.lookup("pc:p:any") is None
