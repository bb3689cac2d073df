import io

from byline.lib.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_quick_job_prints_nothing():
    out = Terminal()
    bar = ProgressBar(out, quiet_seconds=60)
    for done in range(1, 11):
        bar("Stories", done, 10)
    bar.close()
    assert out.getvalue() == ""


def test_on_a_terminal_it_redraws_one_line_per_stage():
    out = Terminal()
    bar = ProgressBar(out, width=10, quiet_seconds=0)
    bar("Authors", 1, 2)
    bar("Authors", 2, 2)
    bar("Stories", 5, 10)
    bar.close()
    lines = out.getvalue().split("\n")
    assert lines[0].startswith("\rAuthors") and lines[0].count("\r") == 2
    assert "[##########] 2/2" in lines[0]
    assert "Stories" in lines[1] and "[#####.....] 5/10" in lines[1]
    assert lines[2] == ""


def test_in_a_log_it_prints_each_stages_last_line_once():
    out = io.StringIO()
    bar = ProgressBar(out, width=4, quiet_seconds=0)
    for done in range(1, 101):
        bar("Members", done, 100)
    bar.close()
    assert "\r" not in out.getvalue()
    assert out.getvalue().count("\n") == 1
    assert "[####] 100/100" in out.getvalue()


def test_a_total_of_zero_shows_a_full_bar():
    out = io.StringIO()
    bar = ProgressBar(out, width=4, quiet_seconds=0)
    bar("Nothing", 0, 0)
    bar.close()
    assert "[####] 0/0" in out.getvalue()
