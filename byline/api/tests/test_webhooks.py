"""Webhooks out, delivered to a real HTTP server on this machine: signature, retries, 410, SSRF refusal."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from byline.api import services, webhooks
from byline.api.models import Webhook


class Receiver:
    """An HTTP server that records each POST and answers from a script of (status, delay) pairs."""

    def __init__(self):
        self.received = []
        self.script = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status, delay = receiver.script.pop(0) if receiver.script else (200, 0)
                time.sleep(delay)
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(item["body"]) for item in self.received]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    settings.WEBHOOK_RETRY_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def hook(integration, receiver):
    def make(event, secret=""):
        return Webhook.objects.create(
            integration=integration, event=event, target_url=receiver.url, secret=secret
        )

    return make


def test_a_published_story_is_announced_once_and_signed(
    hook, receiver, make_story, django_capture_on_commit_callbacks
):
    hook("post.published", secret="shared-secret")
    with django_capture_on_commit_callbacks(execute=True):
        make_story("Bridge reopens")
    assert len(receiver.received) == 1
    delivery = receiver.received[0]
    body = json.loads(delivery["body"])
    assert body["post"]["current"]["title"] == "Bridge reopens"
    assert body["post"]["current"]["status"] == "published"
    signature, stamp = delivery["headers"]["X-Ghost-Signature"].split(", ")
    expected = hmac.new(b"shared-secret", delivery["body"] + stamp[2:].encode(), hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    assert abs(int(stamp[2:]) - time.time() * 1000) < 60_000
    assert delivery["headers"]["Content-Type"] == "application/json"


def test_without_a_secret_there_is_no_signature(
    hook, receiver, make_story, django_capture_on_commit_callbacks
):
    hook("post.published")
    with django_capture_on_commit_callbacks(execute=True):
        make_story("Unsigned")
    assert "X-Ghost-Signature" not in receiver.received[0]["headers"]


def test_failures_are_retried_then_recorded(hook, receiver, make_story, django_capture_on_commit_callbacks):
    webhook = hook("post.published")
    receiver.script = [(500, 0), (503, 0)]
    with django_capture_on_commit_callbacks(execute=True):
        make_story("Third time lucky")
    assert len(receiver.received) == 3
    webhook.refresh_from_db()
    assert (webhook.last_triggered_status, webhook.last_triggered_error) == ("200", "")


def test_it_gives_up_after_the_last_attempt_and_says_why(
    hook, receiver, settings, make_story, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ATTEMPTS = 3
    webhook = hook("post.published")
    receiver.script = [(503, 0)] * 5
    with django_capture_on_commit_callbacks(execute=True):
        make_story("Never arrives")
    assert len(receiver.received) == 3
    webhook.refresh_from_db()
    assert webhook.last_triggered_status == "503"
    assert "HTTP 503" in webhook.last_triggered_error and webhook.last_triggered_at


def test_a_slow_target_times_out(hook, receiver, settings):
    settings.WEBHOOK_ATTEMPTS = 1
    webhook = hook("site.changed")
    receiver.script = [(200, 1.5)]
    assert webhooks.deliver.call(webhook.pk, "{}") == "error"
    webhook.refresh_from_db()
    assert "timed out" in webhook.last_triggered_error


def test_redirects_are_not_followed(hook, receiver, settings):
    settings.WEBHOOK_ATTEMPTS = 1
    webhook = hook("site.changed")
    receiver.script = [(302, 0)]
    assert webhooks.deliver.call(webhook.pk, "{}") == "302"
    assert len(receiver.received) == 1


def test_410_gone_removes_the_webhook(hook, receiver):
    webhook = hook("site.changed")
    receiver.script = [(410, 0)]
    assert webhooks.deliver.call(webhook.pk, "{}") == "410: webhook removed"
    assert not Webhook.objects.filter(pk=webhook.pk).exists()


def test_a_rolled_back_change_announces_nothing(hook, receiver, make_tag, django_capture_on_commit_callbacks):
    hook("tag.added")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                make_tag("Ghost town")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
    assert receiver.received == []


def test_tags_members_deletions_and_the_site_are_announced(
    hook, receiver, make_tag, make_story, site, django_capture_on_commit_callbacks
):
    for event in ("tag.added", "member.added", "post.deleted", "site.changed"):
        hook(event)
    from byline.core.models import PublicationSettings
    from byline.members.models import Member

    with django_capture_on_commit_callbacks(execute=True):
        story = make_story("Short lived")
    receiver.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_tag("Weather")
        Member.objects.create(email="reader@example.com", name="A Reader")
        story.delete()
        PublicationSettings.for_site(site).save()
    events = receiver.events()
    assert {"tag": events[0]["tag"]["current"]["name"]} == {"tag": "Weather"}
    assert events[1]["member"]["current"]["email"] == "reader@example.com"
    deleted = next(event for event in events if "post" in event)
    assert deleted["post"]["current"] == {} and deleted["post"]["previous"]["title"] == "Short lived"
    assert events.count({}) == 1  # site.changed, once for the whole transaction


# ----- SSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.10/",
     "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://0.0.0.0/", "http://[fd00::1]/",
     "ftp://example.com/", "javascript:alert(1)", "http:///nohost", "http://does-not-resolve.invalid/"],
)  # fmt: skip
def test_targets_inside_the_network_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(webhooks.TargetRefused):
        webhooks.check_target(url)


def test_a_stored_private_target_is_refused_at_delivery(hook, receiver, settings):
    webhook = hook("site.changed")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert webhooks.deliver.call(webhook.pk, "{}") == "refused"
    assert receiver.received == []
    webhook.refresh_from_db()
    assert "127.0.0.1" in webhook.last_triggered_error


# ----- through the Admin API -----------------------------------------------------------------------


def test_integrations_manage_their_webhooks_through_the_admin_api(client, integration, receiver, settings):
    from byline.api.tests.test_admin_api import token

    auth = {"HTTP_AUTHORIZATION": f"Ghost {token(integration)}"}
    body = {"webhooks": [{"event": "post.published", "target_url": receiver.url, "secret": "s3"}]}
    created = client.post("/ghost/api/admin/webhooks/", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    hook = created.json()["webhooks"][0]
    assert hook["event"] == "post.published" and hook["integration_id"] == f"{integration.pk:024x}"
    edited = client.put(
        f"/ghost/api/admin/webhooks/{hook['id']}/",
        {"webhooks": [{"event": "post.unpublished"}]},
        content_type="application/json",
        **auth,
    )
    assert edited.json()["webhooks"][0]["event"] == "post.unpublished"
    other = services.add_integration("Someone else")
    theirs = Webhook.objects.create(integration=other, event="site.changed", target_url=receiver.url)
    assert client.delete(f"/ghost/api/admin/webhooks/{theirs.pk:024x}/", **auth).status_code == 404
    assert client.delete(f"/ghost/api/admin/webhooks/{hook['id']}/", **auth).status_code == 204
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    refused = client.post("/ghost/api/admin/webhooks/", body, content_type="application/json", **auth)
    assert refused.status_code == 422
    bad_event = {"webhooks": [{"event": "post.exploded", "target_url": "https://example.com/"}]}
    assert (
        client.post(
            "/ghost/api/admin/webhooks/", bad_event, content_type="application/json", **auth
        ).status_code
        == 422
    )
