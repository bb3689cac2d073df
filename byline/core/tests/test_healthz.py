"""/healthz: what a load balancer asks before sending readers to this web process."""

import pytest
import redis

from byline.lib.smtp_sink import free_port

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/9"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_it_answers_ok_with_every_check_when_all_parts_answer(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok"},
    }


def test_it_is_never_cached_and_touches_no_session(client):
    from django.contrib.sessions.models import Session

    response = client.get("/healthz")

    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    # The session middleware adds "Vary: Cookie" whenever a view reads or writes the session.
    assert "Cookie" not in response.get("Vary", "")
    assert not Session.objects.exists()


def test_it_answers_head_and_refuses_post(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_a_cache_that_does_not_answer_makes_it_503_naming_the_cache(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed_port_url()}
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {"database": "ok", "cache": "failing", "queue": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


def test_a_database_queue_table_that_is_missing_makes_it_503_naming_the_queue(client, settings):
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(DBTaskResult._meta.db_table)}")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "queue": "failing"}


@pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_it_pings_redis_for_the_rq_queue(client, settings):
    settings.RQ_QUEUES = {"default": {"URL": REDIS_TEST_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

    assert client.get("/healthz").json()["checks"]["queue"] == "ok"

    settings.RQ_QUEUES = {"default": {"URL": closed_port_url()}}
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "queue": "failing"}


def test_a_load_balancer_probing_over_plain_http_is_answered_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/robots.txt").status_code == 301  # the rest of the site still goes to https
