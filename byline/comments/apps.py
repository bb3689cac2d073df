import threading

from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "byline.comments"
    label = "comments"
    verbose_name = "Comments"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from byline.comments import notifications
        from byline.comments.models import Comment, CommentSettings
        from byline.comments.signals import comment_changed
        from byline.members import account_preferences

        comment_changed.connect(_purge_thread, dispatch_uid="pagecache-comment-changed")
        post_save.connect(_recount_saved, sender=Comment, dispatch_uid="comments-recount-saved")
        post_delete.connect(_recount_deleted, sender=Comment, dispatch_uid="comments-recount-deleted")
        post_save.connect(
            _purge_everything, sender=CommentSettings, dispatch_uid="pagecache-comment-settings"
        )

        account_preferences.register(
            "comment_replies",
            "Email me when someone replies to my comments",
            read=notifications.wants_reply_emails,
            write=notifications.set_reply_emails,
        )


def _recount_saved(sender, instance, update_fields=None, **kwargs):
    # Every write that can change what a thread counts (a new comment, a status change) goes through
    # save(); a like or a report changes neither count and is written with update().
    from byline.comments import services

    if update_fields is None or not {"status", "parent", "story"}.isdisjoint(update_fields):
        services.recount([instance.story_id])


def _recount_deleted(sender, instance, **kwargs):
    # After commit, and only if the story is still there: a story being deleted takes its comments
    # (and its counts row) with it, and a row written for it meanwhile would break the deletion.
    # Deleting a story deletes each comment: its ids are gathered and recounted once.
    from django.db import transaction

    if not hasattr(_deleted_from, "stories"):
        _deleted_from.stories = set()
    _deleted_from.stories.add(instance.story_id)
    transaction.on_commit(_recount_after_deletes)


_deleted_from = threading.local()  # .stories: ids whose comments this thread deleted, not yet recounted


def _recount_after_deletes():
    from byline.comments import services
    from byline.stories.models import StoryPage

    stories = getattr(_deleted_from, "stories", set())
    _deleted_from.stories = set()
    if stories:
        services.recount(StoryPage.objects.filter(pk__in=stories).values_list("pk", flat=True))


def _purge_thread(sender, story, **kwargs):
    # Sent after commit: only the story's own page and its thread pages show its comments.
    from byline import pagecache

    pagecache.purge(f"comments:{story.pk}", urls=[story.url or ""])


def _purge_everything(sender, created=False, **kwargs):
    # Whether comments show at all, and on which stories, is on every story page. A row created on
    # first read holds the defaults pages already show.
    if created:
        return
    from django.db import transaction

    from byline import pagecache

    transaction.on_commit(pagecache.purge_all)
