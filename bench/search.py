"""Site search on SQLite: the /search/ endpoint beside the same query run straight against FTS5.

    python bench/search.py [--stories 100000] [--rounds 30] [--data DIR]
    python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/related_bench [--stories N]

`--data DIR` keeps the generated, indexed database in DIR and reuses it on the next run (writing
100,000 stories and indexing them takes longer than the measurement).

Builds a fresh SQLite database, writes the archive of bench/corpus.py, indexes it with the service
behind `byline search --rebuild` (Wagtail's index), picks five queries from the index's own term
statistics (a rare term, a two-term query, a phrase, a mid-frequency term, the most common term),
then times each through Django's test client (the whole view: parse, rank, count, load, render
20 results with snippets; and the as-you-type JSON, 8 results) and, as the reference in the same
run, the same MATCH straight on the database with sqlite3 (the top 20 by the same BM25 weights, and
the count). Also times the page with no query, the floor every request pays before searching.
Prints p50/p95 in ms and the ratio, then the figures as one line of JSON.
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


def timed(run, rounds: int) -> tuple[float, float]:
    run()  # warm
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        run(n)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 0.95)


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

    def near(target: int) -> str:
        return min(terms, key=lambda row: abs(row[1] - target))[0]

    words = plans[0].text.rstrip(".").split()
    return {
        "rare term": near(20),
        "two terms": f"{near(total // 40)} {near(total // 30)}",
        "phrase": f'"{words[3]} {words[4]}"',
        "mid-frequency term": near(min(8000, total // 10)),
        "very common term": terms[-1][0],
    }


def main_postgres(args):
    import psycopg

    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
        pg.execute(f'CREATE DATABASE "{name}"')
    corpus.setup_django("search-pg", database_url=args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from byline.search import services
    from byline.search.query import parse

    call_command("collectstatic", interactive=False, verbosity=0)
    plans, _, _ = corpus.plan(args.stories)
    started = time.perf_counter()
    corpus.load(plans)
    print(f"generated and wrote {args.stories:,} stories in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    services.rebuild_index()
    index_s = round(time.perf_counter() - started, 1)
    print(f"search index rebuilt in {index_s:.0f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load: the planner needs counts
    client = Client()
    raw_db = psycopg.connect(args.database_url, autocommit=True)
    figures = {}
    print(f"{'query':20} {'matches':>8} {'p50':>8} {'p95':>8} {'raw p50':>8} {'raw p95':>8} {'× raw':>6}")
    for label, text in pick_queries_from_plans(plans).items():
        matches = services.search_stories(parse(text)).count()

        def endpoint(n=0, text=text):
            response = client.get("/search/", {"q": text}, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250}")
            assert response.status_code == 200, response.status_code

        with CaptureQueriesContext(connection) as captured:
            endpoint(999)
        search_sql = [q["sql"] for q in captured.captured_queries if "wagtailsearch_indexentry" in q["sql"]]

        def raw(n=0, search_sql=search_sql):
            for sql in search_sql:
                raw_db.execute(sql).fetchall()

        p50, p95 = timed(endpoint, args.rounds)
        raw50, raw95 = timed(raw, args.rounds)
        figures[label] = {
            "query": text,
            "matches": matches,
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "raw_p50_ms": round(raw50, 2),
            "raw_p95_ms": round(raw95, 2),
            "ratio_p95": round(p95 / raw95, 2) if raw95 else None,
        }
        print(f"{label:20} {matches:8,} {p50:8.2f} {p95:8.2f} {raw50:8.2f} {raw95:8.2f} {p95 / raw95:6.2f}")
    summary = {"database": "postgresql", "stories": args.stories, "rounds": args.rounds, "index_s": index_s}
    print(json.dumps({**summary, "figures": figures}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--data", help="keep the database here and reuse it when it is already built")
    parser.add_argument(
        "--database-url",
        help="run on this PostgreSQL database instead (emptied first); the reference is then the "
        "search's own SQL replayed straight through psycopg",
    )
    args = parser.parse_args()
    if args.database_url:
        return main_postgres(args)

    reuse = bool(args.data) and (Path(args.data) / "built").exists()
    if args.data:
        Path(args.data).mkdir(parents=True, exist_ok=True)
        corpus.tempfile.mkdtemp = lambda prefix="": args.data  # corpus.setup_django's folder
    folder = corpus.setup_django("search")
    from django.core.management import call_command
    from django.test import Client

    from byline.search import services
    from byline.search.query import parse

    call_command("collectstatic", interactive=False, verbosity=0)  # pages link hashed static files
    plans, _, _ = corpus.plan(args.stories)
    index_s = None
    if reuse:
        print(f"reusing the archive in {folder}")
    else:
        started = time.perf_counter()
        corpus.load(plans)
        print(f"generated and wrote {args.stories:,} stories in {time.perf_counter() - started:.0f}s")
        started = time.perf_counter()
        services.rebuild_index()
        index_s = round(time.perf_counter() - started, 1)
        print(f"search index rebuilt in {index_s:.0f}s")
        if args.data:
            (folder / "built").write_text(str(args.stories))

    db = sqlite3.connect(folder / "byline.sqlite3")
    queries = pick_queries(db, plans)
    client = Client()
    raw_sql = (
        "SELECT rowid FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH ? "
        "ORDER BY bm25(wagtailsearch_indexentry_fts, 0.0, 1.0, 5.0) LIMIT 20"
    )
    count_sql = "SELECT count(*) FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH ?"

    def floor(n=0):
        # The same page with no query: middleware, rate limit, site settings and the base
        # template, everything the endpoint costs before it searches.
        assert client.get("/search/", REMOTE_ADDR=f"10.1.{n // 250}.{n % 250}").status_code == 200

    floor50, floor95 = timed(floor, args.rounds)
    print(f"page with no query (the floor): p50 {floor50:.2f} ms, p95 {floor95:.2f} ms")
    figures = {"floor": {"p50_ms": round(floor50, 2), "p95_ms": round(floor95, 2)}}
    print(
        f"{'query':20} {'matches':>8} {'p50':>8} {'p95':>8} {'json p50':>8} {'json p95':>8} "
        f"{'raw p50':>8} {'raw p95':>8} {'× raw':>6}"
    )
    for label, text in queries.items():
        match = services.match_expression(parse(text))
        matches = db.execute(count_sql, [match]).fetchone()[0]

        def endpoint(n=0, text=text):
            # A different address each round: the per-reader rate limit is not what is measured.
            response = client.get("/search/", {"q": text}, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250}")
            assert response.status_code == 200, response.status_code

        def as_you_type(n=0, text=text):
            response = client.get(
                "/search/", {"q": text, "format": "json"}, REMOTE_ADDR=f"10.2.{n // 250}.{n % 250}"
            )
            assert response.status_code == 200, response.status_code

        def raw(n=0, match=match):
            db.execute(raw_sql, [match]).fetchall()
            db.execute(count_sql, [match]).fetchone()

        p50, p95 = timed(endpoint, args.rounds)
        json50, json95 = timed(as_you_type, args.rounds)
        raw50, raw95 = timed(raw, args.rounds)
        figures[label] = {
            "query": text,
            "matches": matches,
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "json_p50_ms": round(json50, 2),
            "json_p95_ms": round(json95, 2),
            "raw_p50_ms": round(raw50, 2),
            "raw_p95_ms": round(raw95, 2),
            "ratio_p95": round(p95 / raw95, 2) if raw95 else None,
        }
        print(
            f"{label:20} {matches:8,} {p50:8.2f} {p95:8.2f} {json50:8.2f} {json95:8.2f} "
            f"{raw50:8.2f} {raw95:8.2f} {p95 / raw95:6.2f}"
        )
    print(
        json.dumps({"stories": args.stories, "rounds": args.rounds, "index_s": index_s, "figures": figures})
    )


if __name__ == "__main__":
    main()
