"""The members comments API under /members/api/comments/: Ghost's paths and shapes, sessions, CSRF."""

import json

import pytest
from django.test import Client

from byline.comments.models import Comment, CommentBan, CommentReport
from byline.comments.tests.conftest import sign_in
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db

API = "/members/api/comments/"


def send(client, method, path, data=None, **extra):
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(path, body, content_type="application/json", **extra)


def csrf_client(member) -> Client:
    """A client that enforces CSRF like a browser; it gets its token from the viewer endpoint."""
    client = sign_in(Client(enforce_csrf_checks=True), member)
    client.member = member
    return client


def token_for(client, story) -> str:
    return client.get(f"{API}post/{story.pk}/viewer/").json()["csrf_token"]


def test_a_member_posts_in_ghosts_shape_and_gets_the_comment_back(story, member_client):
    client = member_client()
    response = send(
        client, "post", API, {"comments": [{"post_id": str(story.pk), "html": "<p>Hello <b>all</b></p>"}]}
    )
    assert response.status_code == 201
    comment = response.json()["comments"][0]
    assert comment["html"] == "<p>Hello <b>all</b></p>"
    assert comment["status"] == "published"
    assert comment["member"]["uuid"] == str(client.member.uuid)
    assert comment["parent_id"] is None and comment["liked"] is False
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_posting_without_a_csrf_token_is_refused_and_with_it_accepted(story, make_member):
    client = csrf_client(make_member())
    response = send(client, "post", API, {"post_id": story.pk, "text": "No token"})
    assert response.status_code == 403
    token = token_for(client, story)
    response = send(client, "post", API, {"post_id": story.pk, "text": "With token"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert Comment.objects.get().html == "<p>With token</p>"


def test_anonymous_readers_get_401_with_a_message(story, client):
    response = send(client, "post", API, {"post_id": story.pk, "text": "Hi"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Sign in to join the conversation."


def test_errors_come_back_as_ghost_errors(story, member_client):
    client = member_client()
    cases = [
        ({"post_id": story.pk, "text": ""}, 400, "invalid_text"),
        ({"post_id": story.pk, "text": "x" * 5001}, 400, "too_long"),
        ({"post_id": 999999, "text": "Hi"}, 404, "not_found"),
        ({"post_id": story.pk, "parent_id": "999999", "text": "Hi"}, 400, "parent_removed"),
    ]
    for data, status, code in cases:
        response = send(client, "post", API, data)
        assert response.status_code == status, data
        assert response.json()["errors"][0]["type"] == code
    huge = "9" * 30
    assert send(client, "post", API, {"post_id": huge, "text": "Hi"}).status_code == 404
    assert (
        send(client, "post", API, {"post_id": story.pk, "parent_id": huge, "text": "Hi"}).status_code == 400
    )
    assert client.get(f"{API}{huge}/").status_code == 404
    assert client.get(f"{API}counts/?ids={huge},-1,{story.pk}").json() == {str(story.pk): 0}
    assert client.get(f"/comments/{huge}/").status_code == 404
    assert client.get(f"/comments/replies/{huge}/").status_code == 404
    assert client.get(f"/comments/{story.pk}/write/?reply_to={huge}").status_code == 200
    assert client.post(API, "not json", content_type="application/json").status_code == 400
    assert client.post(API, {"text": "form"}).status_code == 400
    assert client.get(API).status_code == 405
    assert not Comment.objects.exists()


def test_the_rate_limit_answers_429(story, member_client, comment_settings):
    comment_settings.per_minute = 1
    comment_settings.save()
    client = member_client()
    assert send(client, "post", API, {"post_id": story.pk, "text": "one"}).status_code == 201
    response = send(client, "post", API, {"post_id": story.pk, "text": "two"})
    assert response.status_code == 429
    assert "Wait a minute" in response.json()["errors"][0]["message"]


def test_the_honeypot_answers_201_and_keeps_nothing(story, member_client):
    response = send(member_client(), "post", API, {"post_id": story.pk, "text": "Buy now", "website": "x"})
    assert response.status_code == 201
    assert not Comment.objects.exists()


def test_a_closed_story_refuses_with_403(story, member_client):
    StoryPage.objects.filter(pk=story.pk).update(comments=StoryPage.COMMENTS_CLOSED)
    response = send(member_client(), "post", API, {"post_id": story.pk, "text": "late"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["type"] == "comments_closed"


def test_browse_pages_and_orders_with_replies(story, make_comment, client, django_assert_max_num_queries):
    first = make_comment("first")
    second = make_comment("second")
    replies = [make_comment(f"reply {n}", parent=first) for n in range(5)]
    with django_assert_max_num_queries(12):
        response = client.get(f"{API}post/{story.pk}/?limit=1")
    body = response.json()
    assert [c["id"] for c in body["comments"]] == [str(first.pk)]
    assert [r["id"] for r in body["comments"][0]["replies"]] == [str(r.pk) for r in replies[:3]]
    assert body["comments"][0]["count"]["replies"] == 5
    assert body["meta"]["pagination"] == {
        "page": 1,
        "limit": 1,
        "pages": 2,
        "total": 2,
        "next": 2,
        "prev": None,
    }
    newest = client.get(f"{API}post/{story.pk}/?order=created_at%20DESC").json()
    assert [c["id"] for c in newest["comments"]] == [str(second.pk), str(first.pk)]
    all_replies = client.get(f"{API}{first.pk}/replies/").json()
    assert [r["id"] for r in all_replies["comments"]] == [str(r.pk) for r in replies]


def test_removed_comments_never_show_their_words(story, make_comment, client):
    parent = make_comment("Rude words", status=Comment.HIDDEN)
    make_comment("a reply", parent=parent)
    body = client.get(f"{API}post/{story.pk}/").json()
    assert body["comments"][0]["html"] is None and body["comments"][0]["member"] is None
    assert "Rude" not in json.dumps(body)
    assert client.get(f"{API}{parent.pk}/").json()["comments"][0]["html"] is None


def test_counts_for_several_stories_at_once(story, make_story, make_comment, client):
    other = make_story("Quiet story")
    make_comment(), make_comment(), make_comment(status=Comment.HIDDEN)
    response = client.get(f"{API}counts/?ids={story.pk},{other.pk},nonsense")
    assert response.json() == {str(story.pk): 2, str(other.pk): 0}


def test_edit_and_delete_own_comment_through_put_and_delete(story, member_client, make_comment):
    client = member_client()
    comment = make_comment(member=client.member)
    response = send(client, "put", f"{API}{comment.pk}/", {"comments": [{"html": "Edited text"}]})
    assert response.status_code == 200
    assert response.json()["comments"][0]["html"] == "<p>Edited text</p>"
    assert response.json()["comments"][0]["edited_at"] is not None
    assert send(client, "delete", f"{API}{comment.pk}/").status_code == 204
    comment.refresh_from_db()
    assert comment.status == Comment.DELETED


def test_ghost_clients_delete_by_putting_the_deleted_status(member_client, make_comment):
    client = member_client()
    comment = make_comment(member=client.member)
    response = send(
        client, "put", f"{API}{comment.pk}/", {"comments": [{"id": str(comment.pk), "status": "deleted"}]}
    )
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.status == Comment.DELETED


def test_editing_someone_elses_comment_answers_403(member_client, make_comment):
    comment = make_comment()
    response = send(member_client(), "put", f"{API}{comment.pk}/", {"html": "mine now"})
    assert response.status_code == 403
    assert send(member_client(), "delete", f"{API}{comment.pk}/").status_code == 403


def test_like_and_unlike_answer_the_count(member_client, make_comment):
    client, comment = member_client(), make_comment()
    response = client.post(f"{API}{comment.pk}/like/", content_type="application/json")
    assert response.json()["comments"][0] == {"id": str(comment.pk), "liked": True, "count": {"likes": 1}}
    response = client.delete(f"{API}{comment.pk}/like/")
    assert response.json()["comments"][0]["count"]["likes"] == 0
    assert Client().post(f"{API}{comment.pk}/like/").status_code == 401


def test_report_needs_a_reason(member_client, make_comment):
    client, comment = member_client(), make_comment()
    assert send(client, "post", f"{API}{comment.pk}/report/", {"reason": ""}).status_code == 400
    assert send(client, "post", f"{API}{comment.pk}/report/", {"reason": "Spam"}).status_code == 204
    assert CommentReport.objects.get().reason == "Spam"


def test_the_viewer_endpoint_tells_the_script_who_is_reading(story, member_client, make_comment, client):
    reader = member_client()
    own = make_comment(member=reader.member)
    liked = make_comment()
    reader.post(f"{API}{liked.pk}/like/")
    body = reader.get(f"{API}post/{story.pk}/viewer/").json()
    assert body["member"]["uuid"] == str(reader.member.uuid)
    assert body["can_comment"] is True and body["banned"] is False
    assert body["liked"] == [str(liked.pk)]
    assert list(body["own"]) == [str(own.pk)]
    assert body["csrf_token"]
    anonymous = client.get(f"{API}post/{story.pk}/viewer/")
    assert anonymous.json()["member"] is None
    assert "csrf_token" not in anonymous.json()
    assert "Set-Cookie" not in anonymous.headers


def test_a_banned_member_is_told_by_the_viewer_endpoint(story, member_client):
    reader = member_client()
    CommentBan.objects.create(member=reader.member)
    body = reader.get(f"{API}post/{story.pk}/viewer/").json()
    assert body["banned"] is True and body["can_comment"] is False
    response = send(reader, "post", API, {"post_id": story.pk, "text": "let me in"})
    assert response.status_code == 403
