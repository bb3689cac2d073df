"""The two profiles: one box (SQLite, file cache, database queue, media on disk) and scale-out
(PostgreSQL, Redis cache, RQ queue, media on S3), switched by environment variables alone.

Each case imports the real settings module in a fresh interpreter with a chosen environment, as a
deployment would start, and reads what it decided. No S3 server runs here: these tests stop at the
settings (which storage class, with which options), not at a fake bucket.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRINT_SETTINGS = """
import json
from byline import settings as s
print(json.dumps({
    "database": s.DATABASES["default"]["ENGINE"],
    "database_options": s.DATABASES["default"].get("OPTIONS", {}),
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"]["LOCATION"],
    "tasks": s.TASKS["default"]["BACKEND"],
    "rq_queues": getattr(s, "RQ_QUEUES", None),
    "apps": s.INSTALLED_APPS,
    "media": s.STORAGES["default"],
    "media_url": s.MEDIA_URL,
}))
"""


def load_settings(tmp_path, **variables) -> dict:
    done = run_settings(tmp_path, **variables)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_settings(tmp_path, **variables) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "BYLINE_", "MEDIA_S3_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(BYLINE_DATA_DIR=str(tmp_path), SECRET_KEY="profile-test-secret-key-0123456789-abcdefghij")
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_one_box_uses_sqlite_a_file_cache_the_database_queue_and_media_on_disk(tmp_path):
    profile = load_settings(tmp_path)

    assert profile["database"] == "django.db.backends.sqlite3"
    assert profile["cache"] == "byline.lib.filecache.FileCache"
    assert profile["tasks"] == "django_tasks_db.DatabaseBackend"
    assert profile["rq_queues"] is None
    assert "django_rq" not in profile["apps"]
    assert profile["media"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert profile["media_url"] == "/media/"


def test_database_and_redis_urls_switch_to_postgresql_redis_and_rq(tmp_path):
    profile = load_settings(
        tmp_path,
        DATABASE_URL="postgres://byline:secret@db.internal:5432/byline",
        REDIS_URL="redis://cache.internal:6379/2",
    )

    assert profile["database"] == "django.db.backends.postgresql"
    assert profile["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert profile["cache_location"] == "redis://cache.internal:6379/2"
    assert profile["tasks"] == "django_tasks_rq.RQBackend"
    assert profile["rq_queues"]["default"]["URL"] == "redis://cache.internal:6379/2"
    # RQ's default limit (180 s) would kill a long newsletter send mid-way.
    assert profile["rq_queues"]["default"]["DEFAULT_TIMEOUT"] == -1
    assert {"django_rq", "django_tasks_rq"} <= set(profile["apps"])
    # The planner prices a page read at random as cached data costs it, not a spinning disk.
    assert profile["database_options"] == {"options": "-c random_page_cost=1.1"}


def test_the_planner_setting_can_be_left_to_the_database_as_pgbouncer_needs(tmp_path):
    url = "postgres://byline:secret@db.internal:5432/byline"
    assert load_settings(tmp_path, DATABASE_URL=url, DATABASE_RANDOM_PAGE_COST="")["database_options"] == {}
    chosen = load_settings(tmp_path, DATABASE_URL=url, DATABASE_RANDOM_PAGE_COST="2")["database_options"]
    assert chosen == {"options": "-c random_page_cost=2"}


def test_the_planner_setting_keeps_the_options_the_database_url_gives(tmp_path):
    url = "postgres://byline:secret@db.internal:5432/byline?sslmode=require&options=-c%20statement_timeout%3D5000"
    options = load_settings(tmp_path, DATABASE_URL=url)["database_options"]
    assert options == {"sslmode": "require", "options": "-c statement_timeout=5000 -c random_page_cost=1.1"}


def test_the_rq_profile_passes_django_tasks_rq_system_checks(tmp_path):
    """django-tasks-rq checks that django_rq is installed and that every queue is in RQ_QUEUES."""
    done = subprocess.run(
        [sys.executable, "-m", "byline.manage", "check", "--fail-level", "ERROR"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BYLINE_"))},
            "BYLINE_DATA_DIR": str(tmp_path),
            "SECRET_KEY": "profile-test-secret-key-0123456789-abcdefghij",
            "REDIS_URL": "redis://127.0.0.1:6379/9",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_an_s3_bucket_moves_uploaded_media_to_s3_compatible_storage(tmp_path):
    profile = load_settings(
        tmp_path,
        MEDIA_S3_BUCKET="newsroom-media",
        MEDIA_S3_ENDPOINT_URL="https://s3.storage.example",
        MEDIA_S3_REGION="eu-west-1",
        MEDIA_S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        MEDIA_S3_SECRET_ACCESS_KEY="example-secret",
        MEDIA_S3_CUSTOM_DOMAIN="media.newsroom.example",
    )

    assert profile["media"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert profile["media"]["OPTIONS"] == {
        "bucket_name": "newsroom-media",
        "endpoint_url": "https://s3.storage.example",
        "region_name": "eu-west-1",
        "access_key": "AKIAEXAMPLE",
        "secret_key": "example-secret",
        "custom_domain": "media.newsroom.example",
        "querystring_auth": False,
        "file_overwrite": False,
    }
    assert profile["media_url"] == "https://media.newsroom.example/"


def test_a_bucket_alone_uses_the_machines_own_credentials(tmp_path):
    profile = load_settings(tmp_path, MEDIA_S3_BUCKET="newsroom-media")

    options = profile["media"]["OPTIONS"]
    assert options["bucket_name"] == "newsroom-media"
    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (None, None, None)
    assert profile["media_url"] == "/media/"


def test_the_s3_storage_class_is_importable_and_builds_plain_public_urls(tmp_path):
    script = """
import django
django.setup()
from django.core.files.storage import storages
media = storages["default"]
print(type(media).__module__, media.url("images/front.jpg"))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BYLINE_", "MEDIA_S3_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="byline.settings",
        BYLINE_DATA_DIR=str(tmp_path),
        SECRET_KEY="profile-test-secret-key-0123456789-abcdefghij",
        MEDIA_S3_BUCKET="newsroom-media",
        MEDIA_S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        MEDIA_S3_SECRET_ACCESS_KEY="example-secret",
        MEDIA_S3_CUSTOM_DOMAIN="media.newsroom.example",
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["storages.backends.s3", "https://media.newsroom.example/images/front.jpg"]


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"MEDIA_S3_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "MEDIA_S3_BUCKET must be set too"),
        ({"MEDIA_S3_BUCKET": "b", "MEDIA_S3_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "must be set together"),
        ({"MEDIA_S3_BUCKET": "b", "MEDIA_S3_SECRET_ACCESS_KEY": "s"}, "must be set together"),
        (
            {"MEDIA_S3_BUCKET": "b", "MEDIA_S3_ENDPOINT_URL": "s3.example"},
            "MEDIA_S3_ENDPOINT_URL must be a URL",
        ),
        ({"MEDIA_S3_BUCKET": "b", "MEDIA_S3_CUSTOM_DOMAIN": "https://cdn.example"}, "must be a host name"),
        ({"REDIS_URL": "cache.internal:6379"}, "REDIS_URL must be a URL"),
        (
            {"DATABASE_URL": "postgres://db/byline", "DATABASE_RANDOM_PAGE_COST": "1 -c work_mem=1TB"},
            "DATABASE_RANDOM_PAGE_COST must be a positive number",
        ),
        (
            {"DATABASE_URL": "postgres://db/byline", "DATABASE_RANDOM_PAGE_COST": "-1"},
            "DATABASE_RANDOM_PAGE_COST must be a positive number",
        ),
    ],
)
def test_incomplete_or_malformed_scale_out_settings_stop_the_start_naming_the_variable(
    tmp_path, variables, message
):
    done = run_settings(tmp_path, **variables)

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert message in done.stderr
