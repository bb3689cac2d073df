"""Every bad Ghost export gets a clear message naming the file, the record and the field, and the site is
left exactly as it was."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from byline.porting import services
from byline.porting.report import ImportFailed
from byline.porting.tests.conftest import minimal_export, post
from byline.stories.models import Author, StoryPage, Tag

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        sorted(StoryPage.objects.values_list("slug", "title")),
        sorted(Author.objects.values_list("slug", flat=True)),
        sorted(Tag.objects.values_list("slug", flat=True)),
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not valid JSON (line 1, column 1"),
        (b"{not json", "is not valid JSON (line 1, column 2"),
        (b"[1, 2, 3]", "is JSON but not a Ghost export"),
        (b'{"db": "x"}', "`db` should be a list"),
        (b'{"db": [{"meta": {"version": "5.0.0"}, "data": {"posts": {}}}]}', "data.posts should be a list"),
        (
            b'{"db": [{"meta": {"version": "1.25.0"}, "data": {}}]}',
            "Ghost version 1.25.0 is not one Byline reads",
        ),
        (b'{"db": [{"meta": {}, "data": {}}]}', "(none given in meta.version)"),
        (b'{"db": [{"meta": {"version": "9.0.0"}, "data": {}}]}', "Ghost version 9.0.0"),
        (
            '{"db": [{"meta": {"version": "5.0"}, "data": {}}], "t": "caf\u00e9"}'.encode("latin-1"),
            "is not UTF-8",
        ),
    ],
)
def test_a_file_that_is_not_a_ghost_export_is_refused_whole(write_export, content, message, make_story):
    make_story("Already here")
    before = snapshot()
    path = write_export(content)
    with pytest.raises(ImportFailed) as failure:
        services.import_ghost(path)
    assert message in str(failure.value)
    assert path in str(failure.value)
    assert snapshot() == before


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImportFailed, match="cannot be read"):
        services.import_ghost(str(tmp_path / "nowhere.json"))


def test_records_without_title_or_slug_or_with_bad_slugs_are_reported_and_skipped(write_export):
    path = write_export(
        minimal_export(
            post("fine", "Fine story"),
            post("no-title", ""),
            post("", "No slug"),
            post("bad slug!", "Bad slug"),
            {"id": "x", "slug": "no-title-key"},
        )
    )
    report = services.import_ghost(path)
    assert list(StoryPage.objects.values_list("slug", flat=True)) == ["fine"]
    problems = [str(problem) for problem in report.problems]
    assert "posts[1] “no-title”: title: has no title; skipped" in problems
    assert "posts[2] “No slug”: slug: has no slug; skipped" in problems
    assert "posts[3] “Bad slug”: slug: 'bad slug!' is not a usable slug; skipped" in problems
    assert report.get("story", "skipped") == 4


def test_a_slug_twice_in_the_file_keeps_the_first(write_export):
    report = services.import_ghost(
        write_export(minimal_export(post("twin", "First"), post("twin", "Second")))
    )
    assert StoryPage.objects.get(slug="twin").title == "First"
    assert "posts[1] “Second”: slug: “twin” appears earlier in the file; skipped" in map(str, report.problems)


def test_existing_slugs_are_skipped_renamed_or_overwritten_as_asked(write_export, make_story):
    make_story("Local story", slug="taken")
    path = write_export(minimal_export(post("taken", "Imported story")))

    report = services.import_ghost(path)
    assert StoryPage.objects.get(slug="taken").title == "Local story"
    assert "use --on-conflict rename or overwrite" in str(report.problems[0])

    report = services.import_ghost(path, on_conflict="rename")
    assert StoryPage.objects.get(slug="taken-2").title == "Imported story"
    assert "imported as “taken-2”" in str(report.problems[0])

    report = services.import_ghost(path, on_conflict="overwrite")
    assert StoryPage.objects.get(slug="taken").title == "Imported story"
    assert report.get("story", "updated") == 1


def test_a_reserved_slug_is_skipped_or_renamed(write_export):
    path = write_export(minimal_export(post("search", "A story called search")))
    report = services.import_ghost(path)
    assert not StoryPage.objects.exists()
    assert "is used by the site itself" in str(report.problems[0])
    services.import_ghost(path, on_conflict="rename")
    assert StoryPage.objects.get().slug == "search-2"


def test_dates_that_do_not_parse_name_the_field(write_export):
    path = write_export(
        minimal_export(
            post("bad-date", "Bad date", published_at="yesterday-ish"),
            post("bool-date", "Bool date", updated_at=True),
            post("good", "Good", published_at=1546300800000),
        )
    )
    report = services.import_ghost(path)
    assert list(StoryPage.objects.values_list("slug", flat=True)) == ["good"]
    problems = [str(problem) for problem in report.problems]
    assert any(p.startswith("posts[0] “Bad date”: published_at:") for p in problems)
    assert any(p.startswith("posts[1] “Bool date”: updated_at:") for p in problems)


def test_broken_html_is_repaired_not_fatal(write_export):
    broken = "<p>Unclosed <b>bold <i>and italic<p>Second<div><table><tr><td>cell</div><script>x()"
    services.import_ghost(write_export(minimal_export(post("broken", "Broken", html=broken))))
    story = StoryPage.objects.get(slug="broken")
    assert "Unclosed" in story.plaintext and "cell" in story.plaintext
    assert "<script" not in story.body_html()


def test_a_field_too_long_for_byline_is_shortened_and_reported(write_export):
    path = write_export(minimal_export(post("long", "L" * 300, custom_excerpt="E" * 400)))
    report = services.import_ghost(path)
    story = StoryPage.objects.get(slug="long")
    assert len(story.title) == 255 and len(story.custom_excerpt) == 300
    assert {problem.field for problem in report.problems} >= {"title", "custom_excerpt"}


def test_an_unknown_default_author_stops_the_import_and_changes_nothing(write_export, make_story):
    make_story("Already here")
    before = snapshot()
    path = write_export(minimal_export(post("first", "First"), post("second", "Second"), users=[]))
    with pytest.raises(ImportFailed, match="--default-author nobody: no author has that slug"):
        services.import_ghost(path, default_author="nobody")
    assert snapshot() == before


def test_with_no_authors_at_all_stories_are_credited_to_staff(write_export):
    report = services.import_ghost(write_export(minimal_export(post("lonely", "Lonely"))))
    assert [author.name for author in StoryPage.objects.get().authors] == ["Staff"]
    assert "credited to Staff" in str(report.problems[0])


def test_rows_of_the_wrong_type_inside_tables_are_ignored(write_export):
    path = write_export(minimal_export(post("ok", "Ok"), "not a row", 42, None, tags=["x", {"name": ""}]))
    report = services.import_ghost(path)
    assert StoryPage.objects.get().slug == "ok"
    assert report.get("tag", "skipped") == 1


def test_the_command_reports_a_bad_file_and_imports_nothing(write_export, capsys):
    path = write_export(b"{oops")
    with pytest.raises(CommandError, match=r"is not valid JSON .* Nothing was imported\."):
        call_command("import", "ghost", path)


def test_the_command_prints_problems_and_a_summary_table(write_export, capsys):
    path = write_export(minimal_export(post("good", "Good"), post("", "No slug")))
    call_command("import", "ghost", path, "--dry-run")
    out, err = capsys.readouterr()
    assert "problem: posts[1] “No slug”: slug: has no slug; skipped" in err
    assert "story" in out and "dry run: nothing was changed" in out
    assert not StoryPage.objects.exists()


def test_nul_characters_are_dropped_not_fatal(write_export):
    path = write_export(minimal_export(post("nul", "Title\x00 with NUL", custom_excerpt="Ex\x00cerpt")))
    services.import_ghost(path)
    story = StoryPage.objects.get(slug="nul")
    assert (story.title, story.custom_excerpt) == ("Title with NUL", "Excerpt")
