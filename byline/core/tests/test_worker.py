"""`byline worker`: the task worker of whichever backend is configured, plus the scheduling clock."""

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django_tasks import task

from byline.core.management.commands import serve
from byline.core.management.commands.worker import task_worker_command
from byline.core.tests.test_serve import (  # noqa: F401 (fixtures)
    BYLINE,
    RecordingSupervisor,
    child_env,
    data_dir,
    descendants,
    is_alive,
    migrated_database,
    wait_until,
)
from byline.core.worker import SchedulerThread

# A Redis database of these tests' own, flushed at the start of each test that uses it.
REDIS_TEST_URL = "redis://127.0.0.1:6379/10"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def use_rq(settings) -> None:
    settings.RQ_QUEUES = {"default": {"URL": REDIS_TEST_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def test_the_database_backend_is_worked_by_db_worker_on_every_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    name, argv = task_worker_command(verbosity=2)

    assert name == "db_worker"
    assert argv[:4] == [sys.executable, "-m", "byline.manage", "db_worker"]
    assert argv[argv.index("--queue-name") + 1] == "*"
    assert "--no-reload" in argv
    assert argv[argv.index("--verbosity") + 1] == "2"


def test_the_rq_backend_is_worked_by_rqworker_with_the_django_tasks_job_class_and_scheduler(settings):
    use_rq(settings)

    name, argv = task_worker_command()

    assert name == "rqworker"
    assert argv[:4] == [sys.executable, "-m", "byline.manage", "rqworker"]
    assert argv[argv.index("--job-class") + 1] == "django_tasks_rq.Job"
    assert "--with-scheduler" in argv  # deferred tasks (a send's crash check) need it
    assert argv[argv.index("--worker-class") + 1].endswith("worker.DrainingWorker")
    assert argv[-1] == "default"


def test_a_backend_that_runs_tasks_as_they_are_queued_needs_no_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    assert task_worker_command() is None


@pytest.mark.django_db
def test_worker_runs_the_configured_task_worker_and_the_clock_and_no_web_server(monkeypatch, settings):
    use_rq(settings)
    monkeypatch.setattr(serve, "Supervisor", RecordingSupervisor)

    call_command("worker", "--schedule-interval", "7")

    children = RecordingSupervisor.last.children
    assert [child.name for child in children] == ["background worker (rqworker)"]
    assert "granian" not in " ".join(children[0].argv)
    assert isinstance(RecordingSupervisor.last.scheduler, SchedulerThread)
    assert RecordingSupervisor.last.scheduler.interval == 7


@pytest.mark.django_db
def test_serve_starts_the_same_worker_as_byline_worker(monkeypatch, settings):
    use_rq(settings)
    monkeypatch.setattr(serve, "Supervisor", RecordingSupervisor)

    call_command("serve", "--no-web")

    assert RecordingSupervisor.last.children[0].argv == task_worker_command()[1]


ENQUEUE_PING = """
import json, time
from byline.core.tasks import ping
result = ping.enqueue()
deadline = time.monotonic() + 30
while not result.is_finished and time.monotonic() < deadline:
    time.sleep(0.1)
    result.refresh()
print(json.dumps({"status": result.status, "workers": result.worker_ids}))
"""


@pytest.mark.django_db  # so that pytest-django builds the test database copied for the worker
@pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379")
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_byline_worker_runs_rq_tasks_and_stops_cleanly_on_sigterm(data_dir):  # noqa: F811
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    env = child_env(data_dir, 8000) | {"REDIS_URL": REDIS_TEST_URL}
    log_path = data_dir / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [BYLINE, "worker", "--schedule-interval", "1"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            assert wait_until(lambda: "Byline's worker is running" in log_path.read_text(), 30)
            done = subprocess.run(
                [BYLINE, "shell", "-c", ENQUEUE_PING], env=env, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
            facts = json.loads(done.stdout.strip().splitlines()[-1])
            assert facts["status"] == "SUCCESSFUL", log_path.read_text()
            assert len(facts["workers"]) == 1
            processes = descendants(worker.pid)
            assert processes, "the rqworker child"

            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0, log_path.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    output = log_path.read_text()
    assert "tasks: rqworker" in output
    assert "Byline stopped." in output
    assert "Traceback" not in output, output
    time.sleep(0.2)
    assert not [pid for pid in processes if is_alive(pid)], "processes outlived byline worker"


@task(queue_name="default")
def patient_task(marker: str) -> str:
    """Stands in for a long newsletter send: works until SIGTERM, then stops and says so."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    Path(marker).write_text("started")
    while not stop.wait(0.05):
        pass
    Path(marker).write_text("heard SIGTERM")
    return "stopped"


ENQUEUE_PATIENT = """
from byline.core.tests.test_worker import patient_task
print(patient_task.enqueue({marker!r}).id)
"""


@pytest.mark.django_db
@pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_sigterm_reaches_the_rq_task_in_progress_so_a_long_task_stops_cleanly(data_dir):  # noqa: F811
    """RQ alone would wait for the task forever (its work horse never hears the signal)."""
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    env = child_env(data_dir, 8000) | {"REDIS_URL": REDIS_TEST_URL}
    marker = data_dir / "patient-task"
    log_path = data_dir / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [BYLINE, "worker", "--schedule-interval", "60"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            assert wait_until(lambda: "Byline's worker is running" in log_path.read_text(), 30)
            done = subprocess.run(
                [BYLINE, "shell", "-c", ENQUEUE_PATIENT.format(marker=str(marker))],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            assert wait_until(lambda: marker.exists(), 30), log_path.read_text()
            processes = descendants(worker.pid)

            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0, log_path.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    assert marker.read_text() == "heard SIGTERM"
    assert "Byline stopped." in log_path.read_text()
    time.sleep(0.2)
    assert not [pid for pid in processes if is_alive(pid)], "the work horse outlived byline worker"
