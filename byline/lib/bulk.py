"""Bulk changes: many stories written in one go (an archive import), where per-story reactions
would cost more than the writing itself.

Inside `with bulk_change("import"):` the apps that react to single changes (related lists,
search index, page cache, webhooks) skip their per-story work, checking `in_bulk_change()`.
Whoever writes rows without the usual saves tells the block what it wrote with
`note_changed(model, ids)`. When the outermost block ends without an error,
`bulk_change_finished` is sent once after the transaction commits, with `reason` and `changed`
({model class: set of ids}), and each app does its whole-site (or whole-batch) work then: rebuild
the related lists, index the new rows for search, purge the page cache. The state lives in a
context variable, so another thread or request going on at the same time is unaffected.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


@dataclass
class _BulkChange:
    reason: str
    changed: dict[type, set] = field(default_factory=dict)


_current: ContextVar[_BulkChange | None] = ContextVar("byline_bulk_change", default=None)

# Sent once per outermost bulk change, after commit, with `reason` (e.g. "import") and `changed`.
bulk_change_finished = Signal()


def in_bulk_change() -> bool:
    return _current.get() is not None


def note_changed(model: type, ids) -> None:
    """Record rows written inside the bulk change (no-op outside one)."""
    change = _current.get()
    if change is not None:
        change.changed.setdefault(model, set()).update(ids)


@contextmanager
def bulk_change(reason: str):
    if in_bulk_change():  # nested: the outermost block speaks for all
        yield
        return
    change = _BulkChange(reason)
    token = _current.set(change)
    try:
        yield
    finally:
        _current.reset(token)
    # Only reached without an error. A rolled-back transaction drops the callback with it.
    transaction.on_commit(lambda: _announce(change))


def _announce(change: _BulkChange) -> None:
    # The change is committed: a receiver that fails must not make it look as if it was not.
    results = bulk_change_finished.send_robust(sender=None, reason=change.reason, changed=change.changed)
    for receiver, error in results:
        if isinstance(error, Exception):
            logger.error("after bulk change %r: %s failed", change.reason, receiver, exc_info=error)
