"""`byline serve`: the whole publication in one command.

Three things run side by side, and this process supervises them:

- the web server: granian serving `byline.wsgi:application` (WSGI), as a child process;
- the background worker: django-tasks-db's `db_worker` for queued tasks, as a child process;
- the clock: Wagtail's scheduled publishing every minute, as a thread of this process
  (byline/core/worker.py), so scheduled stories go live on time without cron.

Stopping: SIGINT (Ctrl-C) or SIGTERM to this process stops everything and waits for it. Each child runs
in a process group of its own, so a Ctrl-C in the terminal reaches this process only, and each child gets
exactly one SIGTERM from us: granian finishes its requests, db_worker its task in progress. (A second
signal means "force" to db_worker, so a terminal's Ctrl-C reaching it as well as ours would cut a task
short; SIGTERM rather than SIGINT spares a child still starting up a KeyboardInterrupt traceback.)
Asking again forwards SIGTERM again, for a child that is taking too long; after GRACE_SECONDS whatever is
left is killed. If a child dies on its own, the others are stopped and the command exits non-zero saying
which one died. On Linux the children also die with this process (PR_SET_PDEATHSIG), so even `kill -9`
does not leave a server holding the port.

Under systemd, use `KillMode=mixed`: the default (control-group) sends SIGTERM to every process of the
unit at once, so the worker would get ours as a second signal and cut its task short.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from byline.core.management.commands.worker import task_worker_command
from byline.core.worker import SchedulerThread, add_schedule_interval

WSGI_APPLICATION = "byline.wsgi:application"
# One web worker per CPU core is granian's advice; the cap keeps a big host from starting a dozen
# copies of Django (about 100 MB each) for a site that SQLite serves from one file anyway.
MAX_DEFAULT_WORKERS = 4
# Threads per web worker that run Django. Granian's WSGI default is hundreds (backlog/workers/2), which
# under a burst can open one database connection per thread; Django renders under the GIL, so a few
# threads keep the CPU busy while others wait on the database. Granian warns above 2 × cores + 1.
MAX_DEFAULT_THREADS = 8
# How long a stop waits for in-flight requests and the task in progress before killing what is left.
GRACE_SECONDS = 30
# Granian's own limit for a web worker finishing its requests, inside the grace period above.
WEB_WORKER_KILL_SECONDS = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
CHILD_STOP_SIGNAL = signal.SIGTERM
_PR_SET_PDEATHSIG = 1


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_web_workers() -> int:
    return max(1, min(available_cpus(), MAX_DEFAULT_WORKERS))


def default_threads() -> int:
    return min(2 * available_cpus() + 1, MAX_DEFAULT_THREADS)


def web_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(threads),
        "--no-ws",
        # A web worker that crashes is replaced; a crash loop makes granian exit, and us with it.
        "--respawn-failed-workers",
        "--workers-kill-timeout", str(WEB_WORKER_KILL_SECONDS),
        # Static files are served by whitenoise inside Django: no granian static mount.
        WSGI_APPLICATION,
    ]  # fmt: skip


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send the child SIGTERM when this process dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork, not in the child
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def setup() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return setup


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Child:
    """One supervised process, leader of its own process group (so its own children go with it)."""

    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    died_unexpectedly: bool = False

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            process_group=0,
            preexec_fn=_die_with_parent(),  # safe: children start before the clock thread does
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, signum: int) -> None:
        if self.process is not None:
            self.process.send_signal(signum)  # a no-op once the process has exited

    def kill_group(self) -> bool:
        """SIGKILL everything left in the child's process group; True if anything was there."""
        if self.process is None:
            return False
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return False
        return True


class Supervisor:
    """Start the children and the clock, watch them, stop them all together."""

    def __init__(
        self,
        children: list[Child],
        scheduler: SchedulerThread | None = None,
        *,
        grace: float = GRACE_SECONDS,
        ready: Callable[[], bool] = lambda: True,
        on_ready: Callable[[], None] = lambda: None,
        say: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
        poll_interval: float = 0.2,
    ):
        self.children = children
        self.scheduler = scheduler
        self.grace = grace
        self.ready = ready
        self.on_ready = on_ready
        self.say = say
        self.poll_interval = poll_interval
        self.signals: list[int] = []
        self._wake = threading.Event()

    def _on_signal(self, signum, frame) -> None:
        self.signals.append(signum)
        self._wake.set()

    def run(self) -> None:
        """Return when stopped by a signal with every child stopped cleanly; raise CommandError otherwise."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
        try:
            failure = None
            try:
                failure = self._start_and_watch()
            finally:
                problems = self._stop_all()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if failure:
            raise CommandError(" ".join([failure, *problems]))
        if problems:
            raise CommandError("Stopped, but not cleanly: " + " ".join(problems))

    def _start_and_watch(self) -> str | None:
        for child in self.children:
            if self.signals:
                return None
            child.start()
        if self.scheduler is not None and not self.signals:
            self.scheduler.start()
        announced = False
        while not self.signals:
            for child in self.children:
                if child.process.poll() is not None:
                    child.died_unexpectedly = True
                    message = f"The {child.name} {describe_exit(child.process.returncode)} unexpectedly."
                    self.say(message + " Stopping everything else.")
                    return message
            if self.scheduler is not None and not self.scheduler.is_alive():
                message = "The scheduled-publishing clock stopped unexpectedly."
                self.say(message + " Stopping everything else.")
                return message
            if not announced and self.ready():
                announced = True
                self.on_ready()
            self._wake.wait(self.poll_interval)
        return None

    def _stop_all(self) -> list[str]:
        if self.scheduler is not None:
            self.scheduler.stop(timeout=0)  # ask now; wait for a tick in progress below
        for child in self.children:
            child.send(CHILD_STOP_SIGNAL)
        forwarded = len(self.signals)
        deadline = time.monotonic() + self.grace
        while any(child.running for child in self.children) and time.monotonic() < deadline:
            if len(self.signals) > forwarded:  # asked again: pass it on, the children know it as "force"
                for child in self.children:
                    child.send(CHILD_STOP_SIGNAL)
                forwarded = len(self.signals)
            time.sleep(0.05)

        problems = []
        for child in self.children:
            if child.process is None:
                continue
            if child.running:
                problems.append(f"The {child.name} did not stop within {self.grace:g} s and was killed.")
                child.kill_group()
                child.process.wait()
                continue
            # The child is gone; anything still in its group (a web worker that outlived granian) is not.
            if child.kill_group():
                problems.append(f"The {child.name} left processes behind; they were killed.")
            code = child.process.returncode
            if not child.died_unexpectedly and code not in (0, -CHILD_STOP_SIGNAL):
                problems.append(f"The {child.name} {describe_exit(code)} while stopping.")
        if self.scheduler is not None and self.scheduler.is_alive():
            self.scheduler.join(max(0.0, deadline - time.monotonic()))
        for problem in problems:
            self.say(problem)
        return problems


def ensure_port_free(host: str, port: int) -> None:
    """Fail now, with a clear message, if something already listens there.

    Granian binds with SO_REUSEPORT, so a second server on a taken port would not fail: it would quietly
    share the port with the first. The probe binds without it and so does see the port as taken.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise CommandError(f"Cannot listen on {host!r}: {error.strerror}.")
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {host}:{port}: {error.strerror}. Is another server running there?"
            )


def is_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def ensure_static_files_collected() -> None:
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if isinstance(
        staticfiles_storage, ManifestFilesMixin
    ) and not staticfiles_storage.manifest_storage.exists(staticfiles_storage.manifest_name):
        raise CommandError(
            "Static files have not been collected, so every page would fail: "
            "run `byline collectstatic --noinput` first (or set DEBUG=1 for development)."
        )


def local_address(host: str, port: int) -> tuple[str, str]:
    """(host to connect to, http://… URL) for the address granian listens on."""
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 (binds nothing)
    connect = wildcards.get(host, host)
    shown = f"[{connect}]" if ":" in connect else connect
    return connect, f"http://{shown}:{port}"


class Command(BaseCommand):
    help = (
        "Serve the site with granian, and run the background worker and scheduled publishing beside it. "
        "Ctrl-C (or SIGTERM) stops everything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default: 8000).")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_web_workers(),
            help=f"Web worker processes (default: one per CPU core, at most {MAX_DEFAULT_WORKERS}; "
            f"here {default_web_workers()}).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=default_threads(),
            help="Threads running Django in each web worker (default: 2 × CPU cores + 1, at most "
            f"{MAX_DEFAULT_THREADS}; here {default_threads()}).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Web only: no task worker and no scheduled publishing (run them on another box).",
        )
        parser.add_argument(
            "--no-web",
            action="store_true",
            help="Worker only: the task worker and scheduled publishing, no web server.",
        )
        add_schedule_interval(parser)

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        workers, threads = options["workers"], options["threads"]
        interval = options["schedule_interval"]
        if not 1 <= port <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if workers < 1:
            raise CommandError(f"--workers must be at least 1, not {workers}.")
        if threads < 1:
            raise CommandError(f"--threads must be at least 1, not {threads}.")
        if not interval > 0:
            raise CommandError(f"--schedule-interval must be more than 0 seconds, not {interval:g}.")
        web, background = not options["no_web"], not options["no_worker"]
        if not (web or background):
            raise CommandError("--no-web and --no-worker together leave nothing to run.")

        if web:
            ensure_port_free(host, port)
            ensure_static_files_collected()
        self.check_migrations()
        # This process only supervises from here on: hold no database connection while doing it
        # (one a caller holds open in a transaction, as a test does, is the caller's to close).
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()
        children, notes = [], []
        if web:
            children.append(Child("web server (granian)", web_command(host, port, workers, threads)))
            notes.append(f"web: granian on {host}:{port}, {workers} worker(s) × {threads} threads")
        scheduler = None
        if background:
            task_worker = task_worker_command(options["verbosity"])
            if task_worker:
                name, argv = task_worker
                children.append(Child(f"background worker ({name})", argv))
                notes.append(f"tasks: {name}, all queues")
            else:
                notes.append(f"tasks: {settings.TASKS['default']['BACKEND']} runs them as they are queued")
            scheduler = SchedulerThread(interval)
            notes.append(f"scheduled publishing: every {interval:g} s")

        connect_host, local_url = local_address(host, port)
        site_url = settings.BYLINE_URL if os.environ.get("BYLINE_URL") else local_url

        def announce() -> None:
            if web:
                self.stdout.write(self.style.SUCCESS(f"Byline is running at {site_url}/"))
            else:
                self.stdout.write(self.style.SUCCESS(f"Byline's worker is running for {site_url}/"))
            for note in notes:
                self.stdout.write(f"  {note}")
            self.stdout.write("Press Ctrl-C to stop.")
            self.stdout.flush()

        Supervisor(
            children,
            scheduler,
            ready=(lambda: is_listening(connect_host, port)) if web else (lambda: True),
            on_ready=announce,
            say=lambda message: self.stderr.write(message),
        ).run()
        self.stdout.write("Byline stopped.")
