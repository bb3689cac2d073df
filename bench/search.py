"""Site search on SQLite: the /search/ endpoint beside the same query run straight against FTS5.

    python bench/search.py [--stories 100000] [--rounds 30]

Builds a fresh SQLite database, writes the archive of bench/corpus.py, indexes it with the service
behind `byline search --rebuild` (Wagtail's index), picks five queries from the index's own term
statistics (a rare term, a two-term query, a phrase, a mid-frequency term, the most common term),
then times each through Django's test client (the whole view: parse, rank, count, load, render
20 results with snippets) and, as the reference in the same run, the same MATCH straight on the
database with sqlite3 (the top 20 by the same BM25 weights, and the count). Prints p50/p95 in ms and
the ratio, then the figures as one line of JSON.
"""

import argparse
import json
import sqlite3
import statistics
import time

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
    total = max(doc for _, doc in terms)

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    folder = corpus.setup_django("search")
    from django.core.management import call_command
    from django.test import Client

    from byline.search import services
    from byline.search.query import parse

    call_command("collectstatic", interactive=False, verbosity=0)  # pages link hashed static files
    started = time.perf_counter()
    plans, _, _ = corpus.plan(args.stories)
    corpus.load(plans)
    print(f"generated and wrote {args.stories:,} stories in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    services.rebuild_index()
    index_s = time.perf_counter() - started
    print(f"search index rebuilt in {index_s:.0f}s")

    db = sqlite3.connect(folder / "byline.sqlite3")
    queries = pick_queries(db, plans)
    client = Client()
    raw_sql = (
        "SELECT rowid FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH ? "
        "ORDER BY bm25(wagtailsearch_indexentry_fts, 0.0, 1.0, 5.0) LIMIT 20"
    )
    count_sql = "SELECT count(*) FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH ?"

    figures = {}
    print(f"{'query':20} {'matches':>8} {'p50':>8} {'p95':>8} {'raw p50':>8} {'raw p95':>8} {'× raw':>6}")
    for label, text in queries.items():
        match = services.match_expression(parse(text))
        matches = db.execute(count_sql, [match]).fetchone()[0]

        def endpoint(n=0, text=text):
            # A different address each round: the per-reader rate limit is not what is measured.
            response = client.get("/search/", {"q": text}, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250}")
            assert response.status_code == 200, response.status_code

        def raw(n=0, match=match):
            db.execute(raw_sql, [match]).fetchall()
            db.execute(count_sql, [match]).fetchone()

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
    print(
        json.dumps(
            {"stories": args.stories, "rounds": args.rounds, "index_s": round(index_s, 1), "figures": figures}
        )
    )


if __name__ == "__main__":
    main()
