"""Comments by guests: imported comments whose writer is not a member here (a WordPress commenter).
They show their writer's name, and nobody can edit, delete or be notified about them as their own."""

import json
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.core import mail

from byline.comments import services
from byline.comments.models import Comment
from byline.comments.text import from_imported_html

pytestmark = pytest.mark.django_db

API = "/members/api/comments/"
QUEUE = "/admin/snippets/comments/comment/"


@pytest.fixture
def make_guest_comment(story):
    def make(text="Lovely to read about the ferry.", *, name="Wilma Stroud", parent=None, **fields):
        return Comment.objects.create(
            story=story,
            guest_name=name,
            parent=parent,
            html=f"<p>{text}</p>",
            **{"in_reply_to": parent, **fields},
        )

    return make


def section(client, story) -> BeautifulSoup:
    return BeautifulSoup(client.get(story.url).content.decode(), "html.parser").select_one("#comments")


def test_a_guest_comment_shows_its_writers_name_in_the_thread(
    story, make_guest_comment, make_comment, client
):
    guest = make_guest_comment()
    reply = make_comment("Answering Wilma", parent=guest)
    answer = make_guest_comment("And back to you", name="Ivo Brand", parent=guest, in_reply_to=reply)
    thread = section(client, story)
    article = thread.select_one(f"#comment-{guest.pk}")
    assert article.select_one(".comment__author").text == "Wilma Stroud"
    assert article.select_one(".comment__avatar").text == "WS"
    assert "comment--guest" in article["class"] and not article.has_attr("data-member")
    assert "Deleted member" not in thread.text
    assert thread.select_one(f"#comment-{answer.pk} .comment__author").text == "Ivo Brand"
    assert f"replying to {reply.member.name}" in thread.select_one(f"#comment-{answer.pk}").text
    assert thread.select_one("[data-comments-count]").text == "3"


def test_a_member_less_comment_without_a_guest_name_is_still_a_deleted_member(
    story, make_guest_comment, client
):
    comment = make_guest_comment("Words that stay", name="")
    assert "Deleted member" in section(client, story).select_one(f"#comment-{comment.pk}").text
    assert not comment.is_guest and comment.initials == "?"


def test_the_moderation_queue_lists_and_finds_guest_comments(admin_client, make_guest_comment, make_comment):
    make_guest_comment("Imported words about tides", status=Comment.PENDING)
    make_comment("A member's words about tides")
    page = admin_client.get(QUEUE).content.decode()
    assert "Wilma Stroud (guest)" in page and "Imported words about tides" in page
    found = admin_client.get(f"{QUEUE}?member=wilma").content.decode()
    assert "Imported words about tides" in found and "A member&#x27;s words" not in found
    held = admin_client.get(f"{QUEUE}?status={Comment.PENDING}").content.decode()
    assert "Imported words about tides" in held
    assert (
        admin_client.get(f"{QUEUE}inspect/{Comment.objects.get(guest_name='Wilma Stroud').pk}/").status_code
        == 200
    )


def test_the_api_names_the_guest_without_an_id(story, make_guest_comment, client):
    guest = make_guest_comment()
    data = client.get(f"{API}post/{story.pk}/").json()["comments"][0]
    assert data["id"] == str(guest.pk)
    assert data["member"] == {
        "id": None,
        "uuid": None,
        "name": "Wilma Stroud",
        "initials": "WS",
        "avatar_image": None,
        "expertise": None,
    }
    assert client.get(f"{API}{guest.pk}/").json()["comments"][0]["member"]["name"] == "Wilma Stroud"


def test_nobody_can_edit_or_delete_a_guest_comment_but_members_can_like_report_and_reply(
    story, make_guest_comment, member_client, comment_settings
):
    guest = make_guest_comment()
    client = member_client()
    put = client.put(f"{API}{guest.pk}/", json.dumps({"text": "mine now"}), content_type="application/json")
    assert put.status_code == 403
    assert client.delete(f"{API}{guest.pk}/").status_code == 403
    assert client.post(f"{API}{guest.pk}/like/", content_type="application/json").status_code == 200
    viewer = client.get(f"{API}post/{story.pk}/viewer/").json()
    assert str(guest.pk) not in viewer["own"] and str(guest.pk) in viewer["liked"]
    services.report(member=client.member, comment=guest, reason="Off topic")
    reply = services.post_comment(
        member=client.member, story=story, text="Hello Wilma", site_settings=comment_settings, reply_to=guest
    )
    assert (
        reply.parent == guest
        and Comment.objects.get(pk=guest.pk).html == "<p>Lovely to read about the ferry.</p>"
    )


def test_approving_a_guest_comment_publishes_it_and_emails_nobody(story, make_guest_comment, admin_user):
    guest = make_guest_comment(status=Comment.PENDING)
    mail.outbox.clear()
    assert services.moderate([guest], "approve", admin_user) == 1
    assert Comment.objects.get(pk=guest.pk).status == Comment.PUBLISHED
    assert mail.outbox == []


def test_import_threads_replies_one_level_deep_and_skips_what_is_already_there(story):
    when = datetime(2024, 5, 3, 9, 15, tzinfo=UTC)

    def row(key, parent="", approved=True, html="<p>Words</p>", minute=0):
        return services.ImportedComment(
            key=key,
            story_id=story.pk,
            guest_name=f"Guest {key}",
            html=html,
            created_at=when.replace(minute=minute),
            approved=approved,
            parent_key=parent,
        )

    rows = [
        row("3", parent="2", minute=3),  # a reply to a reply, before its parent in the file
        row("1", minute=1),
        row("2", parent="1", minute=2),
        row("4", parent="gone", minute=4),  # its parent is not imported: a top-level comment
        row("5", approved=False, minute=5),
        row("6", html="<script>alert(1)</script>", minute=6),
        row("7", parent="8", minute=7),  # a loop in the file
        row("8", parent="7", minute=8),
    ]
    result = services.import_guest_comments(rows)
    assert result.empty == ["6"] and len(result.created) == 7
    by_name = {comment.guest_name: comment for comment in Comment.objects.all()}
    first, second, third = by_name["Guest 1"], by_name["Guest 2"], by_name["Guest 3"]
    assert (second.parent, second.in_reply_to) == (first, first)
    assert (third.parent, third.in_reply_to) == (first, second)
    assert by_name["Guest 4"].parent is None and by_name["Guest 7"].parent is None
    assert by_name["Guest 5"].status == Comment.PENDING and by_name["Guest 1"].status == Comment.PUBLISHED
    assert by_name["Guest 1"].created_at == when.replace(minute=1)
    again = services.import_guest_comments([row("1", minute=1), row("9", parent="1", minute=9)])
    assert again.existing == ["1"] and again.created[0].parent_id == first.pk
    assert Comment.objects.count() == 8


def test_imported_html_keeps_links_and_paragraphs_and_loses_everything_unsafe():
    html = from_imported_html(
        'One <a href="https://example.com/a" onclick="x()">link</a>\n\nTwo\nlines'
        '<script>alert(1)</script><img src=x onerror="y()"><a href="javascript:alert(2)">bad</a>'
        "<blockquote>quoted</blockquote>\u202e"
    )
    assert html == (
        '<p>One <a href="https://example.com/a" rel="ugc nofollow noopener">link</a></p>'
        '<p>Two<br>lines<a rel="ugc nofollow noopener">bad</a>quoted</p>'
    )
    assert from_imported_html("<script>only</script>") == ""
