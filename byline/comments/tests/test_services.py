"""Comment workflows: who may do what, and every refusal with its reason."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import ModelLogEntry

from byline.comments import services
from byline.comments.models import AuthorCommentAlert, Comment, CommentBan, CommentReport, CommentSettings
from byline.comments.signals import comment_changed
from byline.members.models import Member
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db


def post(member, story, settings_row, text="The new timetable suits early workers.", **kwargs):
    return services.post_comment(member=member, story=story, text=text, site_settings=settings_row, **kwargs)


def refused(code, action, *args, **kwargs) -> services.CommentError:
    with pytest.raises(services.CommentError) as caught:
        action(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


# Posting ------------------------------------------------------------------------------------------


def test_a_member_posts_a_comment_that_is_published_and_counted(story, make_member, comment_settings):
    comment = post(make_member("Ada Lovelace"), story, comment_settings)
    assert comment.status == Comment.PUBLISHED
    assert comment.html == "<p>The new timetable suits early workers.</p>"
    assert services.counts([story.pk]) == {story.pk: 1}


def test_an_anonymous_reader_cannot_comment(story, comment_settings):
    error = refused("unauthorized", post, None, story, comment_settings)
    assert error.status == 401
    assert not Comment.objects.exists()


def test_a_banned_member_cannot_comment(story, make_member, comment_settings):
    member = make_member()
    CommentBan.objects.create(member=member)
    assert refused("banned", post, member, story, comment_settings).status == 403


def test_a_closed_story_refuses_new_comments_but_keeps_its_thread(
    story, make_member, make_comment, comment_settings
):
    make_comment("Before it closed.")
    StoryPage.objects.filter(pk=story.pk).update(comments=StoryPage.COMMENTS_CLOSED)
    story.refresh_from_db()
    refused("comments_closed", post, make_member(), story, comment_settings)
    assert services.thread_shown(story, comment_settings)
    assert len(services.thread(story).comments) == 1


def test_a_hidden_thread_or_site_wide_off_refuses_comments(story, make_member, comment_settings):
    story.comments = StoryPage.COMMENTS_HIDDEN
    refused("comments_off", post, make_member(), story, comment_settings)
    story.comments = StoryPage.COMMENTS_OPEN
    comment_settings.who_can_comment = CommentSettings.OFF
    refused("comments_off", post, make_member(), story, comment_settings)


def test_empty_and_over_long_comments_are_refused(story, make_member, comment_settings):
    member = make_member()
    for empty in ("", "   \n\n  ", "<b></b>", "<p></p><br>", "\u200b\u200b"):
        refused("invalid_text", post, member, story, comment_settings, text=empty)
    refused("too_long", post, member, story, comment_settings, text="a" * 5001)
    refused("too_long", post, member, story, comment_settings, text="a" * 10_000_000)
    refused("invalid_text", post, member, story, comment_settings, text=["not", "text"])
    assert post(member, story, comment_settings, text="a" * 5000).status == Comment.PUBLISHED


def test_the_rate_limit_per_minute_has_a_clear_message(story, make_member, comment_settings):
    member = make_member()
    comment_settings.per_minute = 2
    post(member, story, comment_settings)
    post(member, story, comment_settings)
    error = refused("rate_limited", post, member, story, comment_settings)
    assert error.status == 429
    assert "Wait a minute" in error.message
    assert Comment.objects.count() == 2
    post(make_member(), story, comment_settings)  # others are not affected


def test_the_daily_rate_limit(story, make_member, comment_settings):
    member = make_member()
    comment_settings.per_day = 1
    post(member, story, comment_settings)
    assert "today" in refused("rate_limited", post, member, story, comment_settings).message


def test_a_comment_on_a_story_sends_comment_changed_for_that_story(
    story, make_member, comment_settings, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(sender, story, **kwargs):
        seen.append(story.pk)

    comment_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post(make_member(), story, comment_settings)
    finally:
        comment_changed.disconnect(receiver)
    assert seen == [story.pk]


# Replies ------------------------------------------------------------------------------------------


def test_a_reply_to_a_reply_joins_the_same_thread(story, make_member, comment_settings):
    first = post(make_member("Ada Lovelace"), story, comment_settings)
    reply = post(make_member("Grace Hopper"), story, comment_settings, reply_to=first)
    answer = post(make_member("Kofi Mensah"), story, comment_settings, reply_to=reply)
    assert reply.parent == first and answer.parent == first
    assert answer.in_reply_to == reply
    page = services.thread(story)
    assert [c.pk for c in page.comments] == [first.pk]
    assert [c.pk for c in page.comments[0].preview_replies] == [reply.pk, answer.pk]
    assert page.total == 3


@pytest.mark.parametrize("status", [Comment.DELETED, Comment.HIDDEN, Comment.PENDING])
def test_replying_to_a_removed_comment_is_refused(story, make_member, make_comment, comment_settings, status):
    removed = make_comment(status=status)
    refused("parent_removed", post, make_member(), story, comment_settings, reply_to=removed)


def test_replying_across_stories_is_refused(story, make_story, make_member, make_comment, comment_settings):
    elsewhere = make_comment(on=make_story("Another story"))
    refused("invalid_parent", post, make_member(), story, comment_settings, reply_to=elsewhere)


# Editing and deleting -----------------------------------------------------------------------------


def test_a_member_edits_their_own_comment_within_24_hours(story, make_member, comment_settings):
    member = make_member()
    comment = post(member, story, comment_settings)
    services.edit_comment(
        member=member, comment=comment, text="Changed my mind.", site_settings=comment_settings
    )
    comment.refresh_from_db()
    assert comment.html == "<p>Changed my mind.</p>"
    assert comment.edited_at is not None


def test_editing_someone_elses_comment_is_refused(story, make_member, make_comment, comment_settings):
    comment = make_comment()
    error = refused(
        "forbidden",
        services.edit_comment,
        member=make_member(),
        comment=comment,
        text="x",
        site_settings=comment_settings,
    )
    assert error.status == 403
    comment.refresh_from_db()
    assert comment.html == "<p>A thought about the ferry.</p>"


def test_editing_after_24_hours_is_refused(story, make_member, make_comment, comment_settings):
    member = make_member()
    comment = make_comment(member=member, created_at=timezone.now() - timedelta(hours=24, minutes=1))
    refused(
        "edit_expired",
        services.edit_comment,
        member=member,
        comment=comment,
        text="late",
        site_settings=comment_settings,
    )


def test_a_member_deletes_their_own_comment_and_the_count_follows(story, make_member, comment_settings):
    member = make_member()
    comment = post(member, story, comment_settings)
    reply = post(make_member(), story, comment_settings, reply_to=comment)
    services.delete_comment(member=member, comment=comment)
    comment.refresh_from_db()
    assert comment.status == Comment.DELETED and comment.html == ""
    assert services.counts([story.pk]) == {story.pk: 1}
    # The reply keeps its place under a "removed" placeholder.
    page = services.thread(story)
    assert [c.pk for c in page.comments] == [comment.pk]
    assert [c.pk for c in page.comments[0].preview_replies] == [reply.pk]
    refused("not_found", services.delete_comment, member=member, comment=comment)


def test_deleting_someone_elses_comment_is_refused(make_member, make_comment):
    refused("forbidden", services.delete_comment, member=make_member(), comment=make_comment())


def test_a_deleted_member_shows_as_deleted_member_and_the_text_stays(make_comment):
    comment = make_comment("Still here.")
    comment.member.delete()
    comment.refresh_from_db()
    assert comment.member is None
    assert comment.member_name == "Deleted member"
    assert comment.html == "<p>Still here.</p>"


# Likes and reports --------------------------------------------------------------------------------


def test_likes_toggle_and_count_once_per_member(make_member, make_comment):
    comment, member = make_comment(), make_member()
    services.like(member=member, comment=comment)
    services.like(member=member, comment=comment)
    services.like(member=make_member(), comment=comment)
    assert comment.like_count == 2
    services.unlike(member=member, comment=comment)
    services.unlike(member=member, comment=comment)
    assert comment.like_count == 1
    assert services.liked_ids(member, [comment.pk]) == set()


def test_anonymous_and_banned_readers_cannot_like(make_member, make_comment):
    comment, banned = make_comment(), make_member()
    CommentBan.objects.create(member=banned)
    refused("unauthorized", services.like, member=None, comment=comment)
    refused("banned", services.like, member=banned, comment=comment)


def test_a_member_reports_someone_elses_comment_once_with_a_reason(make_member, make_comment):
    comment, member = make_comment(), make_member()
    services.report(member=member, comment=comment, reason="  Insults   another reader ")
    services.report(member=member, comment=comment, reason="again")
    comment.refresh_from_db()
    assert comment.report_count == 1
    assert CommentReport.objects.get().reason == "Insults another reader"


def test_reports_need_a_reason_and_not_your_own_comment(make_member, make_comment):
    member = make_member()
    refused("invalid_reason", services.report, member=member, comment=make_comment(), reason=" ")
    refused("invalid_reason", services.report, member=member, comment=make_comment(), reason="x" * 501)
    refused("forbidden", services.report, member=member, comment=make_comment(member=member), reason="spam")


# Spam controls ------------------------------------------------------------------------------------


def test_a_first_comment_is_held_when_the_site_says_so(story, make_member, comment_settings):
    comment_settings.hold_first_comment = True
    member = make_member()
    held = post(member, story, comment_settings)
    assert held.status == Comment.PENDING and held.hold_reason == "first comment"
    assert services.counts([story.pk]) == {story.pk: 0}
    services.moderate([held], "approve", None)
    assert post(member, story, comment_settings).status == Comment.PUBLISHED


def test_comments_with_too_many_links_or_blocked_words_are_held(story, make_member, comment_settings):
    comment_settings.max_links = 1
    comment_settings.blocked_words = "cheap pills\n  \nCASINO"
    links = post(make_member(), story, comment_settings, text="https://a.example https://b.example")
    assert links.status == Comment.PENDING
    word = post(make_member(), story, comment_settings, text="Best casino in town")
    assert word.status == Comment.PENDING and word.hold_reason == "blocked word"
    fine = post(make_member(), story, comment_settings, text="One link: https://a.example")
    assert fine.status == Comment.PUBLISHED


# Moderation ---------------------------------------------------------------------------------------


def test_staff_hide_and_unhide_is_logged_and_counts_stay_right(story, make_comment, admin_user):
    first, second = make_comment(), make_comment()
    assert services.moderate([first, second], "hide", admin_user) == 2
    assert services.counts([story.pk]) == {story.pk: 0}
    assert services.moderate(Comment.objects.all(), "hide", admin_user) == 0  # already hidden
    services.moderate([first], "unhide", admin_user)
    assert services.counts([story.pk]) == {story.pk: 1}
    actions = list(ModelLogEntry.objects.order_by("pk").values_list("action", "user_id", "object_id"))
    assert actions == [
        ("byline_comments.hide", admin_user.pk, str(first.pk)),
        ("byline_comments.hide", admin_user.pk, str(second.pk)),
        ("byline_comments.unhide", admin_user.pk, str(first.pk)),
    ]


def test_banning_can_hide_every_comment_of_the_member_and_unbanning_is_logged(
    story, make_comment, make_member, admin_user
):
    member = make_member()
    make_comment(member=member), make_comment(member=member), make_comment()
    row = services.ban(member, user=admin_user, reason="Abuse", hide_comments=True)
    assert services.is_banned(member)
    assert Comment.objects.filter(member=member, status=Comment.HIDDEN).count() == 2
    assert services.counts([story.pk]) == {story.pk: 1}
    services.unban(row, user=admin_user)
    assert not services.is_banned(member)
    logged = set(ModelLogEntry.objects.values_list("action", flat=True))
    assert {"byline_comments.ban", "byline_comments.unban", "byline_comments.hide"} <= logged


def test_badges_for_the_storys_authors_and_for_staff(story, make_member, make_author):
    author = story.authors[0]
    AuthorCommentAlert.objects.create(author=author, email="Writer@Example.com")
    get_user_model().objects.create_user("editor", "Editor@example.com", "pw", is_staff=True)
    writer, editor, reader = (
        make_member(email="writer@example.com"),
        make_member(email="editor@example.com"),
        make_member(),
    )
    assert services.badges(story, [writer, editor, reader, None]) == {writer.pk: "Author", editor.pk: "Staff"}


def test_members_are_never_django_users():
    assert not issubclass(Member, get_user_model())
