"""Site search: the /search/ endpoint (HTML and JSON) beside the same query run straight on the database.

    python bench/search.py [--stories 100000] [--rounds 30] [--data DIR]
    python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/search_bench [--stories N]
                           [--reuse]

`--data DIR` keeps the generated, indexed SQLite database in DIR and reuses it on the next run
(writing 100,000 stories and indexing them takes longer than the measurement). A PostgreSQL
database is emptied and built again on every run, unless `--reuse` finds this many stories there
already indexed by an earlier run.

Writes the archive of bench/corpus.py, indexes it with the service behind `byline search
--rebuild` (Wagtail's index), picks five queries from the archive's own term statistics (a rare
term, a two-term query, a phrase, a mid-frequency term, the most common term), then times each
through Django's test client: the results page (parse, rank, count, load, render 20 results with
snippets) and the as-you-type JSON (8 results). The reference, in the same run: on SQLite the same
full-text query straight through sqlite3 (the top 20 by the same BM25 weights, and the count; a
phrase reads the phrase index, as the search does); on PostgreSQL
the search's own SQL replayed through psycopg. The floor: the same page and JSON with no query,
what every request pays before searching (middleware, rate limit, site settings, base template).
Prints p50/p95 in ms (and the endpoint's CPU ms, which a busy machine distorts less), the ratio
to the reference, then the figures as one line of JSON.
"""

import argparse
import json
import sqlite3
import statistics
import time
from collections import Counter
from pathlib import Path

import corpus


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def timed(run, rounds: int) -> dict:
    """p50 and p95 of the wall clock and p50 of this process's CPU time, in ms."""
    run()  # warm
    wall, cpu = [], []
    for n in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        run(n)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "p50_ms": round(statistics.median(wall), 2),
        "p95_ms": round(percentile(wall, 0.95), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
    }


def build_archive(plans) -> float:
    """Write the planned stories and index them as `byline search --rebuild` does; returns the
    indexing time in seconds."""
    from django.db import connection

    from byline.search import services

    started = time.perf_counter()
    corpus.load(plans)
    print(f"generated and wrote {len(plans):,} stories in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    services.rebuild_index()
    index_s = round(time.perf_counter() - started, 1)
    print(f"search index rebuilt in {index_s:.0f}s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load: the planner needs counts
    return index_s


def pick_queries(db: sqlite3.Connection, plans) -> dict[str, str]:
    db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, wagtailsearch_indexentry_fts, 'row')")
    terms = db.execute("SELECT term, doc FROM temp.vocab WHERE length(term) > 4 ORDER BY doc").fetchall()
    return five_queries(terms, plans)


def pick_queries_from_plans(plans) -> dict[str, str]:
    """The same five kinds of query, from the generated text itself (PostgreSQL has no fts5vocab)."""
    df = Counter()
    for item in plans:
        df.update({word.strip(".").lower() for word in (item.title + " " + item.text).split()})
    return five_queries(
        sorted(((term, doc) for term, doc in df.items() if len(term) > 4), key=lambda row: row[1]), plans
    )


def five_queries(terms: list[tuple[str, int]], plans) -> dict[str, str]:
    """A rare term, two terms, a phrase, a mid-frequency and the most common term, from (term, how
    many stories use it) pairs ordered by that count."""
    total = terms[-1][1]

    def near(target: int, among=terms) -> str:
        return min(among, key=lambda row: abs(row[1] - target))[0]

    words = plans[0].text.rstrip(".").split()
    # Two words of one story, so that the pair matches something.
    in_story = {word.strip(".").lower() for word in words}
    pair = [row for row in terms if row[0] in in_story]
    first = near(total // 40, pair)
    second = near(total // 30, [row for row in pair if row[0] != first])
    return {
        "rare term": near(20),
        "two terms": f"{first} {second}",
        "phrase": f'"{words[3]} {words[4]}"',
        "mid-frequency term": near(min(8000, total // 10)),
        "very common term": terms[-1][0],
    }


class SQLiteReference:
    """The same full-text query straight through sqlite3: the top 20 by the same BM25 weights, and
    the count. The query is the search's own (FTSResults.hits(): Wagtail's FTS5 table for words,
    the phrase index for phrases), so both sides read the same index."""

    def __init__(self, path: Path, plans):
        self.db = sqlite3.connect(path)
        self.queries = pick_queries(self.db, plans)

    def for_query(self, text: str, get):
        from byline.search import services
        from byline.search.query import parse

        hits = services.search_stories(parse(text)).hits()
        top = f"SELECT {hits.entry_id} {hits.source} ORDER BY {hits.bm25} LIMIT 20".replace("%s", "?")
        count = f"SELECT count(*) {hits.source}".replace("%s", "?")
        matches = self.db.execute(count, hits.params).fetchone()[0]

        def raw(n=0):
            self.db.execute(top, hits.params).fetchall()
            self.db.execute(count, hits.params).fetchone()

        return matches, raw


class PostgresReference:
    """The search's own SQL (captured from one request) replayed straight through psycopg."""

    def __init__(self, database_url: str, plans):
        import psycopg
        from django.db import connection

        # With the site's own connection options (its planner costs): the same plans.
        options = connection.settings_dict["OPTIONS"].get("options", "")
        self.db = psycopg.connect(database_url, autocommit=True, options=options)
        self.queries = pick_queries_from_plans(plans)

    def for_query(self, text: str, get):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from byline.search import services
        from byline.search.query import parse

        matches = services.search_stories(parse(text)).count()  # stops at COUNT_LIMIT
        with CaptureQueriesContext(connection) as captured:
            get({"q": text}, 999_999)
        search_sql = [q["sql"] for q in captured.captured_queries if "wagtailsearch_indexentry" in q["sql"]]

        def raw(n=0):
            for sql in search_sql:
                self.db.execute(sql).fetchall()

        return matches, raw


def measure(reference, rounds: int) -> dict:
    from django.test import Client

    client = Client()

    def get(params: dict, n: int) -> None:
        # A different address each round: the per-reader rate limit is not what is measured.
        address = f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250}"
        response = client.get("/search/", params, REMOTE_ADDR=address)
        assert response.status_code == 200, response.status_code

    serial = iter(range(10**9))  # every request its own address

    figures = {
        "floor": timed(lambda n=0: get({}, next(serial)), rounds),
        "json floor": timed(lambda n=0: get({"format": "json"}, next(serial)), rounds),
    }
    for label in ("floor", "json floor"):
        floor = figures[label]
        print(f"{label + ' (no query)':20} p50 {floor['p50_ms']:.2f}  p95 {floor['p95_ms']:.2f}")
    print(
        f"{'query':20} {'matches':>8} {'p50':>7} {'p95':>7} {'cpu p50':>7} {'json p50':>8} {'json p95':>8} "
        f"{'raw p50':>7} {'raw p95':>7} {'p95/raw':>7}"
    )
    for label, text in reference.queries.items():
        matches, raw = reference.for_query(text, get)
        page = timed(lambda n=0, text=text: get({"q": text}, next(serial)), rounds)
        as_you_type = timed(lambda n=0, text=text: get({"q": text, "format": "json"}, next(serial)), rounds)
        direct = timed(raw, rounds)
        ratio = round(page["p95_ms"] / direct["p95_ms"], 2) if direct["p95_ms"] else None
        figures[label] = {
            "query": text,
            "matches": matches,
            **page,
            **{f"json_{key}": value for key, value in as_you_type.items()},
            **{f"raw_{key}": value for key, value in direct.items() if key != "cpu_p50_ms"},
            "ratio_p95": ratio,
        }
        print(
            f"{label:20} {matches:8,} {page['p50_ms']:7.2f} {page['p95_ms']:7.2f} {page['cpu_p50_ms']:7.2f} "
            f"{as_you_type['p50_ms']:8.2f} {as_you_type['p95_ms']:8.2f} "
            f"{direct['p50_ms']:7.2f} {direct['p95_ms']:7.2f} {ratio or 0:7.2f}"
        )
    return figures


def built_on_postgres(database_url: str, stories: int) -> bool:
    """Whether an earlier run left an archive of this size, indexed, in that database."""
    import psycopg

    try:
        with psycopg.connect(database_url) as pg:
            found = pg.execute("SELECT count(*) FROM stories_storypage").fetchone()[0]
            indexed = pg.execute("SELECT count(*) FROM wagtailsearch_indexentry").fetchone()[0]
    except psycopg.Error:
        return False
    return found == indexed == stories


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--data", help="keep the SQLite database here and reuse it when it is already built")
    parser.add_argument(
        "--database-url",
        help="run on this PostgreSQL database instead (emptied first); the reference is then the "
        "search's own SQL replayed straight through psycopg",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --database-url: keep the database when a run already built this many stories there",
    )
    args = parser.parse_args()

    reuse = False
    if args.database_url:
        reuse = args.reuse and built_on_postgres(args.database_url, args.stories)
        if not reuse:
            import psycopg

            admin, name = args.database_url.rsplit("/", 1)
            with psycopg.connect(admin + "/postgres", autocommit=True) as pg:
                pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
                pg.execute(f'CREATE DATABASE "{name}"')
        corpus.setup_django("search-pg", database_url=args.database_url)
    else:
        reuse = bool(args.data) and (Path(args.data) / "built").exists()
        if args.data:
            Path(args.data).mkdir(parents=True, exist_ok=True)
            corpus.tempfile.mkdtemp = lambda prefix="": args.data  # corpus.setup_django's folder
        folder = corpus.setup_django("search")
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # pages link hashed static files
    plans, _, _ = corpus.plan(args.stories)
    index_s = None
    if reuse:
        print(f"reusing the archive in {args.data or args.database_url}")
    else:
        index_s = build_archive(plans)
        if args.data and not args.database_url:
            (Path(args.data) / "built").write_text(str(args.stories))

    if args.database_url:
        reference = PostgresReference(args.database_url, plans)
    else:
        reference = SQLiteReference(folder / "byline.sqlite3", plans)
    figures = measure(reference, args.rounds)
    summary = {
        "database": "postgresql" if args.database_url else "sqlite",
        "stories": args.stories,
        "rounds": args.rounds,
        "index_s": index_s,
    }
    print(json.dumps({**summary, "figures": figures}))


if __name__ == "__main__":
    main()
