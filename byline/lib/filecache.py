"""Django's file cache, without its folder listing on every write.

Before each write, Django's FileBasedCache lists the whole cache folder to decide whether to cull.
The page cache keeps up to 20,000 pages there: the listing then costs about 20 ms, on every page
stored and on each generation a purge writes (a publish writes half a dozen). This backend culls
at most once every CULL_SECONDS per backend instance (one per thread), so the folder may hold a
few seconds' writes over MAX_ENTRIES; the next cull removes Django's share of the entries (one in
CULL_FREQUENCY) or, if more, enough to bring it back under.
"""

import random
import time

from django.core.cache.backends.filebased import FileBasedCache

CULL_SECONDS = 5.0


class FileCache(FileBasedCache):
    cull_seconds = CULL_SECONDS

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._culled_at = None

    def _cull(self):
        now = time.monotonic()
        if self._culled_at is not None and now - self._culled_at < self.cull_seconds:
            return
        self._culled_at = now
        entries = self._list_cache_files()
        if len(entries) < self._max_entries:
            return
        if self._cull_frequency == 0:
            self.clear()
            return
        count = max(len(entries) // self._cull_frequency, len(entries) - self._max_entries + 1)
        for entry in random.sample(entries, count):
            self._delete(entry)
