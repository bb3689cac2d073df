"""A story's comment counts are kept on write (ThreadCounts), and always equal a fresh count."""

import threading
import time
from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection, connections, transaction

from byline.comments import services
from byline.comments.models import Comment, ThreadCounts
from byline.members.models import Member


def stored(story) -> tuple[int, int]:
    return services.thread_counts(story)


def counted(story) -> tuple[int, int]:
    """What the counts are, counted from the comments now (the stored row is set aside and restored)."""
    kept = list(ThreadCounts.objects.filter(story_id=story.pk))
    services.recount([story.pk])
    fresh = stored(story)
    ThreadCounts.objects.filter(story_id=story.pk).delete()
    ThreadCounts.objects.bulk_create(kept)
    return fresh


def test_a_story_nobody_commented_on_counts_nothing_and_has_no_row(story):
    assert stored(story) == (0, 0)
    assert services.counts([story.pk]) == {story.pk: 0}
    assert not ThreadCounts.objects.filter(story_id=story.pk).exists()


def test_posting_replying_holding_and_approving_keep_the_counts(story, make_member, comment_settings):
    first = services.post_comment(
        member=make_member(), story=story, text="First", site_settings=comment_settings
    )
    assert stored(story) == (1, 1)
    services.post_comment(
        member=make_member(), story=story, text="A reply", site_settings=comment_settings, reply_to=first
    )
    assert stored(story) == (1, 2)  # a reply is a comment, not a thread
    comment_settings.hold_first_comment = True  # a newcomer's first comment waits for approval
    comment_settings.save()
    held = services.post_comment(
        member=make_member(), story=story, text="Held", site_settings=comment_settings
    )
    assert held.status == Comment.PENDING
    assert stored(story) == (1, 2)
    services.moderate([held], "approve", user=None)
    assert stored(story) == (2, 3) == counted(story)


def test_a_removed_comment_holding_up_replies_still_counts_as_a_thread(story, make_comment):
    parent = make_comment("Parent")
    reply = make_comment("Reply", parent=parent)
    assert stored(story) == (1, 2)
    services.moderate([parent], "hide", user=None)
    assert stored(story) == (1, 1)  # shown as removed, because its reply stands
    services.moderate([reply], "hide", user=None)
    assert stored(story) == (0, 0) == counted(story)
    services.moderate([reply], "unhide", user=None)
    assert stored(story) == (1, 1)


def test_a_member_deleting_their_comment_updates_the_counts(story, make_member, comment_settings):
    member = make_member()
    comment = services.post_comment(
        member=member, story=story, text="Gone soon", site_settings=comment_settings
    )
    services.delete_comment(member=member, comment=comment)
    assert stored(story) == (0, 0)


def test_likes_and_reports_do_not_recount(story, make_comment, make_member, django_assert_num_queries):
    comment = make_comment()
    services.like(member=make_member(), comment=comment)
    assert stored(story) == (1, 1)
    ThreadCounts.objects.filter(story_id=story.pk).update(published=7)  # a recount would undo this
    services.like(member=make_member(), comment=comment)
    assert stored(story) == (1, 7)


def test_deleting_comments_recounts_after_commit(story, make_comment, django_capture_on_commit_callbacks):
    keep, drop = make_comment("Keep"), make_comment("Drop")
    make_comment("Its reply", parent=drop)
    assert stored(story) == (2, 3)
    with django_capture_on_commit_callbacks(execute=True):
        drop.delete()  # takes its reply with it
    assert stored(story) == (1, 1) == counted(story)
    assert keep.pk


def test_deleting_a_commented_story_takes_its_counts_with_it(
    story, make_comment, django_capture_on_commit_callbacks
):
    make_comment("One")
    make_comment("Two")
    story_id = story.pk
    with django_capture_on_commit_callbacks(execute=True):
        story.delete()
    assert not ThreadCounts.objects.filter(story_id=story_id).exists()
    assert not Comment.objects.filter(story_id=story_id).exists()


def test_imported_comments_are_counted(story, make_story):
    other = make_story("Another story")
    when = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [
        services.ImportedComment("1", story.pk, "Guest One", "<p>Hi</p>", when, approved=True),
        services.ImportedComment(
            "2", story.pk, "Guest Two", "<p>Re</p>", when, approved=True, parent_key="1"
        ),
        services.ImportedComment("3", story.pk, "Guest Three", "<p>Wait</p>", when, approved=False),
        services.ImportedComment("4", other.pk, "Guest Four", "<p>Yo</p>", when, approved=True),
    ]
    services.import_guest_comments(rows)
    assert stored(story) == (1, 2)
    assert services.counts([story.pk, other.pk]) == {story.pk: 2, other.pk: 1}


def test_the_migration_fills_the_counts_of_existing_comments(story, make_story, make_comment):
    parent = make_comment("Parent")
    make_comment("Reply", parent=parent)
    make_comment("Held", status=Comment.PENDING)
    quiet = make_story("Nobody commented")
    ThreadCounts.objects.all().delete()
    migration = import_module("byline.comments.migrations.0003_thread_counts")
    migration.count_existing_threads(apps, connection.schema_editor())
    assert stored(story) == (1, 2)
    assert not ThreadCounts.objects.filter(story_id=quiet.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_recount_waits_for_a_writer_still_in_its_transaction(story, make_member):
    """One writer's transaction is still open when a second recounts: the second must count after the
    first commits, or it would store a count that misses the first's comment."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: in-memory SQLite shares one connection's locks across threads")
    first, second = make_member(), make_member()
    Comment.objects.create(story=story, member=first, html="<p>Earlier</p>")  # the row exists
    first_counted, second_started = threading.Event(), threading.Event()
    errors = []

    def slow_writer():
        try:
            with transaction.atomic():
                Comment.objects.create(story=story, member=first, html="<p>Slow</p>")  # recounts: 2
                first_counted.set()
                second_started.wait(5)
                time.sleep(0.5)  # the other writer is now counting (or waiting to)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def quick_writer():
        try:
            first_counted.wait(5)
            second_started.set()
            Comment.objects.create(story=story, member=second, html="<p>Quick</p>")
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=quick_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored(story) == (3, 3)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_members_commenting_at_once_leave_the_true_count(story, comment_settings):
    """Writers recount in their own transactions at the same moment: the stored count is the last
    committed truth, not one writer's view from before another's commit."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: in-memory SQLite shares one connection's locks across threads")
    comment_settings.per_minute = 1000
    comment_settings.save()
    members = [Member.objects.create(email=f"writer{n}@example.com", name=f"Writer {n}") for n in range(4)]
    errors = []

    def write(member):
        try:
            for n in range(5):
                services.post_comment(
                    member=member, story=story, text=f"Note {n}", site_settings=comment_settings
                )
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Comment.objects.filter(story=story).count() == 20
    assert stored(story) == (20, 20)
