"""The Comments section of the story page and the no-JavaScript pages under /comments/."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from byline.comments import services
from byline.comments.models import Comment, CommentSettings
from byline.members.models import Member
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_everyone_sees_the_count_the_thread_and_a_sign_in_prompt(story, make_comment, client):
    # Stored behind the services' back: the page sanitises again on the way out.
    first = make_comment('First <b>thought</b><img src=x onerror="alert(1)">')
    make_comment("A reply", parent=first)
    make_comment("Hidden one", status=Comment.HIDDEN)
    page = soup(client.get(story.url))
    section = page.select_one("#comments")
    assert section.select_one("[data-comments-count]").text == "2"
    assert "Sign in to join the conversation." in section.text
    assert section.select_one(f"#comment-{first.pk} .comment__body").decode_contents() == (
        "<p>First <b>thought</b></p>"
    )
    assert "Hidden one" not in section.text
    assert section.select_one("[data-comments-form]").has_attr("hidden")
    # Between the second share menu and the subscribe box (DESIGN.md item 7).
    order = [node.get("id") or node.name for node in page.select("article.story > *")]
    assert order[order.index("comments") + 1 : order.index("subscribe")] == ["script"]


def test_the_story_page_is_the_same_for_everyone_and_sets_no_cookie(story, make_comment, member_client):
    make_comment()
    anonymous = Client().get(story.url)
    member = member_client().get(story.url)
    assert "Set-Cookie" not in anonymous.headers
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()
    assert anonymous.content == member.content


def test_a_closed_story_shows_its_thread_and_says_closed(story, make_comment, client):
    make_comment("Kept")
    StoryPage.objects.filter(pk=story.pk).update(comments=StoryPage.COMMENTS_CLOSED)
    section = soup(client.get(story.url)).select_one("#comments")
    assert "Comments are closed on this story." in section.text
    assert "Kept" in section.text
    assert section.select_one("[data-comments-form]") is None


def test_hidden_threads_and_site_wide_off_show_no_section(story, make_comment, client, comment_settings):
    make_comment()
    StoryPage.objects.filter(pk=story.pk).update(comments=StoryPage.COMMENTS_HIDDEN)
    assert soup(client.get(story.url)).select_one("#comments") is None
    StoryPage.objects.filter(pk=story.pk).update(comments=StoryPage.COMMENTS_OPEN)
    comment_settings.who_can_comment = CommentSettings.OFF
    comment_settings.save()
    assert soup(client.get(story.url)).select_one("#comments") is None


def test_a_deleted_member_shows_as_deleted_member(story, make_comment, client):
    comment = make_comment("Words that stay")
    Member.objects.filter(pk=comment.member_id).delete()
    section = soup(client.get(story.url)).select_one("#comments")
    assert "Deleted member" in section.select_one(f"#comment-{comment.pk}").text
    assert "Words that stay" in section.text


def test_the_story_page_query_count_stays_bounded_with_500_comments(
    story, make_member, client, django_assert_max_num_queries
):
    members = [make_member() for _ in range(20)]
    tops = Comment.objects.bulk_create(
        Comment(story=story, member=members[n % 20], html=f"<p>Comment {n}</p>") for n in range(100)
    )
    Comment.objects.bulk_create(
        Comment(
            story=story,
            member=members[n % 20],
            parent=tops[n % 100],
            in_reply_to=tops[n % 100],
            html="<p>r</p>",
        )
        for n in range(400)
    )
    services.recount([story.pk])  # bulk_create sends no post_save: bulk writers recount
    client.get(story.url)  # warm Wagtail's per-process caches, as on a live site
    with django_assert_max_num_queries(40) as captured:
        response = client.get(story.url)
    comment_queries = [q for q in captured.captured_queries if "comments_" in q["sql"]]
    assert len(comment_queries) <= 6
    section = soup(response).select_one("#comments")
    assert section.select_one("[data-comments-count]").text == "500"
    assert len(section.select(".comments__list > li")) == 20
    assert "Show 1 more reply" in section.text
    assert section.select_one("[data-comments-append]")["href"].endswith("page=2")


def test_without_javascript_a_member_posts_through_the_write_page(story, member_client):
    client = member_client()
    client.handler.enforce_csrf_checks = True
    page = client.get(f"/comments/{story.pk}/write/")
    assert "no-store" in page["Cache-Control"]
    token = soup(page).select_one("input[name=csrfmiddlewaretoken]")["value"]
    response = client.post(
        f"/comments/{story.pk}/write/", {"text": "Posted without script", "csrfmiddlewaretoken": token}
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{story.url}#comment-{comment.pk}"
    reply = client.post(
        f"/comments/{story.pk}/write/",
        {"text": "And a reply", "reply_to": comment.pk, "csrfmiddlewaretoken": token},
    )
    assert reply.status_code == 302
    assert Comment.objects.get(parent=comment).html == "<p>And a reply</p>"


def test_the_write_page_refuses_posts_without_a_csrf_token(story, member_client):
    client = member_client()
    client.handler.enforce_csrf_checks = True
    assert client.post(f"/comments/{story.pk}/write/", {"text": "forged"}).status_code == 403
    assert not Comment.objects.exists()


def test_a_refused_comment_comes_back_in_the_form_with_the_reason(story, member_client):
    client = member_client()
    response = client.post(f"/comments/{story.pk}/write/", {"text": "x" * 5001})
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one("textarea").text == "x" * 5001
    assert "at most 5,000 characters" in page.select_one("[role=alert]").text


def test_signed_out_readers_get_a_sign_in_form_that_comes_back_here(story, client):
    page = soup(client.get(f"/comments/{story.pk}/write/?reply_to=3"))
    assert page.select_one("input[name=redirect]")["value"] == f"/comments/{story.pk}/write/?reply_to=3"
    assert client.post(f"/comments/{story.pk}/write/", {"text": "hi"}).status_code == 200
    assert not Comment.objects.exists()


def test_held_comments_get_a_waiting_page(story, member_client, comment_settings):
    comment_settings.hold_first_comment = True
    comment_settings.save()
    response = member_client().post(f"/comments/{story.pk}/write/", {"text": "first time"})
    assert "waiting for approval" in response.content.decode()


def test_the_thread_page_orders_and_pages_and_the_replies_page_shows_all(story, make_comment, client):
    first, second = make_comment("older"), make_comment("newer")
    for n in range(5):
        make_comment(f"reply {n}", parent=first)
    newest = soup(client.get(f"/comments/{story.pk}/?order=newest"))
    assert [a["id"] for a in newest.select(".comments__list > li > article")] == [
        f"comment-{second.pk}",
        f"comment-{first.pk}",
    ]
    fragment = client.get(f"/comments/{story.pk}/?fragment=1&page=99")
    assert fragment.content.decode().startswith('<div class="comments__thread"')
    replies = soup(client.get(f"/comments/replies/{first.pk}/"))
    assert len(replies.select(".comment--reply")) == 5
    assert client.get("/comments/999999/").status_code == 404
