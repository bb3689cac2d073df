"""bench/pages.py's helpers: reading wrk's figures (from a real wrk run), the targets, the cache key.

Not part of the suite's testpaths: run with `.venv/bin/pytest bench/test_pages.py`.
"""

import http.server
import threading

import pages
import pytest

FIGURES = (
    '{"wrk": 1, "requests": 2000, "duration_us": 2000000, "p50_us": 1500, "p99_us": 9000, "mean_us": 2000.0, '
    '"errors": {"connect": 0, "read": 0, "write": 0, "status": 3, "timeout": 1}}'
)


def test_it_reads_the_figures_line_after_wrks_own_output():
    output = "Running 2s test @ http://127.0.0.1:1/\n  2 threads and 32 connections\n" + FIGURES + "\n"
    load = pages.parse_wrk(output)
    assert load.rps == 1000
    assert (load.p50_ms, load.p99_ms) == (1.5, 9.0)
    assert load.failed == 4


def test_it_refuses_output_without_figures():
    with pytest.raises(ValueError, match="wrk printed no figures"):
        pages.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


class Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not pages.tool_path("wrk"), reason="wrk is not installed (make bench-tools)")
def test_it_measures_a_real_server_with_wrk(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = tmp_path / "report.lua"
    script.write_text(pages.WRK_REPORT)
    try:
        load = pages.wrk(f"http://127.0.0.1:{server.server_port}/", 1, script)
    finally:
        server.shutdown()
    assert load.requests > 0
    assert load.seconds == pytest.approx(1, abs=0.5)
    assert 0 < load.p50_ms <= load.p99_ms


def test_it_recognises_a_cache_hit_only_from_a_cache_header():
    assert pages.cache_hit({"X-Cache": "HIT"})
    assert not pages.cache_hit({"X-Cache": "MISS"})
    assert not pages.cache_hit({"Cache-Control": "max-age=0, hit-me"})
    assert not pages.cache_hit({})


def test_the_last_home_page_rounds_up():
    assert pages.last_page(99_999) == 6667
    assert pages.last_page(15) == 1
    assert pages.last_page(0) == 1


def test_a_changed_generator_makes_a_new_cached_site():
    assert pages.site_key(1000, "one") == pages.site_key(1000, "one")
    assert pages.site_key(1000, "one") != pages.site_key(1000, "two")
    assert pages.site_key(1000, "one") != pages.site_key(100, "one")


def load(rps, p50=10.0, p99=20.0):
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "requests": 1, "errors": 0}


def figures(**changes):
    base = {
        "stories": 1000,
        "small_stories": 100,
        "hello": {"before": load(1000), "after": load(1000)},
        "cache_hit": True,
        "loads": {
            "story, cached": load(950, p99=30),
            "story, uncached": load(300, p50=50),
            "home": load(150),
            pages.SMALL_SITE: load(300, p50=45),
        },
        "static": {
            "served_by": "static-file",
            "mode": load(600),
            "plain_file": load(900),
            "plain_file_after": load(1100),
        },
    }
    base.update(changes)
    return base


def verdicts(results):
    return {result.name: result.met for result in results}


def test_it_judges_each_page_against_hello_and_its_target():
    met = verdicts(pages.evaluate(figures()))
    assert met == {
        "hello (before)": None,
        "hello (after)": None,
        "story, cached": True,
        "story, uncached": True,
        "home": False,  # 0.15 of hello, under 0.2
        "story, cached: p99": True,
        "story, uncached, 100 stories": True,  # 50 / 45 ms = 1.11
        "nginx, plain file (before)": None,
        "nginx, plain file (after)": None,
        "nginx, static-file mode": True,
    }


def test_a_cached_story_that_missed_the_cache_does_not_meet_its_target():
    assert not verdicts(pages.evaluate(figures(cache_hit=False)))["story, cached"]


def test_the_static_mode_counts_only_when_nginx_found_the_file():
    static = {
        "served_by": "byline",
        "mode": load(900),
        "plain_file": load(1000),
        "plain_file_after": load(1000),
    }
    assert not verdicts(pages.evaluate(figures(static=static)))["nginx, static-file mode"]


def test_the_table_lines_up_its_columns():
    lines = pages.table(pages.evaluate(figures()))
    assert lines[0].startswith("page")
    assert len({len(line) for line in lines}) == 1
    assert any("NOT met" in line for line in lines)


def test_a_page_that_finished_no_request_in_time_shows_no_latency_and_fails():
    never = pages.as_dict(pages.Load(requests=0, seconds=2.0, p50_ms=0.0, p99_ms=0.0))
    assert never["p50_ms"] is None
    loads = {**figures()["loads"], "story, uncached": never}
    met = verdicts(pages.evaluate(figures(loads=loads)))
    assert met["story, uncached"] is False
    assert met["story, uncached, 100 stories"] is False
    assert any("none done" in line for line in pages.table(pages.evaluate(figures(loads=loads))))


def test_a_page_answering_errors_under_load_does_not_meet_its_target():
    failing = {**load(5000), "errors": 12}
    loads = {**figures()["loads"], "story, uncached": failing}
    assert not verdicts(pages.evaluate(figures(loads=loads)))["story, uncached"]
