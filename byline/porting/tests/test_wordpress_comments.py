"""WordPress comments come in as comments by guests: the commenter's name, no member, no email."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from byline.comments.models import Comment
from byline.members.models import Member
from byline.porting import services
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db

QUEUE = "/admin/snippets/comments/comment/"


def thread(client, story) -> BeautifulSoup:
    return BeautifulSoup(client.get(story.url).content.decode(), "html.parser").select_one("#comments")


def test_approved_comments_are_shown_on_the_story_with_the_commenters_name(fixture_path, client):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    story = StoryPage.objects.get(slug="allotments")
    greta = Comment.objects.get(guest_name="Greta Lindqvist", parent=None)
    assert greta.status == Comment.PUBLISHED and greta.member is None
    assert greta.created_at == datetime(2024, 5, 3, 9, 15, tzinfo=UTC)  # comment_date_gmt
    section = thread(client, story)
    article = section.select_one(f"#comment-{greta.pk}")
    assert article.select_one(".comment__author").text == "Greta Lindqvist"
    assert "since the autumn the pond froze" in article.text
    link = article.select_one(".comment__body a")
    assert link["href"] == "https://hillside.example/water/" and "nofollow" in link["rel"]
    # Importing signs nobody up, and keeps no commenter's address.
    assert not Member.objects.exists()
    assert not Comment.objects.filter(html__contains="readers.invalid").exists()


def test_unapproved_comments_wait_for_approval_off_the_page(fixture_path, client, admin_client):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    story = StoryPage.objects.get(slug="allotments")
    pending = Comment.objects.get(guest_name="Pending Pat")
    assert pending.status == Comment.PENDING
    assert "compost bins" not in thread(client, story).text
    held = admin_client.get(f"{QUEUE}?status={Comment.PENDING}").content.decode()
    assert "compost bins" in held and "Pending Pat (guest)" in held


def test_spam_trash_pingbacks_and_trackbacks_are_left_out(fixture_path):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    names = set(Comment.objects.values_list("guest_name", flat=True))
    for left_out in ("Cheap Pills Shop", "Some Other Blog", "Yet Another Blog", "Binned Bert"):
        assert left_out not in names
    # Comments of a page (pages have no comments here) and of a trashed post are left out too.
    assert "Page Reader" not in names and "Lost Larry" not in names


def test_replies_are_threaded_one_level_deep(fixture_path, client):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    greta = Comment.objects.get(guest_name="Greta Lindqvist", parent=None)
    osric = Comment.objects.get(guest_name="Osric Fenn")
    thanks = Comment.objects.get(guest_name="Greta Lindqvist", parent__isnull=False)
    assert (osric.parent, osric.in_reply_to) == (greta, greta)
    assert (thanks.parent, thanks.in_reply_to) == (greta, osric)  # a reply to a reply
    # A reply to a comment that was left out (spam) stands on its own.
    orphan = Comment.objects.get(guest_name="Orphan Olga")
    assert orphan.parent is None and orphan.in_reply_to is None
    section = thread(client, StoryPage.objects.get(slug="allotments"))
    replies = section.select_one(f"#comment-{greta.pk}").find_parent().select(".comment--reply")
    assert [reply["id"] for reply in replies] == [f"comment-{osric.pk}", f"comment-{thanks.pk}"]
    assert "replying to Osric Fenn" in section.select_one(f"#comment-{thanks.pk}").text


def test_hostile_html_in_a_comment_is_sanitised(fixture_path, client):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    mallory = Comment.objects.get(guest_name="Mallory <i>Tricks</i>")
    for bad in ("<script", "onclick", "onerror", "onmouseover", "javascript:", "<img", "<span"):
        assert bad not in mallory.html
    assert "Nice plots" in mallory.html and "hover text" in mallory.html
    # No GMT date ("0000-00-00"): the local date is used.
    assert mallory.created_at == datetime(2024, 5, 6, 9, tzinfo=UTC)
    page = client.get(StoryPage.objects.get(slug="allotments").url).content.decode()
    assert "Mallory &lt;i&gt;Tricks&lt;/i&gt;" in page and "steal()" not in page


def test_the_report_counts_imported_hidden_and_skipped_comments(fixture_path):
    report = services.import_wordpress(fixture_path("wordpress_comments.xml"))
    # Imported: Greta (2), Osric, Pending Pat, Mallory, Orphan Olga. Skipped: spam, pingback,
    # trackback, trash, the page's comment and the trashed post's comment.
    assert report.get("comment", "created") == 6
    assert report.get("comment", "hidden") == 1
    assert report.get("comment", "skipped") == 6
    assert "comment hidden: 1" in report.table()
    problems = [str(problem) for problem in report.problems]
    assert any("pages have no comments in Byline" in problem for problem in problems)
    assert any("its story was not imported" in problem for problem in problems)
    assert any("4 spam, trashed, pingback or trackback left out" in problem for problem in problems)


def test_a_dry_run_imports_no_comment(fixture_path):
    report = services.import_wordpress(fixture_path("wordpress_comments.xml"), dry_run=True)
    assert report.get("comment", "created") == 6
    assert not Comment.objects.exists() and not StoryPage.objects.exists()


def test_overwriting_a_story_does_not_double_its_comments(fixture_path):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    again = services.import_wordpress(fixture_path("wordpress_comments.xml"), on_conflict="overwrite")
    assert again.get("comment", "existing") == 6 and again.get("comment", "created") == 0
    assert Comment.objects.count() == 6


def test_comments_of_a_skipped_story_are_skipped(fixture_path):
    services.import_wordpress(fixture_path("wordpress_comments.xml"))
    again = services.import_wordpress(fixture_path("wordpress_comments.xml"))  # --on-conflict skip
    assert again.get("story", "skipped") >= 1 and again.get("comment", "created") == 0
    assert Comment.objects.count() == 6
