"""Settings for the test suite: the real settings, made fast and self-contained.

Tasks run immediately and email stays in memory unless a test is about the queue or SMTP (those tests
override these per test with real parts).
"""

import os
import tempfile

os.environ.setdefault("BYLINE_DATA_DIR", tempfile.mkdtemp(prefix="byline-test-"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.pop("REDIS_URL", None)
os.environ.pop("EMAIL_URL", None)

from byline.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
# Most tests read a page, change something and read it again without going through the signals a
# real change sends; the page cache's own tests switch it on.
PAGECACHE_ENABLED = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WAGTAILEMBEDS_FINDERS = []  # Never fetch oEmbed from the network in tests.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)
