"""`byline backup`: a consistent copy of the database while the site keeps writing to it.

The command runs in a child process against a database of the test's own (SQLite file, or a PostgreSQL
database created for the test), as an operator would run it beside the live site.
"""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[3]
PG_SERVER = os.environ.get("BACKUP_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def byline_backup(data_dir: Path, database_url: str, *args: str, path: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BYLINE_"))}
    env.pop("REDIS_URL", None)
    env.update(
        BYLINE_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        SECRET_KEY="backup-test-secret-key-0123456789-abcdefghij",
    )
    if path is not None:
        env["PATH"] = path
    command = [sys.executable, "-m", "byline.manage", "backup", *args, "--skip-checks"]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def make_newsroom_db(path: Path, stories: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE story (id INTEGER PRIMARY KEY, title TEXT)")
    db.executemany("INSERT INTO story (title) VALUES (?)", [(f"Story {n}",) for n in range(stories)])
    db.commit()
    return db


def test_it_copies_a_live_sqlite_database_with_what_is_still_in_the_wal(tmp_path):
    live = make_newsroom_db(tmp_path / "byline.sqlite3", 2000)
    live.execute("PRAGMA wal_autocheckpoint=0")  # the last rows stay in the WAL file, not the main one
    live.execute("INSERT INTO story (title) VALUES ('Filed a minute ago')")
    live.commit()
    assert (tmp_path / "byline.sqlite3-wal").stat().st_size > 0

    done = byline_backup(tmp_path, f"sqlite:///{tmp_path / 'byline.sqlite3'}")

    assert done.returncode == 0, done.stderr
    [backup] = (tmp_path / "backups").glob("byline-*.sqlite3")
    assert f"Backed up the database to {backup}" in done.stdout
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT count(*) FROM story").fetchone() == (2001,)
    assert copy.execute("SELECT title FROM story ORDER BY id DESC LIMIT 1").fetchone() == (
        "Filed a minute ago",
    )
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    copy.close()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds members' addresses
    assert not list((tmp_path / "backups").glob("*.partial"))
    live.close()


def test_the_site_keeps_writing_while_the_backup_runs_and_the_copy_is_consistent(tmp_path):
    live = make_newsroom_db(tmp_path / "byline.sqlite3", 50_000)
    stop, written = threading.Event(), []

    def newsroom_keeps_filing():
        while not stop.is_set():
            live.execute("INSERT INTO story (title) VALUES ('Breaking')")
            live.commit()
            written.append(1)

    writer = threading.Thread(target=newsroom_keeps_filing)
    writer.start()
    try:
        done = byline_backup(
            tmp_path, f"sqlite:///{tmp_path / 'byline.sqlite3'}", str(tmp_path / "copy.sqlite3")
        )
    finally:
        stop.set()
        writer.join()

    assert done.returncode == 0, done.stderr
    assert written, "the site could not write during the backup"
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    count = copy.execute("SELECT count(*) FROM story").fetchone()[0]
    assert 50_000 <= count <= 50_000 + len(written)
    copy.close()
    live.close()


def test_it_never_overwrites_an_existing_backup(tmp_path):
    make_newsroom_db(tmp_path / "byline.sqlite3", 10).close()
    (tmp_path / "taken.sqlite3").write_text("an older backup")

    done = byline_backup(
        tmp_path, f"sqlite:///{tmp_path / 'byline.sqlite3'}", str(tmp_path / "taken.sqlite3")
    )

    assert done.returncode != 0
    assert "already exists" in done.stderr
    assert (tmp_path / "taken.sqlite3").read_text() == "an older backup"


def test_a_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    make_newsroom_db(tmp_path / "byline.sqlite3", 10).close()

    done = byline_backup(
        tmp_path, f"sqlite:///{tmp_path / 'byline.sqlite3'}", str(tmp_path / "no/such/copy.db")
    )

    assert done.returncode != 0
    assert "does not exist" in done.stderr


def test_a_folder_given_as_path_gets_a_timestamped_file(tmp_path):
    make_newsroom_db(tmp_path / "byline.sqlite3", 10).close()
    (tmp_path / "nightly").mkdir()

    done = byline_backup(tmp_path, f"sqlite:///{tmp_path / 'byline.sqlite3'}", str(tmp_path / "nightly"))

    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "nightly").glob("byline-*.sqlite3"))) == 1


# ----- PostgreSQL ----------------------------------------------------------------------------------


def postgres_answers() -> bool:
    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


needs_postgres = pytest.mark.skipif(not postgres_answers(), reason=f"no PostgreSQL at {PG_SERVER}")


@pytest.fixture
def newsroom_postgres():
    """A database of this test's own, with a table of stories; dropped afterwards (with its restore)."""
    names = ["byline_backup_test", "byline_backup_test_restored"]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {names[0]}")
    with psycopg.connect(f"{PG_SERVER}/{names[0]}") as db:
        db.execute("CREATE TABLE story (id serial PRIMARY KEY, title text)")
        db.execute("INSERT INTO story (title) SELECT 'Story ' || n FROM generate_series(1, 500) n")
    yield f"{PG_SERVER}/{names[0]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@needs_postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgresql_is_backed_up_with_pg_dump_and_restores(tmp_path, newsroom_postgres):
    done = byline_backup(tmp_path, newsroom_postgres, str(tmp_path / "nightly.dump"))

    assert done.returncode == 0, done.stderr
    backup = tmp_path / "nightly.dump"
    assert backup.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE byline_backup_test_restored")
    restored_url = f"{PG_SERVER}/byline_backup_test_restored"
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored_url}", str(backup)], check=True)
    with psycopg.connect(restored_url) as db:
        assert db.execute("SELECT count(*) FROM story").fetchone() == (500,)


@needs_postgres
def test_without_pg_dump_it_says_what_to_install(tmp_path, newsroom_postgres):
    empty = tmp_path / "bin"
    empty.mkdir()

    done = byline_backup(tmp_path, newsroom_postgres, path=str(empty))

    assert done.returncode != 0
    assert "pg_dump was not found" in done.stderr
    assert "postgresql-client" in done.stderr
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())
