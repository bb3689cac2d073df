"""`byline worker`: the background side of Byline, on its own, for boxes that serve no pages.

It runs the task worker of whichever task backend is configured, beside the scheduled-publishing clock:

- the database backend (one box, the default): django-tasks-db's `db_worker`, every queue;
- the RQ backend (`REDIS_URL` set): django-rq's `rqworker` with django-tasks-rq's job class, on every
  queue the backend serves, with RQ's scheduler so deferred tasks (a newsletter send's crash check) run.

Any number of these may run, on any number of machines: tasks are claimed atomically by either backend,
and the clocks take turns through a lock in the shared cache. This is `byline serve --no-web` under
another name (the same supervisor, so Ctrl-C and SIGTERM stop the task in progress cleanly); the name
is what a deployment's process list says. `task_worker_command` is the one place that knows how to start
a task worker, for this command and for `byline serve`.

Stopping with RQ: RQ runs each task in a forked "work horse" that never hears the worker's SIGTERM, and
its warm shutdown waits for the task however long it takes (a newsletter send: hours), while `db_worker`
lets the task hear the signal. `DrainingWorker` gives RQ db_worker's manners: the horse ignores SIGTERM
unless the task installs its own handler (the newsletter send does: it stops claiming, hands its rows
back and queues a continuation), the worker's warm shutdown passes SIGTERM on to the horse, and a horse
whose worker dies is sent SIGTERM too. A second signal is still RQ's cold shutdown (the horse is killed).
"""

import contextlib
import ctypes
import os
import signal
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand
from rq.worker import Worker

from byline.core.worker import add_schedule_interval

_PR_SET_PDEATHSIG = 1


def task_worker_command(verbosity: int = 1) -> tuple[str, list[str]] | None:
    """(name, argv) of the process that runs queued tasks for the configured backend; None when the
    backend runs tasks itself as they are queued (the immediate backend) and needs no worker."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends["default"]
    if isinstance(backend, DatabaseBackend):
        return "db_worker", [
            sys.executable, "-m", "byline.manage", "db_worker",
            "--queue-name", "*",
            # The autoreloader would add a process of its own between us and the worker.
            "--no-reload",
            "--verbosity", str(verbosity),
        ]  # fmt: skip
    if type(backend).__module__.startswith("django_tasks_rq"):
        return "rqworker", [
            sys.executable, "-m", "byline.manage", "rqworker",
            # django-tasks-rq's job class runs Django tasks (and refuses anything that is not one).
            "--job-class", "django_tasks_rq.Job",
            "--worker-class", f"{__name__}.DrainingWorker",
            "--with-scheduler",
            "--verbosity", str(verbosity),
            *sorted(backend.queues),
        ]  # fmt: skip
    return None


class DrainingWorker(Worker):
    """RQ's worker, stopping as db_worker does: the task in progress hears SIGTERM (see above)."""

    def setup_work_horse_signals(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the worker's to handle
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a task that cares installs its own handler
        if sys.platform.startswith("linux"):
            # RQ puts the horse in a process group of its own: without this it would outlive a worker
            # that was killed, and carry on unsupervised.
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    def handle_warm_shutdown_request(self):
        super().handle_warm_shutdown_request()
        if self.horse_pid:
            with contextlib.suppress(ProcessLookupError):  # it finished meanwhile
                os.kill(self.horse_pid, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Run the background task worker for the configured task backend (database or RQ) and scheduled "
        "publishing, without a web server. Ctrl-C (or SIGTERM) lets the task in progress finish."
    )

    def add_arguments(self, parser):
        add_schedule_interval(parser)

    def handle(self, *args, **options):
        call_command(
            "serve",
            no_web=True,
            schedule_interval=options["schedule_interval"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
