"""The anonymous full-page cache (see README.md). What the apps above use:

- `depends_on(request, *dependencies)` while rendering: this page shows these things.
- `purge(*dependencies, urls=())` after a change commits: pages showing them are stale now; `urls`
  are also purged from a CDN when WAGTAILFRONTENDCACHE is configured.
- `purge_all()` when something every page shows changes (publication settings).

Dependencies are short strings the apps choose, such as "story:12" or "tag:3".
"""

from byline.pagecache.invalidation import depends_on, purge, purge_after_commit, purge_all

__all__ = ["depends_on", "purge", "purge_after_commit", "purge_all"]
