"""`byline serve`: its options, its supervision of child processes, and the real thing end to end."""

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from byline.core.management.commands import serve
from byline.core.worker import SchedulerThread

BYLINE = str(Path(sys.executable).with_name("byline"))
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ----- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--port", "0"], "--port must be between 1 and 65535"),
        (["--port", "65536"], "--port must be between 1 and 65535"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--schedule-interval", "0"], "--schedule-interval must be more than 0"),
        (["--no-web", "--no-worker"], "nothing to run"),
    ],
)
def test_it_rejects_bad_options(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("serve", *arguments)


def test_it_refuses_a_port_that_is_already_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("serve", "--port", str(port))


class RecordingSupervisor:
    """Stands in for the supervisor: remembers what `serve` asked it to run, runs nothing."""

    last = None

    def __init__(self, children, scheduler=None, **kwargs):
        self.children, self.scheduler = children, scheduler
        RecordingSupervisor.last = self

    def run(self):
        pass


@pytest.fixture
def recorded(monkeypatch, settings, db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(serve, "Supervisor", RecordingSupervisor)
    RecordingSupervisor.last = None
    return lambda: RecordingSupervisor.last


def test_it_runs_granian_and_the_worker_and_the_clock_by_default(recorded):
    port = free_port()
    call_command("serve", "--port", str(port), "--workers", "3", "--threads", "4")

    web, background = recorded().children
    assert web.argv[:3] == [sys.executable, "-m", "granian"]
    assert web.argv[-1] == "byline.wsgi:application"
    options = " ".join(web.argv)
    assert "--interface wsgi" in options
    assert f"--host 127.0.0.1 --port {port}" in options
    assert "--workers 3 --blocking-threads 4" in options
    assert background.argv[:4] == [sys.executable, "-m", "byline.manage", "db_worker"]
    assert "--no-reload" in background.argv
    assert isinstance(recorded().scheduler, SchedulerThread)
    assert recorded().scheduler.interval == 60


def test_no_worker_serves_the_web_only(recorded):
    call_command("serve", "--port", str(free_port()), "--no-worker")

    assert [child.name for child in recorded().children] == ["web server (granian)"]
    assert recorded().scheduler is None


def test_no_web_runs_the_worker_and_the_clock_only(recorded):
    call_command("serve", "--no-web", "--schedule-interval", "5")

    assert [child.name for child in recorded().children] == ["background worker (db_worker)"]
    assert recorded().scheduler.interval == 5


def test_it_sizes_the_web_server_to_the_machine():
    assert 1 <= serve.default_web_workers() <= serve.MAX_DEFAULT_WORKERS
    assert 3 <= serve.default_threads() <= serve.MAX_DEFAULT_THREADS


# ----- supervision (stand-in children) -----------------------------------------------------------


def test_when_one_child_dies_it_stops_the_others_and_fails_naming_it():
    survivor = serve.Child("survivor", SLEEPER)
    casualty = serve.Child(
        "casualty", [sys.executable, "-c", "import time, sys; time.sleep(0.3); sys.exit(3)"]
    )
    said = []

    with pytest.raises(CommandError, match=r"The casualty exited with code 3 unexpectedly"):
        serve.Supervisor([survivor, casualty], say=said.append).run()

    assert survivor.process.returncode == -signal.SIGTERM
    assert "Stopping everything else" in said[0]


def test_a_signal_stops_every_child_and_returns_cleanly():
    children = [serve.Child("first", SLEEPER), serve.Child("second", SLEEPER)]
    clock = SchedulerThread(interval=60, job=lambda: None)

    handler_before = signal.getsignal(signal.SIGINT)

    def interrupt():
        os.kill(os.getpid(), signal.SIGINT)

    serve.Supervisor(children, clock, on_ready=interrupt).run()

    assert [child.process.returncode for child in children] == [-signal.SIGTERM, -signal.SIGTERM]
    assert not clock.is_alive()
    assert signal.getsignal(signal.SIGINT) is handler_before


def test_a_child_that_will_not_stop_is_killed_after_the_grace_period():
    stubborn = serve.Child(
        "stubborn",
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
        ],
    )

    def interrupt():
        time.sleep(0.5)  # let it install its handler
        os.kill(os.getpid(), signal.SIGTERM)

    started = time.monotonic()
    with pytest.raises(CommandError, match=r"did not stop within 0.5 s and was killed"):
        serve.Supervisor([stubborn], grace=0.5, on_ready=interrupt, say=lambda message: None).run()

    assert stubborn.process.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5


# ----- the real thing ----------------------------------------------------------------------------

# Run in a child `byline shell` once the site is up: enqueue a task and wait for the worker to finish it,
# then schedule a story to go live a few seconds from now.
SCRIPT = """
import json, time
from datetime import timedelta
from django.utils import timezone
from byline.core.models import HomePage
from byline.core.tasks import ping
from byline.stories.models import StoryPage

result = ping.enqueue()
deadline = time.monotonic() + 20
while not result.is_finished and time.monotonic() < deadline:
    time.sleep(0.1)
    result.refresh()

story = StoryPage(title="The tide tables", slug="the-tide-tables", live=False)
story.go_live_at = timezone.now() + timedelta(seconds={go_live_in})
HomePage.objects.get(depth=2).add_child(instance=story)
story.save_revision().publish()
story.refresh_from_db()
print(json.dumps({{
    "task_status": result.status, "task_workers": len(result.worker_ids),
    "live": story.live, "go_live_at": story.go_live_at.timestamp(),
}}))
"""
# Seconds from scheduling to going live: long enough to see the 404 first on a busy CI machine.
GO_LIVE_IN = 10


@pytest.fixture(scope="session")
def migrated_database(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """A migrated SQLite database file for `byline serve` to use.

    Migrating from nothing takes about 20 s, so on SQLite the test database pytest-django has already
    migrated is copied. Being session-scoped, this runs before the test's own transaction opens (a
    backup would wait forever on the write lock that transaction holds). On another database it is
    `byline migrate` in a child process.
    """
    folder = tmp_path_factory.mktemp("migrated")
    database = folder / "byline.sqlite3"
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            connection.ensure_connection()
            copy = sqlite3.connect(database)
            try:
                connection.connection.backup(copy)
                migrated = copy.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
            finally:
                copy.close()
        if migrated:
            return database
        database.unlink()  # built with --no-migrations: none of the data migrations ran
    subprocess.run([BYLINE, "migrate", "--noinput", "-v0"], env=child_env(folder, 8000), check=True)
    return database


@pytest.fixture
def data_dir(tmp_path, migrated_database) -> Path:
    shutil.copy(migrated_database, tmp_path / "byline.sqlite3")
    return tmp_path


# The test process's own configuration, which must not leak into the site under test.
NOT_INHERITED = {
    "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE",
}  # fmt: skip


def child_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="byline.settings",
        BYLINE_DATA_DIR=str(data_dir),
        SECRET_KEY="serve-test-secret-key-not-for-production-0123456789",
        BYLINE_URL=f"http://127.0.0.1:{port}",
        DEBUG="1",  # static files from the app folders, no collectstatic needed
        PYTHONUNBUFFERED="1",
    )
    return env


def get_status(port: int, path: str) -> int | None:
    """The status of GET path, or None while nothing answers."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


@pytest.mark.django_db  # so that pytest-django builds the test database copied above
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_serve_runs_the_site_the_worker_and_scheduled_publishing_and_stops_on_ctrl_c(data_dir):
    port = free_port()
    env = child_env(data_dir, port)
    log_path = data_dir / "serve.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [BYLINE, "serve", "--port", str(port), "--workers", "2", "--schedule-interval", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_until(lambda: get_status(port, "/") == 200, timeout=45), log_path.read_text()
        assert wait_until(lambda: f"Byline is running at http://127.0.0.1:{port}/" in log_path.read_text(), 5)
        processes = descendants(server.pid)
        assert len(processes) >= 4, "granian, its two workers and db_worker"

        done = subprocess.run(
            [BYLINE, "shell", "-c", SCRIPT.format(go_live_in=GO_LIVE_IN)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        facts = json.loads(done.stdout.strip().splitlines()[-1])

        # The worker took the task and ran it.
        assert facts["task_status"] == "SUCCESSFUL"
        assert facts["task_workers"] == 1
        # The story is scheduled, not live, until its time comes; then the clock publishes it.
        assert facts["live"] is False
        assert time.time() < facts["go_live_at"], "the set-up was too slow to see the story before its time"
        before = get_status(port, "/the-tide-tables/")
        if time.time() < facts["go_live_at"]:  # the answer came before the story's time
            assert before == 404
        assert wait_until(lambda: get_status(port, "/the-tide-tables/") == 200, timeout=30), (
            log_path.read_text()
        )
        assert time.time() >= facts["go_live_at"]

        processes |= descendants(server.pid)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0, log_path.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()

    output = log_path.read_text()
    assert "Byline stopped." in output
    assert "Traceback" not in output, output
    assert not [pid for pid in processes if is_alive(pid)], "child processes outlived byline serve"
    assert get_status(port, "/") is None
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # the port is free again
