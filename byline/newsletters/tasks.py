"""The send as a background task: any number of these may run at once for one email.

Each run first makes sure a crash check is queued for a little after the workers' lease runs out (one per
send at a time, on backends that can defer a task): if this worker is killed, that check is what resumes
the send on whichever worker is alive. On SIGTERM/SIGINT a run stops claiming, lets the message in hand
finish, gives its other claimed rows back and queues a continuation, so a restarted worker carries on.
"""

import logging
import signal
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from byline.newsletters import services
from byline.newsletters.models import Email

logger = logging.getLogger("byline.newsletters")

# Past this wait for a retry, an immediate backend (which cannot defer) leaves it to `byline send`.
LONGEST_INLINE_WAIT = 120


@task(queue_name="default")
def send_email(email_id: int) -> str:
    return run(email_id)


def run(email_id: int, stop: threading.Event | None = None) -> str:
    """Start the send if nobody has, and deliver until nobody is left; returns what became of it."""
    email = Email.objects.select_related("newsletter").filter(pk=email_id).first()
    if email is None or email.status not in (Email.PENDING, Email.SENDING):
        return "nothing to do"
    # If this worker dies, this queued check resumes the send elsewhere once the lease has run out.
    _queue_followup(email, timezone.now() + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS + 1))
    if email.status == Email.PENDING and not services.start(email):
        email.refresh_from_db()
        if email.status != Email.SENDING:
            return email.status
    with _stop_on_signal(stop) as stop:
        while True:
            services.deliver(email, stop)
            if stop.is_set():
                send_email.enqueue(email.pk)  # a restarted worker carries on where this one stopped
                return "stopped; continuation queued"
            if not Email.objects.filter(pk=email.pk, status=Email.SENDING).exists():
                return Email.objects.get(pk=email.pk).status
            when = services.finish_if_done(email)
            if when is None:
                return Email.SENT
            wait = (when - timezone.now()).total_seconds()
            if wait <= 0:
                continue  # rows came free (given back or taken back): send them now
            if _can_defer():
                _queue_followup(email, when)
                return "waiting"
            if wait > LONGEST_INLINE_WAIT:
                return "waiting"
            time.sleep(wait)


def _can_defer() -> bool:
    return send_email.get_backend().supports_defer


def _queue_followup(email: Email, when) -> None:
    """Queue a run for `when`, unless one is already queued for no later than that."""
    if not _can_defer():
        return
    now = timezone.now()
    with transaction.atomic():
        due = Q(watch_at__isnull=True) | Q(watch_at__lte=now) | Q(watch_at__gt=when)
        if Email.objects.filter(pk=email.pk).filter(due).update(watch_at=when):
            send_email.using(run_after=when).enqueue(email.pk)


@contextmanager
def _stop_on_signal(stop: threading.Event | None = None):
    """An event set by SIGTERM/SIGINT while the send runs, passing the signal on to the worker's handler
    (which lets the task in progress finish). Signals can only be caught on the main thread; elsewhere
    whoever started the thread sets `stop`."""
    stop = stop or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum, frame):
        handler = previous.get(signum)
        if stop.is_set():  # a second signal: stop now, as the process would have without us
            signal.signal(signum, handler)
            signal.raise_signal(signum)
            return
        logger.warning("Stopping the newsletter send: %s", signal.strsignal(signum))
        stop.set()
        # A worker's own handler is told too (db_worker then exits after this task); Python's
        # KeyboardInterrupt is not raised, so the message in hand is never cut off.
        if callable(handler) and handler is not signal.default_int_handler:
            handler(signum, frame)

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
