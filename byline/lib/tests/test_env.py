import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from byline.lib import env


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


@pytest.mark.parametrize("raw, expected", [("1", True), ("TRUE", True), ("no", False), ("", False)])
def test_env_bool_reads_common_spellings(environ, raw, expected):
    environ(FLAG=raw)
    assert env.env_bool("FLAG") is expected


def test_env_bool_refuses_a_typo(environ):
    environ(DEBUG="ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env.env_bool("DEBUG")


def test_env_bool_uses_default_when_unset(monkeypatch):
    monkeypatch.delenv("UNSET_FLAG", raising=False)
    assert env.env_bool("UNSET_FLAG", True) is True


def test_env_int_refuses_words_and_values_below_minimum(environ):
    environ(PORT="eighty")
    with pytest.raises(ImproperlyConfigured, match="PORT must be a whole number"):
        env.env_int("PORT", 80)
    environ(PORT="-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env.env_int("PORT", 80, minimum=0)


def test_env_list_splits_and_trims(environ):
    environ(HOSTS=" a.example , b.example,, ")
    assert env.env_list("HOSTS", []) == ["a.example", "b.example"]


def test_env_url_needs_scheme_and_host(environ):
    environ(BYLINE_URL="news.example.org")
    with pytest.raises(ImproperlyConfigured, match="BYLINE_URL must be a URL"):
        env.env_url("BYLINE_URL")
    environ(BYLINE_URL="https://news.example.org/")
    assert env.env_url("BYLINE_URL") == "https://news.example.org"


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = env.secret_key("SECRET_KEY", tmp_path)
    second = env.secret_key("SECRET_KEY", tmp_path)
    assert first == second and len(first) >= 50
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_must_be_long(environ, tmp_path):
    environ(SECRET_KEY="short")
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        env.secret_key("SECRET_KEY", tmp_path)


def test_email_url_becomes_smtp_settings():
    settings = env.email_settings("smtp://user:p%40ss@mail.example.org:587?tls=1")
    assert settings["EMAIL_HOST"] == "mail.example.org"
    assert settings["EMAIL_PORT"] == 587
    assert settings["EMAIL_HOST_USER"] == "user"
    assert settings["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert settings["EMAIL_USE_TLS"] is True and settings["EMAIL_USE_SSL"] is False


def test_email_url_with_bad_port_is_refused():
    with pytest.raises(ImproperlyConfigured, match="bad port"):
        env.email_settings("smtp://mail.example.org:notaport")
