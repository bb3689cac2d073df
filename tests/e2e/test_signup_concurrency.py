"""Many confirmations at once, against a live server on PostgreSQL: one member per address, no 500s.

Readers double-click, mail apps prefetch, people ask for a link twice and open both. Here 50 people
sign up with their address typed in mixed case, four links each, and all 200 links are confirmed at
the same moment. In-memory SQLite cannot show this (one connection's locks are shared by every thread),
so the test runs in the PostgreSQL pass of `make test`.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core import mail
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from byline.members.models import Member, SignInToken

ADDRESSES = 50
LINKS_EACH = 4
LINK = re.compile(r"/members/\?token=([A-Za-z0-9_\-]+)")
TOKEN_FIELD = re.compile(r'name="token" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


SERVER_THREADS = 32
CLOSE = {"Connection": "close"}  # one request per connection: a kept-alive one would hold a worker


class PooledWSGIServer(ThreadedWSGIServer):
    """Django's test server with a fixed pool of request threads, like a production server's workers.

    The stock live server starts a thread per connection, so 200 simultaneous requests would open 200
    database connections and meet PostgreSQL's limit (100) before they met our code.
    """

    # A production server's listen backlog, so 200 connections arriving together all queue.
    request_queue_size = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.workers = ThreadPoolExecutor(SERVER_THREADS)

    def process_request(self, request, client_address):
        self.workers.submit(self.process_request_thread, request, client_address)

    def server_close(self):
        self.workers.shutdown(wait=True)
        super().server_close()


class PooledLiveServerThread(LiveServerThread):
    server_class = PooledWSGIServer


@pytest.fixture
def pooled_server():
    server = PooledLiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()


def mixed_case(address: str, variant: int) -> str:
    local, domain = address.split("@")
    if variant % 2:
        local = local.upper()
    if variant >= 2:
        domain = domain.title()
    return f"{local}@{domain}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_hundred_concurrent_confirmations_make_exactly_fifty_members(pooled_server, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: in-memory SQLite shares one connection's locks across threads")
    settings.MEMBERS_LINKS_PER_IP_HOUR = 1000
    addresses = [f"reader{number}@example.com" for number in range(ADDRESSES)]

    def ask_for_link(typed):
        return requests.post(
            f"{pooled_server}/members/api/send-magic-link/",
            json={"email": typed, "emailType": "signup"},
            headers=CLOSE,
            timeout=30,
        )

    typed = [mixed_case(address, variant) for variant in range(LINKS_EACH) for address in addresses]
    with ThreadPoolExecutor(8) as clients:
        answers = list(clients.map(ask_for_link, typed))
    assert [answer.status_code for answer in answers] == [201] * 200
    tokens = [LINK.search(message.body).group(1) for message in mail.outbox]
    assert len(tokens) == ADDRESSES * LINKS_EACH == 200

    def open_link(token):
        # The confirmation page sets the CSRF cookie the Confirm button's form needs.
        session = requests.Session()
        page = session.get(f"{pooled_server}/members/?token={token}", headers=CLOSE, timeout=30)
        assert page.status_code == 200
        return session, TOKEN_FIELD.search(page.text).group(1), CSRF_FIELD.search(page.text).group(1)

    with ThreadPoolExecutor(8) as clients:
        sessions = list(clients.map(open_link, tokens))
    assert not Member.objects.exists()  # opening links creates nobody

    # Then all 200 press Confirm at the same moment.
    barrier = threading.Barrier(len(sessions))
    statuses = []

    def confirm(session, token, csrf):
        barrier.wait()
        response = session.post(
            f"{pooled_server}/members/",
            data={"token": token, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{pooled_server}/members/", **CLOSE},
            allow_redirects=False,
            timeout=60,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=confirm, args=item) for item in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == 200
    assert 500 not in statuses
    # Every link was good and unused: each confirmation signs its reader in.
    assert statuses.count(302) == 200, sorted(set(statuses))
    assert Member.objects.count() == ADDRESSES
    assert sorted(Member.objects.values_list("email", flat=True)) == sorted(addresses)
    assert SignInToken.objects.filter(used_at__isnull=True).count() == 0
