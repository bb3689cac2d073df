"""The file cache culls as Django's does, only not before every write."""

import pytest

from byline.lib import filecache


@pytest.fixture
def small_cache(tmp_path):
    return filecache.FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 20, "CULL_FREQUENCY": 2}})


def files(cache) -> int:
    return len(cache._list_cache_files())


def test_reads_what_it_wrote(small_cache):
    small_cache.set("story:1", {"title": "Harbour"})
    assert small_cache.get("story:1") == {"title": "Harbour"}


def test_between_culls_writes_do_not_list_the_folder(small_cache, monkeypatch):
    small_cache.set("first", 1)  # the first write culls (nothing to do) and starts the interval
    listed = []
    real = small_cache._list_cache_files
    monkeypatch.setattr(small_cache, "_list_cache_files", lambda: listed.append(1) or real())

    for n in range(50):
        small_cache.set(f"page:{n}", n)

    assert listed == []
    assert files(small_cache) == 51  # over MAX_ENTRIES until the next cull


def test_the_next_cull_brings_the_folder_back_under_its_bound(small_cache, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(filecache.time, "monotonic", lambda: clock[0])
    for n in range(60):
        small_cache.set(f"page:{n}", n)
    assert files(small_cache) > 20

    clock[0] += filecache.CULL_SECONDS + 1
    small_cache.set("one-more", 1)

    assert files(small_cache) <= 20
