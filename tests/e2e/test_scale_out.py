"""The scale-out profile for real: two web processes and two workers on one PostgreSQL and one Redis.

`byline serve --no-worker` twice (web A and web B) and `byline worker` twice (each an RQ worker plus a
scheduled-publishing clock), all sharing the PostgreSQL test database and a Redis database of this
test's own, with an aiosmtpd server as the mail server. One test, because starting four Django
processes is the expensive part; it checks that

(a) a newsletter send run by both workers at once reaches every subscriber exactly once, and both
    workers really sent some of it (each SMTP session is traced back to the worker process that opened it);
(b) a story scheduled to go live is published once, with two clocks ticking every second;
(c) a story edited through the Admin API on web A shows its new title on web B within a second, even
    when web B had the old page in its cache.

Runs in the PostgreSQL pass of `make test` (skipped on SQLite, or when Redis does not answer).
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import jwt
import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection
from wagtail.models import PageLogEntry

from byline.api import services as api_services
from byline.core.tests.test_serve import wait_until
from byline.lib.smtp_sink import free_port
from byline.members.models import Member
from byline.newsletters.models import Email, Newsletter
from byline.stories.models import StoryPage

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/7")
SUBSCRIBERS = 1200
# Seconds four Django processes may take to start: a few on an idle machine, far more on a busy CI box.
STARTUP = 180
NOT_INHERITED = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# ----- which process sent a message ---------------------------------------------------------------


def children_of(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = {pid}, {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def socket_inode(client_port: int, server_port: int) -> str | None:
    """The inode of the client end of a TCP connection on this machine (from /proc/net/tcp)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
            if (local, remote) == (client_port, server_port):
                return fields[9]
    return None


def owner_of(client_port: int, server_port: int, workers: dict[str, int]) -> str | None:
    """Which worker (by name) has, among its processes, the socket of this SMTP session."""
    inode = socket_inode(client_port, server_port)
    if inode is None:
        return None
    for name, root in workers.items():
        for pid in children_of(root):
            try:
                descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for descriptor in descriptors:
                try:
                    if os.readlink(descriptor) == f"socket:[{inode}]":
                        return name
                except OSError:
                    continue
    return None


class TracingSink:
    """An SMTP server that records each recipient and which worker's session delivered it.

    Each message is slowed a little so that one worker cannot finish the send before the other starts.
    """

    def __init__(self):
        self.received: list[tuple[str, str | None]] = []
        self.owners: dict[tuple, str | None] = {}
        self.workers: dict[str, int] = {}
        self.port = free_port()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if session.peer not in self.owners:
            self.owners[session.peer] = owner_of(session.peer[1], self.port, self.workers)
        with self.lock:
            self.received.extend((address, self.owners[session.peer]) for address in envelope.rcpt_tos)
        await asyncio.sleep(0.004)
        return "250 2.0.0 Queued"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


# ----- the processes -------------------------------------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(data_dir: Path, smtp_port: int, site_port: int) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="byline.settings",
        BYLINE_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url(),
        REDIS_URL=REDIS_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        SECRET_KEY="scale-out-test-secret-key-not-for-production-0123456789",
        BYLINE_URL=f"http://127.0.0.1:{site_port}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="1",  # static files from the app folders: no collectstatic needed
        BYLINE_PAGE_CACHE="on",  # DEBUG would switch it off
        NEWSLETTER_CONNECTIONS="1",
        NEWSLETTER_CHUNK_SIZE="20",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


class Cluster:
    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *arguments: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "byline.manage", *arguments],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.processes)

    def shell(self, script: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "byline.manage", "shell", "-c", script],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def fetch(port: int, path: str, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()
    except OSError:
        return None, {}, ""


def wait_for(condition, timeout: float, message: str, interval: float = 0.1):
    value = wait_until(condition, timeout, interval)
    assert value, message
    return value


def admin_token(integration) -> str:
    now = int(time.time())
    claims = {"iat": now, "exp": now + 300, "aud": "/admin/"}
    key = bytes.fromhex(integration.admin_secret)
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": integration.admin_key_id})


# Run by a child `byline shell` once the workers are up, so that publishing queues on RQ (this test
# process runs tasks immediately, as the whole suite does).
PUBLISH = """
import json
from datetime import timedelta
from django.utils import timezone
from byline.core.models import HomePage
from byline.newsletters.models import Email, Newsletter
from byline.newsletters.tasks import send_email
from byline.stories.models import Author, StoryAuthor, StoryPage

home = HomePage.objects.get(depth=2)
author = Author.objects.get(slug="harbour-desk")

def story(title, slug, **fields):
    body = [{"type": "rich_text", "value": "<p>Filed for the test.</p>"}]
    page = StoryPage(title=title, slug=slug, body=body, **fields)
    home.add_child(instance=page)
    StoryAuthor.objects.create(story=page, author=author)
    return page

newsletter = Newsletter.objects.get(slug="harbour-news")
sent = story("The harbour reopens", "harbour-reopens", email_newsletter=newsletter)
sent.save_revision().publish()  # creates the send and queues it
email = Email.objects.get(story_id=sent.pk)
send_email.enqueue(email.pk)  # a second run of the same send, for the other worker

later = story("The evening tide", "evening-tide", live=False)
later.go_live_at = timezone.now() + timedelta(seconds=3)
later.save_revision().publish()  # scheduled, not live
print(json.dumps({"email": email.pk, "scheduled": later.pk}))
"""


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: run with DATABASE_URL=postgres://…",
)
@pytest.mark.skipif(not redis_answers(), reason=f"no Redis at {REDIS_URL}")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="traces SMTP sessions through /proc")
def test_two_web_processes_and_two_workers_share_one_database_and_one_redis(
    tmp_path, make_story, make_author
):
    assert connection.vendor == "postgresql"
    redis.Redis.from_url(REDIS_URL).flushdb()

    # The publication, written here and committed (this test's transactions are real).
    make_author("Harbour Desk")
    lighthouse = make_story("The lighthouse keeper", slug="lighthouse")
    integration = api_services.add_integration("Scale-out newsroom tool")
    newsletter = Newsletter.objects.create(
        name="Harbour news", slug="harbour-news", sender_email="desk@harbour.test"
    )
    Member.objects.bulk_create(
        [Member(email=f"reader{n}@harbour.test") for n in range(SUBSCRIBERS)], batch_size=500
    )
    Through = Member.newsletters.through
    Through.objects.bulk_create(
        [
            Through(member_id=pk, newsletter_id=newsletter.pk)
            for pk in Member.objects.values_list("pk", flat=True)
        ]
    )

    sink = TracingSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=sink.port)
    smtp.start()
    web_a, web_b = free_port(), free_port()
    cluster = Cluster(tmp_path, child_env(tmp_path, sink.port, web_a))
    try:
        for name, port in (("web-a", web_a), ("web-b", web_b)):
            cluster.start(
                name, "serve", "--no-worker", "--port", str(port), "--workers", "1", "--threads", "4"
            )
        for name in ("worker-1", "worker-2"):
            sink.workers[name] = cluster.start(name, "worker", "--schedule-interval", "1").pid
        for port in (web_a, web_b):
            wait_for(
                lambda port=port: fetch(port, "/healthz")[0] is not None,
                STARTUP,
                cluster.logs(),
                interval=0.3,
            )
            status, _, body = fetch(port, "/healthz")
            assert status == 200, body
            assert json.loads(body)["checks"] == {"database": "ok", "cache": "ok", "queue": "ok"}
        workers = redis.Redis.from_url(REDIS_URL)
        wait_for(
            lambda: workers.scard("rq:workers") == 2,
            STARTUP,
            "two RQ workers did not register\n" + cluster.logs(),
        )

        # (c, first half) Both web processes have served, and cached, the story as it is.
        outcomes, answers = [], []
        for port in (web_a, web_b, web_a, web_b):
            status, headers, body = fetch(port, "/lighthouse/")
            assert status == 200 and "The lighthouse keeper" in body
            outcomes.append({k.lower(): v for k, v in headers.items()}.get("x-cache"))
            answers.append(headers)
        # Each web process is asked on its own port, so its own host: two keys, each stored once.
        assert outcomes == ["MISS", "MISS", "HIT", "HIT"], answers

        published = cluster.shell(PUBLISH)

        # (a) Every subscriber gets the newsletter exactly once, from both workers together.
        email = Email.objects.get(pk=published["email"])
        wait_for(
            lambda: Email.objects.filter(pk=email.pk, status=Email.SENT).exists(),
            60,
            f"the send did not finish ({sink.count()} messages)\n" + cluster.logs(),
            interval=0.3,
        )
        received = Counter(address for address, _ in sink.received)
        assert set(received) == {f"reader{n}@harbour.test" for n in range(SUBSCRIBERS)}
        assert max(received.values()) == 1
        by_worker = Counter(worker for _, worker in sink.received)
        assert None not in by_worker, f"an SMTP session could not be traced to a worker: {by_worker}"
        assert set(by_worker) == {"worker-1", "worker-2"}, by_worker

        # (b) The scheduled story went live once, though two clocks were ticking every second.
        scheduled = StoryPage.objects.get(pk=published["scheduled"])
        wait_for(
            lambda: StoryPage.objects.get(pk=scheduled.pk).live, 30, "the scheduled story never went live"
        )
        time.sleep(2.5)  # two more ticks of each clock
        publishes = PageLogEntry.objects.filter(
            page_id=scheduled.pk, action="wagtail.publish.scheduled"
        ).count()
        assert publishes == 1
        assert fetch(web_b, "/evening-tide/")[0] == 200

        # (c) An edit through web A's Admin API shows on web B within a second.
        auth = {"Authorization": f"Ghost {admin_token(integration)}"}
        status, _, body = fetch(web_a, "/ghost/api/admin/posts/", headers=auth)
        assert status == 200, body
        [post] = [post for post in json.loads(body)["posts"] if post["slug"] == "lighthouse"]
        status, _, body = fetch(
            web_a,
            f"/ghost/api/admin/posts/{post['id']}/",
            method="PUT",
            body={"posts": [{"title": "The lighthouse keeper retires", "updated_at": post["updated_at"]}]},
            headers=auth,
        )
        assert status == 200, body
        edited_at = time.monotonic()
        wait_for(
            lambda: "The lighthouse keeper retires" in fetch(web_b, "/lighthouse/")[2],
            1.0,
            "web B still showed the old title a second after the edit on web A",
            interval=0.02,
        )
        assert time.monotonic() - edited_at <= 1.0
        assert lighthouse.pk == post_pk(post)
        print(f"page cache on A, B, A, B before the edit: {outcomes}; sends by worker: {dict(by_worker)}")
    finally:
        cluster.stop()
        smtp.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
    for name in cluster.processes:
        assert "Traceback" not in cluster.log(name), cluster.log(name)


def post_pk(post: dict) -> int:
    from byline.api import serializers

    return serializers.parse_id(post["id"])
