"""A publication's own theme folder overrides the default theme file by file."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

SHOW_ORIGINS = (
    "from django.template.loader import get_template; "
    "from django.contrib.staticfiles import finders; "
    "print(get_template('404.html').origin.name); "
    "print(get_template('base.html').origin.name); "
    "print(finders.find('byline/theme.css'))"
)


def run_with_theme(theme_dir, tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "BYLINE_THEME_DIR": str(theme_dir),
        "BYLINE_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "byline.settings",
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW_ORIGINS}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_theme_folder_overrides_templates_and_static_files_one_by_one(tmp_path):
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "static" / "byline").mkdir(parents=True)
    (theme / "templates" / "404.html").write_text("Our own lost page")
    (theme / "static" / "byline" / "theme.css").write_text("body { color: teal; }")

    done = run_with_theme(theme, tmp_path)

    assert done.returncode == 0, done.stderr
    template_404, template_base, stylesheet = done.stdout.strip().splitlines()[-3:]
    assert template_404 == str(theme / "templates" / "404.html")
    assert template_base.endswith("byline/templates/base.html")  # not overridden: the default
    assert stylesheet == str(theme / "static" / "byline" / "theme.css")


def test_a_missing_theme_folder_stops_start_up_with_a_clear_error(tmp_path):
    done = run_with_theme(tmp_path / "nowhere", tmp_path)
    assert done.returncode != 0
    assert ImproperlyConfigured.__name__ in done.stderr
    assert "BYLINE_THEME_DIR" in done.stderr


@pytest.mark.parametrize("name", ["DEBUG", "BYLINE_SERVE_MEDIA"])
def test_a_malformed_setting_names_the_variable(tmp_path, name):
    env = {
        **os.environ,
        name: "perhaps",
        "BYLINE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "byline.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"{name} must be true or false" in done.stderr
