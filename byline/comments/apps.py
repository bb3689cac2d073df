from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "byline.comments"
    label = "comments"
    verbose_name = "Comments"

    def ready(self):
        from byline.comments import notifications
        from byline.members import account_preferences

        account_preferences.register(
            "comment_replies",
            "Email me when someone replies to my comments",
            read=notifications.wants_reply_emails,
            write=notifications.set_reply_emails,
        )
