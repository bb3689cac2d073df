"""Security headers on every public response, a clean `byline check --deploy` in a production-like
environment, and no secret key in the repository."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[3]
BYLINE = Path(sys.executable).parent / "byline"


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        directives[name] = values
    return directives


@pytest.fixture
def public_urls(make_story, make_tag, make_author):
    story = make_story("Harbour", tags=[make_tag("Local")], authors=[make_author("Ada Lovelace")])
    return [
        "/",
        story.url,
        "/tag/local/",
        "/author/ada-lovelace/",
        "/rss/",
        "/sitemap.xml",
        "/robots.txt",
        "/no-such-page/",
    ]


def test_public_responses_carry_the_security_headers(client, public_urls):
    for url in public_urls:
        response = client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        assert "Content-Security-Policy" in response, url


def test_content_security_policy_forbids_inline_and_foreign_scripts(client, public_urls):
    for url in public_urls:
        directives = policy(client.get(url))
        assert directives["script-src"] == ["'self'"], url
        assert directives["default-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        for values in directives.values():
            assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, url


def test_pages_have_nothing_inline_that_the_policy_would_block(client, public_urls):
    """The policy forbids inline scripts, event handlers and styles: the theme must not need them
    (JSON-LD is data, not script, and is allowed)."""
    for url in public_urls:
        response = client.get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue
        soup = BeautifulSoup(response.content, "lxml")
        for script in soup.find_all("script"):
            assert script.get("src") or script.get("type") == "application/ld+json", url
        assert not soup.find_all("style"), url
        for element in soup.find_all(True):
            assert "style" not in element.attrs, (url, element.name)
            assert not [name for name in element.attrs if name.startswith("on")], (url, element.name)


def test_anonymous_pages_set_no_cookies(client, public_urls):
    """A page that sets a cookie could not be cached and shared between readers."""
    for url in public_urls:
        assert not client.get(url).cookies, url


def test_admin_cannot_be_framed(client, db):
    assert client.get("/admin/login/")["X-Frame-Options"] == "DENY"


def random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def test_deploy_check_passes_with_production_settings(tmp_path):
    # A clean environment: nothing from the test run (DJANGO_SETTINGS_MODULE, the e2e tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE, a developer's DATABASE_URL, …) may leak into "production".
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        SECRET_KEY=random_secret_key(),
        DEBUG="0",
        BYLINE_URL="https://news.example.org",
        ALLOWED_HOSTS="news.example.org",
        BYLINE_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [str(BYLINE), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The key came from the environment: none was generated into the data folder.
    assert not (tmp_path / "secret_key").exists()


IGNORED_DIRS = {".git", ".venv", "node_modules", "data", "__pycache__", ".ruff_cache", "test-results"}


def test_no_secret_key_file_in_the_repository():
    found = []
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [name for name in dirs if name not in IGNORED_DIRS]
        found += [
            os.path.join(folder, name)
            for name in files
            if name == "secret_key" or name.endswith((".key", ".pem"))
        ]
    assert found == []


def test_generated_secret_keys_live_in_an_ignored_folder():
    ignored = (REPO / ".gitignore").read_text().split()
    assert "data/" in ignored


def test_settings_hard_code_no_secret_key():
    source = (REPO / "byline" / "settings.py").read_text()
    assert 'SECRET_KEY = "' not in source and "SECRET_KEY = '" not in source
