from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "byline.comments"
    label = "comments"
    verbose_name = "Comments"

    def ready(self):
        from django.db.models.signals import post_save

        from byline.comments import notifications
        from byline.comments.models import CommentSettings
        from byline.comments.signals import comment_changed
        from byline.members import account_preferences

        comment_changed.connect(_purge_thread, dispatch_uid="pagecache-comment-changed")
        post_save.connect(
            _purge_everything, sender=CommentSettings, dispatch_uid="pagecache-comment-settings"
        )

        account_preferences.register(
            "comment_replies",
            "Email me when someone replies to my comments",
            read=notifications.wants_reply_emails,
            write=notifications.set_reply_emails,
        )


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
