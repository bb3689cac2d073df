"""Stored pages and the generations that make them stale.

A stored page records the *dependencies* it was rendered from ("story:12", "stories", …) and, for
each, the generation token that dependency had when rendering began. Purging a dependency gives
it a fresh random token, so every page that recorded the old token stops matching at once, in
every process that shares the cache, without finding or deleting the pages themselves. Random
tokens rather than counters: two purges at the same moment can never land on the same value.

Reading generations on every hit would cost one cache read per dependency, so each process
remembers the tokens it read for `MEMO_SECONDS` (and keeps the pages it served last in memory).
That is the cross-process stale window (the issue allows one second); the process that purges
forgets its memo at once.
"""

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

EVERYTHING = "*"  # every page depends on it: purged by purge_all()
MEMO_SECONDS = 0.5
# Every story has its own dependency: past this many remembered ones, the stale are dropped, so a
# crawl through a 100,000-story archive does not leave 100,000 entries in every process.
MEMO_SIZE = 4096
# A purge this close before rendering began (or during it) means the page may hold the old
# content: it is served but not stored. The margin covers clocks of different web machines.
PURGE_MARGIN_SECONDS = 1.0

_memo: dict[str, tuple[str | None, float, float]] = {}  # dependency -> (token, purged_at, read_at)
_memo_lock = threading.Lock()


def _cache():
    return caches[settings.PAGECACHE_CACHE_ALIAS]


def _generation_key(dependency: str) -> str:
    return "pc:g:" + hashlib.blake2s(dependency.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Page:
    """A stored response: enough to answer a GET, a HEAD or a conditional request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    stored_at: float
    generations: tuple[tuple[str, str | None], ...]

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")


def generations(dependencies, now: float | None = None) -> dict[str, tuple[str | None, float]]:
    """{dependency: (token, purged_at)} for these dependencies, from the memo where it is fresh."""
    now = time.monotonic() if now is None else now
    found, missing = {}, []
    for dependency in dependencies:
        remembered = _memo.get(dependency)
        if remembered and now - remembered[2] < MEMO_SECONDS:
            found[dependency] = remembered[:2]
        else:
            missing.append(dependency)
    if missing:
        keys = {_generation_key(dependency): dependency for dependency in missing}
        stored = _cache().get_many(list(keys))
        with _memo_lock:
            if len(_memo) + len(keys) > MEMO_SIZE:
                _forget_stale(now)
            for key, dependency in keys.items():
                token, purged_at = stored.get(key, (None, 0.0))
                _memo[dependency] = (token, purged_at, now)
                found[dependency] = (token, purged_at)
    return found


def _forget_stale(now: float) -> None:
    """Drop what the memo would read again anyway (older than MEMO_SECONDS); if every entry is
    fresh (a burst of distinct pages), all of it. Called with the lock held."""
    for dependency in [d for d, (_, _, read_at) in _memo.items() if now - read_at >= MEMO_SECONDS]:
        del _memo[dependency]
    if len(_memo) >= MEMO_SIZE:
        _memo.clear()


def current_generation(dependency: str) -> str:
    """The dependency's generation token, giving it one if it has none yet (a cache that was
    emptied), so that what is tagged with it is told apart from what came before the emptying."""
    token = generations([dependency])[dependency][0]
    if token is None:
        # Not a purge (no moment is recorded: pages being rendered may still be stored), and `add`
        # keeps a token another process gave it meanwhile.
        _cache().add(_generation_key(dependency), (secrets.token_hex(8), 0.0), None)
        with _memo_lock:
            _memo.pop(dependency, None)
        token = generations([dependency])[dependency][0]
    return token


class _RecentPages:
    """The pages this process served last, so a popular page costs no cache read or unpickling.
    Safe to keep: a page is only ever served after its generations are checked, and those carry
    every change that could make it stale."""

    def __init__(self, size: int):
        self.size = size
        self.pages: OrderedDict[str, Page] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Page | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: str, page: Page) -> None:
        with self.lock:
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)

    def drop(self, key: str) -> None:
        with self.lock:
            self.pages.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()


RECENT_PAGES = 256  # a story page is ~50 KB: about 13 MB a process at most
_recent = _RecentPages(RECENT_PAGES)


def lookup(key: str) -> Page | None:
    """The stored page for this key, if every dependency it recorded is still at the same generation."""
    page = _recent.get(key)
    if page is None or time.time() - page.stored_at > settings.PAGECACHE_SECONDS:
        page = _cache().get(key)
        if page is None:
            _recent.drop(key)
            return None
        _recent.put(key, page)
    current = generations(dependency for dependency, _ in page.generations)
    if any(current[dependency][0] != token for dependency, token in page.generations):
        _recent.drop(key)
        return None
    return page


def save(key: str, status: int, headers, body: bytes, dependencies, rendering_began: float) -> Page | None:
    """Store a rendered page with the generations of what it depends on, unless one of them was
    purged while (or just before) it was rendered: then the page may show what that purge was
    removing. `rendering_began` is wall-clock time (time.time()). The stored page, or None."""
    by_key = {_generation_key(dependency): dependency for dependency in {*dependencies, EVERYTHING}}
    current = _cache().get_many(list(by_key))
    if _purged_since(current, rendering_began):
        return None
    recorded = tuple(
        sorted((dependency, current.get(key_, (None, 0.0))[0]) for key_, dependency in by_key.items())
    )
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    page = Page(status, tuple(headers), body, etag, time.time(), recorded)
    _cache().set(key, page, settings.PAGECACHE_SECONDS)
    return page


def _purged_since(current: dict, moment: float) -> bool:
    return any(purged_at >= moment - PURGE_MARGIN_SECONDS for _, purged_at in current.values())


def purged_since(dependencies, moment: float) -> bool:
    """Whether any of these dependencies was purged after `moment` (wall clock), read afresh."""
    keys = [_generation_key(dependency) for dependency in {*dependencies, EVERYTHING}]
    return _purged_since(_cache().get_many(keys), moment)


def bump(dependencies) -> None:
    """Give each dependency a fresh generation: every page that recorded the old one is stale."""
    now = time.time()
    fresh = {_generation_key(dependency): (secrets.token_hex(8), now) for dependency in dependencies}
    if not fresh:
        return
    # Generations never expire on their own: losing one only makes pages miss, never go stale.
    _cache().set_many(fresh, None)
    with _memo_lock:
        for dependency in dependencies:
            _memo.pop(dependency, None)


def forget_memo() -> None:
    """Forget what this process remembers (generations and recent pages): for tests."""
    with _memo_lock:
        _memo.clear()
    _recent.clear()
