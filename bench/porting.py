"""Import benchmark: a generated Ghost export and a members CSV, beside bare reference loops.

    python bench/porting.py [--posts 10000] [--members 100000]

Each import runs in a child process of its own on a fresh SQLite database (copied from one migrated
once), so its wall time and peak memory are the importer's alone. The references run in children too:
for the export, `json.load` of the same file plus one plain INSERT per post, author link and tag link
into bare SQLite tables; for the CSV, `csv.reader` plus `executemany` into a bare table. They are the
floor: what reading the same data and writing the same number of rows costs with nothing else.
Targets (issue 8): 10,000 posts in ≤ 60 s and ≤ 500 MB; 100,000 members in ≤ 30 s.
The import's time includes what runs once it has committed: indexing the new stories for search and
rebuilding the related lists. CPU seconds are printed beside wall seconds (the machine may be shared).
The last line printed is the figures as JSON.
"""

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import env_for  # bench/common.py (bench/ is on the path when a script runs)

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "harbour",
    "tide",
    "ferry",
    "quay",
    "boat",
    "storm",
    "lighthouse",
    "market",
    "council",
    "school",
    "river",
    "bridge",
    "festival",
    "weather",
    "fishing",
    "net",
    "gull",
    "pier",
    "beacon",
    "crane",
    "freight",
    "dock",
    "channel",
    "keeper",
    "island",
    "current",
    "shore",
]


def make_export(path: Path, posts: int) -> None:
    rng = random.Random(7)
    tags = [{"id": f"t{i}", "name": f"Topic {i}", "slug": f"topic-{i}"} for i in range(60)]
    users = [{"id": f"u{i}", "name": f"Writer {i}", "slug": f"writer-{i}"} for i in range(25)]
    rows, post_tags, post_authors = [], [], []
    for number in range(posts):
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 90))) + ".</p>"
            for _ in range(rng.randint(4, 12))
        )
        rows.append({
            "id": f"p{number}", "title": f"Story {number}: {rng.choice(WORDS)} and {rng.choice(WORDS)}",
            "slug": f"story-{number}", "html": paragraphs, "type": "post", "status": "published",
            "published_at": "2025-01-02T03:04:05.000Z", "updated_at": "2025-01-03T03:04:05.000Z",
        })  # fmt: skip
        for order, tag in enumerate(rng.sample(tags, 3)):
            post_tags.append({"post_id": f"p{number}", "tag_id": tag["id"], "sort_order": order})
        for order, user in enumerate(rng.sample(users, rng.choice([1, 2]))):
            post_authors.append({"post_id": f"p{number}", "author_id": user["id"], "sort_order": order})
    data = {
        "posts": rows,
        "tags": tags,
        "users": users,
        "posts_tags": post_tags,
        "posts_authors": post_authors,
    }
    path.write_text(json.dumps({"db": [{"meta": {"version": "5.80.0"}, "data": data}]}), encoding="utf-8")


def make_members(path: Path, members: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "subscribed_to_emails", "created_at", "labels"])
        for number in range(members):
            writer.writerow(
                [
                    f"reader{number}@example.com",
                    f"Reader {number}",
                    "true",
                    "2024-05-01T10:00:00Z",
                    "Imported",
                ]
            )


def child(phase: str, env: dict, *args) -> dict:
    """Run one phase in a child process: its seconds and peak memory (MB)."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--phase", phase, *map(str, args)], env=env, cwd=ROOT
    )
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"phase {phase} failed")
    # CPU seconds beside wall seconds: this machine is shared, and the wall time swings with the load.
    return {"peak_mb": round(usage.ru_maxrss / 1024, 1), "cpu": round(usage.ru_utime + usage.ru_stime, 2)}


def timed(phase: str, env: dict, *args) -> dict:
    started = time.perf_counter()
    result = child(phase, env, *args)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


# Phases (run in children) --------------------------------------------------------------------------


def phase_import_ghost(path: str) -> None:
    import django

    django.setup()
    from byline.porting import services

    report = services.import_ghost(path)
    assert report.get("story", "created") > 0, report.table()


def phase_import_members(path: str) -> None:
    import django

    django.setup()
    from byline.newsletters.models import Newsletter
    from byline.porting import services

    Newsletter.objects.get_or_create(slug="daily", defaults={"name": "Daily"})
    report = services.import_members(path)
    assert report.get("member", "created") > 0, report.table()


def phase_reference_ghost(path: str, database: str) -> None:
    data = json.loads(Path(path).read_text(encoding="utf-8"))["db"][0]["data"]
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE post (id INTEGER PRIMARY KEY, slug TEXT UNIQUE, title TEXT, html TEXT)")
    db.execute("CREATE TABLE link (post INTEGER, target TEXT, position INTEGER)")
    with db:
        for row in data["posts"]:
            db.execute(
                "INSERT INTO post (slug, title, html) VALUES (?, ?, ?)",
                (row["slug"], row["title"], row["html"]),
            )
        for row in data["posts_tags"] + data["posts_authors"]:
            db.execute(
                "INSERT INTO link VALUES (?, ?, ?)",
                (row["post_id"][1:], row.get("tag_id") or row.get("author_id"), row["sort_order"]),
            )


def phase_reference_members(path: str, database: str) -> None:
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE member (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, created TEXT)")
    with open(path, encoding="utf-8", newline="") as source, db:
        reader = csv.reader(source)
        next(reader)
        db.executemany(
            "INSERT INTO member (email, name, created) VALUES (?, ?, ?)",
            ((r[0].lower(), r[1], r[3]) for r in reader),
        )


# The run ---------------------------------------------------------------------------------------------


def fresh_database(template: Path, folder: Path) -> dict:
    folder.mkdir()
    shutil.copy(template / "byline.sqlite3", folder / "byline.sqlite3")
    shutil.copy(template / "secret_key", folder / "secret_key") if (
        template / "secret_key"
    ).exists() else None
    return env_for(folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--phase")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    if options.phase:
        globals()[f"phase_{options.phase}"](*options.args)
        return

    work = Path(tempfile.mkdtemp(prefix="byline-bench-porting-"))
    try:
        template = work / "template"
        template.mkdir()
        subprocess.run(
            [sys.executable, "-m", "byline.manage", "migrate", "-v0"],
            env=env_for(template),
            cwd=ROOT,
            check=True,
        )
        export, members = work / "export.json", work / "members.csv"
        make_export(export, options.posts)
        make_members(members, options.members)

        ghost = timed("import_ghost", fresh_database(template, work / "ghost"), export)
        ghost_ref = timed("reference_ghost", env_for(work), export, work / "reference-ghost.sqlite3")
        people = timed("import_members", fresh_database(template, work / "members"), members)
        people_ref = timed("reference_members", env_for(work), members, work / "reference-members.sqlite3")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'':28}{'Byline':>12}{'reference':>12}{'ratio':>8}   {'Byline CPU':>10}{'ref CPU':>9}")
    print(f"{f'Ghost export, {options.posts:,} posts':28}{ghost['seconds']:>11}s{ghost_ref['seconds']:>11}s"
          f"{ghost['seconds'] / ghost_ref['seconds']:>7.1f}x   {ghost['cpu']:>9}s{ghost_ref['cpu']:>8}s"
          f"   peak {ghost['peak_mb']} MB")  # fmt: skip
    print(f"{f'Members CSV, {options.members:,} rows':28}{people['seconds']:>11}s{people_ref['seconds']:>11}s"
          f"{people['seconds'] / people_ref['seconds']:>7.1f}x   {people['cpu']:>9}s{people_ref['cpu']:>8}s"
          f"   peak {people['peak_mb']} MB")  # fmt: skip
    figures = {
        "posts": options.posts,
        "ghost_import_seconds": ghost["seconds"],
        "ghost_reference_seconds": ghost_ref["seconds"],
        "ghost_import_peak_mb": ghost["peak_mb"],
        "ghost_import_cpu_seconds": ghost["cpu"],
        "ghost_reference_cpu_seconds": ghost_ref["cpu"],
        "posts_per_second": round(options.posts / ghost["seconds"], 1),
        "members": options.members,
        "members_import_seconds": people["seconds"],
        "members_reference_seconds": people_ref["seconds"],
        "members_import_peak_mb": people["peak_mb"],
        "members_import_cpu_seconds": people["cpu"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
