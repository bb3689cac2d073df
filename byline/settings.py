"""Byline settings: read from environment variables only (see .env.example for every one)."""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from byline.lib.env import (
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("BYLINE_DATA_DIR", "./data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key("SECRET_KEY", DATA_DIR)
BYLINE_URL = env_url("BYLINE_URL", "http://127.0.0.1:8000")
_site = urlsplit(BYLINE_URL)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_site.hostname or "127.0.0.1", "localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True
LANGUAGE_CODE = "en"
USE_I18N = True

# Runs behind a TLS-terminating proxy in production: only trust its header when told to.
if env_bool("BYLINE_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of Byline append to X-Forwarded-For. Rate limits count readers by the
# address that many hops from the right; 0 means REMOTE_ADDR (anyone can forge the header otherwise).
BYLINE_TRUSTED_PROXIES = env_int("BYLINE_TRUSTED_PROXIES", 0, minimum=0)

INSTALLED_APPS = [
    "byline.pagecache",
    "byline.core",
    "byline.stories",
    "byline.related",
    "byline.search",
    "byline.members",
    "byline.newsletters",
    "byline.porting",
    "byline.comments",
    "byline.api",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.redirects",
    "wagtail.contrib.frontend_cache",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",  # the admin listings' filter widgets (members' sign-up date range)
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "byline.pagecache.middleware.PageCacheMiddleware",
    "byline.core.middleware.ContentSecurityPolicyMiddleware",
    "byline.core.middleware.SiteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "byline.urls"
WSGI_APPLICATION = "byline.wsgi.application"

# A publication's own theme folder (templates/ and static/) overrides the default theme file by file.
THEME_DIR = env_str("BYLINE_THEME_DIR")
_theme = Path(THEME_DIR).resolve() if THEME_DIR else None
if _theme and not _theme.is_dir():
    raise ImproperlyConfigured(f"BYLINE_THEME_DIR {THEME_DIR!r} is not a folder")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": ([_theme / "templates"] if _theme else []) + [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "byline.core.context_processors.publication",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'byline.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while the worker writes; IMMEDIATE avoids "database is locked" on
    # upgrades from read to write transactions. Connections are kept (CONN_MAX_AGE, as on PostgreSQL):
    # a new one parses the schema on its first statement and starts with a cold page cache, about
    # a millisecond of every request.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A page read at random costs about what a page read in order does when the data is cached or
    # on an SSD; PostgreSQL's default (4) prices a spinning disk. With it, the planner read all
    # 100,000 searchable stories to join the 245 matches of a rare word (13 ms) rather than look
    # each one up (3 ms). Sent as a startup option; PgBouncer refuses those: set it empty there
    # and put it on the database (ALTER DATABASE … SET random_page_cost = 1.1).
    RANDOM_PAGE_COST = env_str("DATABASE_RANDOM_PAGE_COST", "1.1")
    if RANDOM_PAGE_COST:
        try:
            valid = 0 < float(RANDOM_PAGE_COST) < 1e6
        except ValueError:
            valid = False
        if not valid:
            given = RANDOM_PAGE_COST
            raise ImproperlyConfigured(f"DATABASE_RANDOM_PAGE_COST must be a positive number, not {given!r}")
        # Added to what the URL set (?sslmode=…, ?options=…), which it must not replace.
        connect_options = DATABASES["default"].setdefault("OPTIONS", {})
        planner = f"-c random_page_cost={RANDOM_PAGE_COST}"
        connect_options["options"] = f"{connect_options.get('options', '')} {planner}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when set, carries the cache (shared by every web process) and the task queue (RQ).
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering must fail a request (and /healthz) in seconds, not hang it.
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "byline.lib.filecache.FileCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Background tasks: the database queue on one box; RQ on Redis when REDIS_URL is set, so any number of
# `byline worker` processes on any number of machines share one queue.
if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    # No time limit, as with the database queue: a newsletter send to a large list runs for hours, and
    # RQ's default (180 s) would kill it mid-send.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_URL = env_url("EMAIL_URL", "", schemes=("smtp", "smtps"))
if EMAIL_URL:
    globals().update(email_settings(EMAIL_URL))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"noreply@{_site.hostname or 'localhost'}")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = ([_theme / "static"] if _theme and (_theme / "static").is_dir() else []) + [
    PACKAGE_DIR / "static"
]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded media (images, documents): files in the data folder, or an S3-compatible bucket when
# MEDIA_S3_BUCKET is set (several web boxes then see the same files).
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
_s3_settings = {
    name: env_str(name)
    for name in (
        "MEDIA_S3_ENDPOINT_URL",
        "MEDIA_S3_REGION",
        "MEDIA_S3_ACCESS_KEY_ID",
        "MEDIA_S3_SECRET_ACCESS_KEY",
        "MEDIA_S3_CUSTOM_DOMAIN",
    )
}
if not MEDIA_S3_BUCKET and any(_s3_settings.values()):
    _given = ", ".join(name for name, value in _s3_settings.items() if value)
    raise ImproperlyConfigured(f"MEDIA_S3_BUCKET must be set too when {_given} is set")
if MEDIA_S3_BUCKET:
    # Keys come as a pair; neither means boto3 finds credentials itself (an instance role, ~/.aws).
    if bool(_s3_settings["MEDIA_S3_ACCESS_KEY_ID"]) != bool(_s3_settings["MEDIA_S3_SECRET_ACCESS_KEY"]):
        raise ImproperlyConfigured(
            "MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY must be set together (or neither, "
            "to use the machine's own AWS credentials)"
        )
    _s3_domain = _s3_settings["MEDIA_S3_CUSTOM_DOMAIN"]
    if "/" in _s3_domain or ":" in _s3_domain:
        raise ImproperlyConfigured(
            f"MEDIA_S3_CUSTOM_DOMAIN must be a host name such as media.example.com, not {_s3_domain!r}"
        )
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env_url("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": _s3_settings["MEDIA_S3_REGION"] or None,
            "access_key": _s3_settings["MEDIA_S3_ACCESS_KEY_ID"] or None,
            "secret_key": _s3_settings["MEDIA_S3_SECRET_ACCESS_KEY"] or None,
            "custom_domain": _s3_domain or None,
            # Public pages are cached and emailed: image URLs must not expire, so they are plain URLs
            # (the bucket, or the CDN in front of it, serves media publicly).
            "querystring_auth": False,
            # Never replace an existing file that a published story may still point at.
            "file_overwrite": False,
        },
    }
    if _s3_domain:
        MEDIA_URL = f"https://{_s3_domain}/"
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve static files straight from the app folders in development; in production from STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Security: safe by default, loosened only by DEBUG for local development over http.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
_https = _site.scheme == "https"
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env_bool("BYLINE_SSL_REDIRECT", True)
# Load balancers probe /healthz over plain HTTP on the private network: answer them, do not redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("BYLINE_HSTS_SECONDS", 31536000 if _https else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BYLINE_HSTS_INCLUDE_SUBDOMAINS", _https)
# Preloading is hard to undo, so it is an explicit opt-in; its deploy-check nag is silenced meanwhile.
SECURE_HSTS_PRELOAD = env_bool("BYLINE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Wagtail
WAGTAIL_SITE_NAME = "Byline"
WAGTAILADMIN_BASE_URL = BYLINE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILDOCS_SERVE_METHOD = "serve_view"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING").upper()},
}

# Members: magic links live this many minutes; sending them is limited per address and per IP an hour.
MEMBERS_LINK_MINUTES = env_int("MEMBERS_LINK_MINUTES", 15, minimum=1)
MEMBERS_LINKS_PER_EMAIL_HOUR = env_int("MEMBERS_LINKS_PER_EMAIL_HOUR", 5, minimum=1)
MEMBERS_LINKS_PER_IP_HOUR = env_int("MEMBERS_LINKS_PER_IP_HOUR", 20, minimum=1)
# Member sessions end after this many days without a visit, and this many days after signing in.
MEMBERS_SESSION_IDLE_DAYS = env_int("MEMBERS_SESSION_IDLE_DAYS", 30, minimum=1)
MEMBERS_SESSION_MAX_DAYS = env_int("MEMBERS_SESSION_MAX_DAYS", 180, minimum=1)
SESSION_COOKIE_AGE = MEMBERS_SESSION_IDLE_DAYS * 86400  # renewed when the last-seen time is written

# Related stories: how many days apart two stories must be for time to halve its part of their score.
RELATED_HALF_LIFE_DAYS = env_int("RELATED_HALF_LIFE_DAYS", 180, minimum=1)

# One-box installs serve uploaded media through Django; set false when nginx or a CDN does.
SERVE_MEDIA = env_bool("BYLINE_SERVE_MEDIA", True)

# Newsletters: kept-alive SMTP sessions per sending worker, recipients claimed at a time, seconds before
# a crashed worker's claims are taken back, and how temporary failures are retried (doubling each time).
NEWSLETTER_CONNECTIONS = env_int("NEWSLETTER_CONNECTIONS", 2, minimum=1)
NEWSLETTER_CHUNK_SIZE = env_int("NEWSLETTER_CHUNK_SIZE", 200, minimum=1)
NEWSLETTER_LEASE_SECONDS = env_int("NEWSLETTER_LEASE_SECONDS", 300, minimum=1)
NEWSLETTER_MAX_ATTEMPTS = env_int("NEWSLETTER_MAX_ATTEMPTS", 5, minimum=1)
NEWSLETTER_RETRY_SECONDS = env_int("NEWSLETTER_RETRY_SECONDS", 60, minimum=0)
# Recipients per API call when EMAIL_BACKEND is a django-anymail provider with batch sending (Mailgun
# takes up to 1,000); a crash mid-call leaves one such batch uncertain.
NEWSLETTER_ESP_BATCH_SIZE = env_int("NEWSLETTER_ESP_BATCH_SIZE", 500, minimum=1)

# Webhooks out: attempts per event, seconds before the first retry (then doubling), seconds to wait for
# an answer, and whether targets on loopback, private or link-local addresses are allowed (off: SSRF).
WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 5, minimum=1)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 1, minimum=0)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 2, minimum=1)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# Optional DKIM signing of newsletter emails: a PEM private key file, its selector, and the signing
# domain (default: the sender address's domain). The public key goes in DNS at <selector>._domainkey.
NEWSLETTER_DKIM_KEY_FILE = env_str("NEWSLETTER_DKIM_KEY_FILE", "")
NEWSLETTER_DKIM_SELECTOR = env_str("NEWSLETTER_DKIM_SELECTOR", "byline")
NEWSLETTER_DKIM_DOMAIN = env_str("NEWSLETTER_DKIM_DOMAIN", "")
# Newsletter sending limits for providers that cap them (messages a minute / a day; 0 means no limit).
NEWSLETTER_PER_MINUTE = env_int("NEWSLETTER_PER_MINUTE", 0, minimum=0)
NEWSLETTER_PER_DAY = env_int("NEWSLETTER_PER_DAY", 0, minimum=0)
# Email providers' delivery webhooks (django-anymail) at /webhooks/email/<provider>/tracking/: served
# only when this basic-auth secret ("user:password") is set; bounces and complaints switch off the
# member's email.
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "")}

# The anonymous page cache (byline/pagecache/README.md): on by default. Pages live this many seconds
# at most (purges make them stale sooner); a CDN may keep them s-maxage seconds. With a folder set,
# anonymous HTML pages are also written there as files for nginx to serve (deploy/nginx.conf).
# Off by default with DEBUG: someone changing templates wants to see the change on the next reload.
PAGECACHE_ENABLED = env_bool("BYLINE_PAGE_CACHE", not DEBUG)
PAGECACHE_SECONDS = env_int("BYLINE_PAGE_CACHE_SECONDS", 3600, minimum=1)
PAGECACHE_CDN_SECONDS = env_int("BYLINE_CDN_MAX_AGE", 60, minimum=0)
PAGECACHE_STATIC_DIR = env_str("BYLINE_STATIC_PAGES_DIR", "")
PAGECACHE_CACHE_ALIAS = "pages"
CACHES["pages"] = (
    {**CACHES["default"], "KEY_PREFIX": "pages"}
    if REDIS_URL
    else {
        # Shared by every web process on the box (a purge must reach them all), unlike local memory.
        "BACKEND": "byline.lib.filecache.FileCache",
        "LOCATION": str(DATA_DIR / "pages"),
        "OPTIONS": {"MAX_ENTRIES": env_int("BYLINE_PAGE_CACHE_ENTRIES", 20000, minimum=100)},
    }
)
