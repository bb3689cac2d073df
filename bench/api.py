"""Content API benchmark: Ghost-shaped JSON against the site's own HTML listing, on the same data.

    python bench/api.py [--stories 120] [--rounds 30]
    python bench/api.py --archive 100000 [--rounds 10]

Builds a fresh SQLite database in a temporary folder, loads `byline demo --stories N`, then times
(median and 90th percentile of --rounds requests, through Django's test client, no network) a few Content
API requests and, as the reference measured in the same run, the home page (the same 15 stories
rendered as HTML cards). Prints a table with each request's ratio to the reference; the last line is the
figures as JSON.

`--archive N` works on a copy of bench/pages.py's generated N-story site instead (generated and cached
on first use, as that benchmark does) and adds the requests whose cost grew with the archive before they
walked its indexes: deep pages, one big tag, tags with counts, the search index, a sitemap page.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ("reference: home page HTML (15 cards)", "/", {}),
    ("posts, 15, include=tags,authors", "/ghost/api/content/posts/", {"include": "tags,authors"}),
    ("posts, 15, fields=title,slug", "/ghost/api/content/posts/", {"fields": "title,slug"}),
    (
        "posts, filter tag+featured",
        "/ghost/api/content/posts/",
        {"filter": "tag:[politics,local]+featured:false"},
    ),
    (
        "posts, limit=all, fields=id,title,url",
        "/ghost/api/content/posts/",
        {"limit": "all", "fields": "id,title,url"},
    ),
    ("tags, limit=all, count.posts", "/ghost/api/content/tags/", {"limit": "all", "include": "count.posts"}),
    ("settings", "/ghost/api/content/settings/", {}),
]
# On bench/pages.py's generated site: 8 section tags on 12,500 stories each, 150 writers.
ARCHIVE_CASES = [
    ("reference: home page HTML (15 cards)", "/", {}),
    ("posts, 15, include=tags,authors", "/ghost/api/content/posts/", {"include": "tags,authors"}),
    ("posts, page 2,000", "/ghost/api/content/posts/", {"page": "2000"}),
    ("posts, one section tag, page 1", "/ghost/api/content/posts/", {"filter": "tag:section-1"}),
    (
        "posts, one section tag, page 300",
        "/ghost/api/content/posts/",
        {"filter": "tag:section-1", "page": "300"},
    ),
    ("posts, filter visibility:public", "/ghost/api/content/posts/", {"filter": "visibility:public"}),
    ("tags, limit=all, count.posts", "/ghost/api/content/tags/", {"limit": "all", "include": "count.posts"}),
    ("authors, 15, count.posts", "/ghost/api/content/authors/", {"include": "count.posts"}),
    ("search index, posts", "/ghost/api/content/search-index/posts/", {}),
    ("sitemap page of 50,000 posts", "/sitemap-posts.xml", {}),
]


def timed(client, path, params, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--archive", type=int, help="use bench/pages.py's generated site of this many stories"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="byline-bench-api-"))
    if args.archive:
        import pages  # bench/pages.py: its generated site, made once and cached

        database, _ = pages.cached_site(args.archive)
        shutil.copyfile(database, folder / "byline.sqlite3")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="byline.settings",
        BYLINE_DATA_DIR=str(folder),
        DATABASE_URL=f"sqlite:///{folder / 'byline.sqlite3'}",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopq",  # noqa: S106
        ALLOWED_HOSTS="testserver",
        BYLINE_PAGE_CACHE="off",  # every request is rendered
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from byline.api import services

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the home page links hashed files
    if not args.archive:
        call_command("demo", stories=args.stories, verbosity=0)
    key = services.add_integration("Benchmark").content_key
    client = Client()
    figures = {}
    reference = None
    stories = args.archive or args.stories
    print(f"{stories} stories, {args.rounds} rounds each; times in ms")
    print(f"{'request':42} {'median':>8} {'p90':>8} {'× ref':>7}")
    for label, path, params in ARCHIVE_CASES if args.archive else CASES:
        query = dict(params, key=key) if path.startswith("/ghost/") else params
        timed(client, path, query, 3)  # warm caches and renditions
        median, p90 = timed(client, path, query, args.rounds)
        reference = reference or median
        figures[label] = {
            "median_ms": round(median, 2),
            "p90_ms": round(p90, 2),
            "ratio": round(median / reference, 2),
        }
        print(f"{label:42} {median:8.2f} {p90:8.2f} {median / reference:7.2f}")
    print(json.dumps({"stories": stories, "rounds": args.rounds, "figures": figures}))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
