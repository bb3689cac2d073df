"""`byline backup [PATH]`: a consistent copy of the database, safe to take while the site runs.

- SQLite: Python's sqlite3 online backup API copies the database page by page inside read
  transactions, so readers and the worker carry on (WAL) and the copy is a single consistent moment,
  including what is still in the WAL file. Copying the file with `cp` instead can tear it.
- PostgreSQL: `pg_dump --format=custom` (restore with `pg_restore`), which also reads one snapshot.

PATH may be a folder (a timestamped file is made in it) or a file name; the default is the `backups`
folder in the data folder. The copy is written beside its final name and renamed into place when
complete, so a failed backup never leaves a half file under a backup's name, and an existing file is
never overwritten. Backups hold members' addresses: they are readable by their owner only.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
# Pages copied per step: small steps let the site's writers in between them.
SQLITE_PAGES_PER_STEP = 1024
LIBPQ_VARIABLES = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}


def backup_path(target: str | None, vendor: str, now: datetime) -> Path:
    """Where this backup goes: `target` itself, or a timestamped file in the folder `target` names."""
    folder = Path(target) if target else Path(settings.DATA_DIR) / "backups"
    if target and not folder.is_dir() and not target.endswith(os.sep):
        return folder
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"byline-{now:%Y%m%d-%H%M%S}{SUFFIXES[vendor]}"


def backup_sqlite(database: str, destination: Path) -> None:
    source = sqlite3.connect(database, timeout=30)
    target = sqlite3.connect(destination)
    try:
        source.backup(target, pages=SQLITE_PAGES_PER_STEP)
        # The copy stands alone: one file, no WAL beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        verdict = target.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if verdict != "ok":
        raise CommandError(f"The copy failed SQLite's check ({verdict}); the database may be damaged.")


def backup_postgresql(database: dict, destination: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise CommandError(
            "pg_dump was not found on PATH: install PostgreSQL's client tools (Debian/Ubuntu: "
            "`apt-get install postgresql-client`, of the server's major version or newer) and try again."
        )
    # Connection details go through libpq's environment, so the password never shows in `ps`.
    env = dict(os.environ)
    for key, variable in LIBPQ_VARIABLES.items():
        if database.get(key):
            env[variable] = str(database[key])
    command = [pg_dump, "--format=custom", "--no-password", f"--file={destination}", database["NAME"]]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandError(f"pg_dump failed: {done.stderr.strip() or f'exit code {done.returncode}'}")


class Command(BaseCommand):
    help = (
        "Back up the database while the site runs: SQLite's online backup, or pg_dump for PostgreSQL. "
        "PATH is a file or a folder (default: the data folder's backups/)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="File or folder for the backup.")

    def handle(self, *args, **options):
        database = settings.DATABASES["default"]
        vendor = connections["default"].vendor
        if vendor not in SUFFIXES:
            raise CommandError(f"`byline backup` knows SQLite and PostgreSQL, not {vendor}.")
        destination = backup_path(options["path"], vendor, datetime.now(UTC))
        if destination.exists():
            raise CommandError(f"{destination} already exists; choose another name.")
        if not destination.parent.is_dir():
            raise CommandError(f"The folder {destination.parent} does not exist.")
        partial = destination.with_name(destination.name + ".partial")
        partial.unlink(missing_ok=True)  # left by a backup that was killed
        # Owner-only from the first byte: the file holds members' email addresses.
        partial.touch(mode=0o600)
        try:
            if vendor == "sqlite":
                backup_sqlite(str(database["NAME"]), partial)
            else:
                backup_postgresql(database, partial)
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        size = destination.stat().st_size
        self.stdout.write(f"Backed up the database to {destination} ({size:,} bytes).")
