"""The store's memo of generations: bounded, and never trusted past its window."""

from byline.pagecache import store


def test_the_memo_of_generations_stays_bounded_however_many_pages_are_read(page_cache):
    for start in range(0, store.MEMO_SIZE * 3, 500):
        store.generations([f"story:{n}" for n in range(start, start + 500)])

    assert len(store._memo) <= store.MEMO_SIZE


def test_pruning_keeps_a_purge_visible(page_cache):
    before = store.generations(["story:1"])["story:1"][0]
    store.bump(["story:1"])
    for start in range(0, store.MEMO_SIZE * 2, 500):
        store.generations([f"story:{n}" for n in range(start + 10, start + 510)])

    assert store.generations(["story:1"])["story:1"][0] not in (None, before)


def test_a_new_generation_is_given_to_a_dependency_that_has_none_without_counting_as_a_purge(page_cache):
    token = store.current_generation("site")

    assert token is not None
    assert store.current_generation("site") == token
    assert not store.purged_since(["site"], moment=0.0 + store.PURGE_MARGIN_SECONDS + 1)
