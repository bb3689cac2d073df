"""What the benchmarks share: the environment of a child process running Byline on its own database."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def env_for(folder: Path, **extra: str) -> dict:
    """This process's environment without Byline's or Django's settings, pointed at a SQLite database
    in `folder`, plus `extra` variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "BYLINE_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="byline.settings",
        BYLINE_DATA_DIR=str(folder),
        DATABASE_URL=f"sqlite:///{folder / 'byline.sqlite3'}",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopq",  # noqa: S106
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env
