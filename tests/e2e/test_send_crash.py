"""Crash-safety of newsletter sending, proved with real worker processes and a real SMTP server.

Each scenario gets its own copy of one SQLite file, made once per module, holding 5,000 subscribers and a
published story whose send is queued; then `byline db_worker` processes are started, killed and restarted
while an aiosmtpd server counts what arrives. Two scenarios, each a full 5,000-member send: SIGKILL at
random moments, and two workers at once both stopped by SIGTERM (the slowest parts are worker start-ups
and the sends themselves, so the SIGTERM and two-worker cases share one send).
Run them alone with `pytest -m send_crash tests/e2e/test_send_crash.py`.
"""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from byline.lib.smtp_sink import free_port

pytestmark = pytest.mark.send_crash

MEMBERS = 5000
CONNECTIONS = 2
LEASE_SECONDS = 2
ROOT = Path(__file__).resolve().parents[2]

SETUP = f"""
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0, skip_checks=True)

from byline.core.models import HomePage
from byline.members.models import Member
from byline.newsletters.models import Newsletter
from byline.stories.models import Author, StoryAuthor, StoryPage

newsletter = Newsletter.objects.create(name="Night Desk", sender_email="desk@crash.example")
members = [Member(email=f"reader{{n}}@crash.example") for n in range({MEMBERS})]
Member.objects.bulk_create(members, batch_size=500)
Through = Member.newsletters.through
ids = Member.objects.values_list("pk", flat=True)
Through.objects.bulk_create([Through(member_id=pk, newsletter_id=newsletter.pk) for pk in ids])
home = HomePage.objects.get(depth=2)
story = StoryPage(
    title="The night the presses stopped", slug="presses",
    body=[{{"type": "rich_text", "value": "<p>Written for the crash test.</p>"}}],
)
home.add_child(instance=story)
StoryAuthor.objects.create(story=story, author=Author.objects.create(name="Night Editor"))
story.email_newsletter = newsletter
story.save_revision().publish()
"""


class Counting:
    """An SMTP server that remembers only who each message was for (5,000 full messages are not needed)."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        return "250 2.0.0 Queued"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """One database, migrated and filled once: the story is published and its send queued, not started."""
    folder = tmp_path_factory.mktemp("send-crash-template")
    env = _env(folder, smtp_port=1)
    # Migrating and filling in one process saves a start-up; system checks are skipped: they import
    # every URL module, and only sending is under test here.
    subprocess.run([sys.executable, "-m", "byline.manage", "shell", "-c", SETUP],
                   env=env, cwd=ROOT, check=True, timeout=240)  # fmt: skip
    return folder / "byline.sqlite3"


def _env(folder: Path, smtp_port: int) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "BYLINE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="byline.settings",
        BYLINE_DATA_DIR=str(folder),
        DATABASE_URL=f"sqlite:///{folder / 'byline.sqlite3'}",
        SECRET_KEY="crash-test-secret-key-0123456789-abcdefghijklmnop",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        NEWSLETTER_LEASE_SECONDS=str(LEASE_SECONDS),
        NEWSLETTER_CONNECTIONS=str(CONNECTIONS),
        NEWSLETTER_CHUNK_SIZE="25",
        NEWSLETTER_RETRY_SECONDS="1",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    return env


class Scenario:
    def __init__(self, folder: Path, template: Path):
        self.folder = folder
        shutil.copy(template, folder / "byline.sqlite3")
        self.sink = Counting()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.env = _env(folder, self.controller.port)
        self.workers = []

    def _manage(self, *args) -> str:
        command = [sys.executable, "-m", "byline.manage", *args, "--skip-checks"]
        done = subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start_worker(self) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115 (closed at stop)
        worker = subprocess.Popen(
            [sys.executable, "-m", "byline.manage", "db_worker", "--queue-name", "*",
             "--interval", "0.2", "--no-startup-delay", "--skip-checks"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker.log = log
        self.workers.append(worker)
        return worker

    def wait_for_messages(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.sink.count() < count:
            assert time.monotonic() < deadline, f"only {self.sink.count()} messages arrived"
            time.sleep(0.02)

    def query(self, sql: str):
        with sqlite3.connect(self.folder / "byline.sqlite3", timeout=10) as db:
            return db.execute(sql).fetchall()

    def wait_until_sent(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.query("SELECT status FROM newsletters_email") != [("sent",)]:
            assert time.monotonic() < deadline, f"send unfinished: {self.status()}"
            time.sleep(0.2)

    def status(self) -> dict:
        return json.loads(self._manage("sendstatus", "presses", "--json"))[0]

    def uncertain(self) -> set:
        return {row[0] for row in self.query("SELECT address FROM newsletters_recipient WHERE uncertain")}

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            worker.log.close()
        self.controller.stop()


@pytest.fixture
def scenario(tmp_path, prepared):
    scenario = Scenario(tmp_path, prepared)
    yield scenario
    scenario.stop()


def everyone() -> set:
    return {f"reader{n}@crash.example" for n in range(MEMBERS)}


def test_a_worker_killed_at_random_moments_skips_nobody(scenario):
    kills = 3
    worker = scenario.start_worker()
    for _ in range(kills):
        scenario.wait_for_messages(scenario.sink.count() + random.randint(50, 1200))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker = scenario.start_worker()
    scenario.wait_until_sent()

    received = Counter(scenario.sink.received)
    assert set(received) == everyone()
    duplicates = {address for address, times in received.items() if times > 1}
    uncertain = scenario.uncertain()
    assert duplicates <= uncertain
    assert sum(received[address] - 1 for address in duplicates) <= kills * CONNECTIONS
    assert len(uncertain) <= kills * CONNECTIONS
    status = scenario.status()
    assert status["sent"] == len(received) == MEMBERS
    assert (status["failed"], status["pending"], status["suppressed"]) == (0, 0, 0)
    assert status["uncertain"] == len(uncertain)


def test_two_workers_at_once_drain_on_sigterm_and_a_restarted_one_finishes_without_a_duplicate(scenario):
    # One send, both halves of the claim: two workers share it (no row goes to both), each is stopped
    # by SIGTERM at its own random moment (each drains and exits cleanly), and a fresh worker finishes.
    first, second = scenario.start_worker(), scenario.start_worker()
    scenario.wait_for_messages(random.randint(300, 1500))
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    scenario.wait_for_messages(scenario.sink.count() + random.randint(200, 1000))
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0
    assert scenario.sink.count() < MEMBERS
    scenario.start_worker()
    scenario.wait_until_sent()

    received = Counter(scenario.sink.received)
    assert set(received) == everyone()
    assert max(received.values()) == 1
    status = scenario.status()
    assert status["sent"] == MEMBERS
    assert status["uncertain"] == 0
