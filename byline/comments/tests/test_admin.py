"""Moderation in Wagtail's admin: the queue, its filters, bulk actions, bans, and their history."""

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import ModelLogEntry

from byline.comments import services
from byline.comments.models import Comment, CommentBan

pytestmark = pytest.mark.django_db

QUEUE = "/admin/snippets/comments/comment/"


def bulk(client, action, comments, **extra):
    ids = "&".join(f"id={comment.pk}" for comment in comments)
    return client.post(f"/admin/bulk/comments/comment/{action}/?{ids}&next={QUEUE}", extra)


def test_the_queue_lists_comments_newest_first_with_filters_and_search(
    admin_client, story, make_story, make_comment, make_member
):
    ada = make_member("Ada Lovelace", "ada@example.com")
    older = make_comment("The harbour needs dredging", member=ada)
    newer = make_comment("Ferries should run later")
    elsewhere = make_comment("On another story", on=make_story("Elsewhere"))
    services.report(member=make_member(), comment=newer, reason="Off topic entirely")
    page = admin_client.get(QUEUE).content.decode()
    assert page.index("On another story") < page.index("Ferries should run later") < page.index("dredging")
    reported = admin_client.get(f"{QUEUE}?status=reported").content.decode()
    assert "Off topic entirely" in reported and "dredging" not in reported
    by_story = admin_client.get(f"{QUEUE}?story={story.pk}").content.decode()
    assert "On another story" not in by_story and "dredging" in by_story
    by_member = admin_client.get(f"{QUEUE}?member=ada@").content.decode()
    assert "dredging" in by_member and "Ferries" not in by_member
    searched = admin_client.get(f"{QUEUE}?q=ferries").content.decode()
    assert "Ferries should run later" in searched and "dredging" not in searched
    assert older and elsewhere


def test_the_comments_menu_has_the_reported_and_held_views(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert f"{QUEUE}?status=reported" in page
    assert f"{QUEUE}?status=pending" in page


def test_staff_cannot_write_comments_in_the_admin(admin_client):
    assert admin_client.get(f"{QUEUE}add/").status_code in (302, 403)


def test_bulk_hide_unhide_and_delete_are_logged_and_counts_follow(
    admin_client, admin_user, story, make_comment
):
    first, second = make_comment(), make_comment()
    assert bulk(admin_client, "hide", [first, second]).status_code == 302
    assert set(Comment.objects.values_list("status", flat=True)) == {Comment.HIDDEN}
    assert services.counts([story.pk]) == {story.pk: 0}
    bulk(admin_client, "unhide", [first])
    bulk(admin_client, "delete", [second])
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Comment.PUBLISHED, Comment.DELETED)
    assert services.counts([story.pk]) == {story.pk: 1}
    log = list(ModelLogEntry.objects.order_by("pk").values_list("action", "object_id", "user_id"))
    assert sorted(log[:2]) == [
        ("byline_comments.hide", str(first.pk), admin_user.pk),
        ("byline_comments.hide", str(second.pk), admin_user.pk),
    ]
    assert log[2:] == [
        ("byline_comments.unhide", str(first.pk), admin_user.pk),
        ("byline_comments.delete", str(second.pk), admin_user.pk),
    ]
    history = admin_client.get(f"{QUEUE}history/{first.pk}/").content.decode()
    assert "Comment hidden" in history and "Comment shown again" in history


def test_approving_a_held_comment_publishes_it(admin_client, make_comment):
    held = make_comment(status=Comment.PENDING, hold_reason="blocked word")
    bulk(admin_client, "approve", [held])
    held.refresh_from_db()
    assert held.status == Comment.PUBLISHED and held.hold_reason == ""


def test_the_bulk_confirmation_page_lists_the_comments(admin_client, make_comment):
    comment = make_comment("A comment to hide")
    page = admin_client.get(f"/admin/bulk/comments/comment/hide/?id={comment.pk}&next={QUEUE}")
    assert page.status_code == 200
    assert "A comment to hide" in page.content.decode()


def test_an_editor_without_the_change_permission_cannot_moderate(client, django_user_model, make_comment):
    editor = django_user_model.objects.create_user("reader", "r@example.com", "pw")
    group = Group.objects.create(name="Readers of the admin")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    editor.groups.add(group)
    client.force_login(editor)
    comment = make_comment()
    bulk(client, "hide", [comment])
    comment.refresh_from_db()
    assert comment.status == Comment.PUBLISHED


def test_banning_from_the_admin_can_hide_the_members_comments_and_unbanning_lifts_it(
    admin_client, make_member, make_comment
):
    member = make_member()
    make_comment(member=member), make_comment(member=member)
    response = admin_client.post(
        "/admin/snippets/comments/commentban/add/",
        {"member": member.pk, "reason": "Repeated abuse", "hide_comments": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ban = CommentBan.objects.get(member=member)
    assert ban.reason == "Repeated abuse"
    assert Comment.objects.filter(member=member, status=Comment.HIDDEN).count() == 2
    admin_client.post(f"/admin/snippets/comments/commentban/delete/{ban.pk}/")
    assert not CommentBan.objects.exists()
    actions = set(ModelLogEntry.objects.values_list("action", flat=True))
    assert {"byline_comments.ban", "byline_comments.unban", "byline_comments.hide"} <= actions


def test_a_members_detail_page_lists_their_comments_and_ban(admin_client, make_comment, make_member):
    rosa = make_member("Rosa Reader", "rosa@example.com")
    make_comment("The ferry timetable is wrong again", member=rosa)
    make_comment("Someone else's words")
    CommentBan.objects.create(member=rosa, reason="Repeated abuse")
    html = admin_client.get(f"/admin/snippets/members/member/inspect/{rosa.pk}/").content.decode()
    assert "The ferry timetable is wrong again" in html
    assert "Someone else's words" not in html
    assert "Banned from commenting." in html
    assert f"{QUEUE}?member=rosa%40example.com" in html
