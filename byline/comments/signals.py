"""News the comments app sends upward: the page cache (issue 9) subscribes to `comment_changed` to purge
the one story whose thread changed. Sent after the transaction commits, with `story` (a StoryPage)."""

from django.dispatch import Signal

comment_changed = Signal()
