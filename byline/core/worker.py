"""The clock beside the background worker: Wagtail's scheduled publishing, run every minute.

`byline serve` runs django-tasks-db's `db_worker` as a child process for queued tasks, and this clock as a
thread of its own supervising process, so a story scheduled for 09:00 goes live within a minute of 09:00
without cron. One tick is Wagtail's `publish_scheduled` command: it publishes every revision whose approved
go-live time has passed and takes down every page whose expiry time has passed, sending Wagtail's usual
published/unpublished signals, so whatever reacts to an editor's publish reacts to a scheduled one too.

A tick that fails is logged and the next tick tries again: one bad revision never stops the clock.
Two processes sharing a database (several `byline serve` boxes) take turns through a lock in the cache,
so a revision is not published twice by two clocks ticking at the same moment.
"""

import logging
import threading
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.management import call_command
from django.db import connections

logger = logging.getLogger("byline.scheduler")

DEFAULT_INTERVAL = 60.0
LOCK_KEY = "byline:scheduler:publish-scheduled"
# Longer than any sane tick; bounds how long a clock that died mid-tick keeps the others waiting.
LOCK_TIMEOUT = 600


def add_schedule_interval(parser) -> None:
    """`--schedule-interval`, shared by `byline serve` and `byline worker`."""
    parser.add_argument(
        "--schedule-interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help=f"Seconds between scheduled-publishing runs (default: {DEFAULT_INTERVAL:g}).",
    )


def publish_scheduled() -> bool:
    """One tick: publish what is due and take down what has expired. False if another clock had the turn."""
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, timeout=LOCK_TIMEOUT):
        logger.info("Scheduled publishing skipped: another process is running it")
        return False
    try:
        call_command("publish_scheduled", verbosity=0)
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)
    return True


def run_every(interval: float, job: Callable[[], object], stop: threading.Event) -> None:
    """Run `job` now and then every `interval` seconds until `stop` is set, surviving its errors."""
    while not stop.is_set():
        try:
            job()
        except Exception:
            logger.exception("Scheduled publishing failed; trying again in %s s", interval)
        finally:
            # This thread's connections would otherwise stay open (and idle) between ticks.
            connections.close_all()
        stop.wait(interval)


class SchedulerThread(threading.Thread):
    """The clock as a daemon thread: `stop()` ends it between ticks; a tick in progress finishes first."""

    def __init__(self, interval: float = DEFAULT_INTERVAL, job: Callable[[], object] = publish_scheduled):
        super().__init__(name="byline-scheduler", daemon=True)
        self.interval = interval
        self.job = job
        self._stop_requested = threading.Event()

    def run(self) -> None:
        run_every(self.interval, self.job, self._stop_requested)

    def stop(self, timeout: float | None = None) -> None:
        self._stop_requested.set()
        if self.is_alive():
            self.join(timeout)
