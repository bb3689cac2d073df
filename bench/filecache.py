"""The file cache's write cost as it fills: Byline's FileCache against Django's FileBasedCache.

    python bench/filecache.py [--entries 1000,20000] [--writes 300]

For each size, fills a fresh folder with that many small entries through each backend (MAX_ENTRIES
just above it, as the page cache's 20,000), then times --writes writes of a 50 KB page (a story
page's size) and as many reads. Django's backend lists the folder before every write; Byline's
culls at most every few seconds (byline/lib/filecache.py). Prints a table (median milliseconds)
and ends with the figures as one line of JSON.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BACKENDS = {
    "django": "django.core.cache.backends.filebased.FileBasedCache",
    "byline": "byline.lib.filecache.FileCache",
}
PAGE = b"x" * 50_000


def setup_django() -> None:
    import django
    from django.conf import settings

    settings.configure(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
    django.setup()


def timed(action, count: int) -> float:
    """Median milliseconds of `count` calls of action(n)."""
    samples = []
    for n in range(count):
        started = time.perf_counter()
        action(n)
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 3)


def measure(backend: str, entries: int, writes: int) -> dict:
    from django.utils.module_loading import import_string

    folder = tempfile.mkdtemp(prefix="byline-filecache-")
    try:
        cache = import_string(BACKENDS[backend])(folder, {"OPTIONS": {"MAX_ENTRIES": entries + writes + 10}})
        for n in range(entries):
            cache.set(f"filler-{n}", n)
        return {
            "write_ms": timed(lambda n: cache.set(f"page-{n}", PAGE), writes),
            "read_ms": timed(lambda n: cache.get(f"page-{n}"), writes),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="1000,20000")
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    setup_django()
    figures = {}
    print(f"{'entries':>8}  {'backend':<7} {'write ms':>9} {'read ms':>8}")
    for entries in (int(size) for size in args.entries.split(",")):
        for backend in BACKENDS:
            found = measure(backend, entries, args.writes)
            figures[f"{backend}@{entries}"] = found
            print(f"{entries:>8,}  {backend:<7} {found['write_ms']:>9} {found['read_ms']:>8}")
        ratio = figures[f"django@{entries}"]["write_ms"] / max(figures[f"byline@{entries}"]["write_ms"], 1e-6)
        figures[f"write_speedup@{entries}"] = round(ratio, 1)
        print(f"{'':>8}  Byline's write is {ratio:.1f}x faster")
    print(json.dumps({"bench": "filecache", "writes": args.writes, "figures": figures}))


if __name__ == "__main__":
    main()
