"""`byline send <story-slug> [--newsletter <slug>] [--dry-run]`: send (or resume) a story's email here."""

import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from byline.newsletters import services, tasks
from byline.newsletters.models import Email, Newsletter
from byline.stories.models import StoryPage


def progress_line(status: services.Status, width: int = 30) -> str:
    filled = int(width * status.percent / 100)
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {status.percent:3d}%  {status.done}/{status.total}"
        f"  sent {status.sent}  failed {status.failed}  suppressed {status.suppressed}"
    )


class Command(BaseCommand):
    help = "Send a published story to a newsletter's subscribers, or resume its unfinished send."

    def add_arguments(self, parser):
        parser.add_argument("story", help="the story's slug")
        parser.add_argument(
            "--newsletter", help="the newsletter's slug (default: the one chosen on the story)"
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send nothing")

    def handle(self, story, newsletter=None, dry_run=False, **options):
        page = StoryPage.objects.filter(slug=story).first()
        if page is None:
            raise CommandError(f"There is no story with the slug “{story}”.")
        if not page.live:
            raise CommandError("The story is not published: publish it first.")
        chosen = self._newsletter(page, newsletter)
        if dry_run:
            count = services.audience(chosen)
            name, address, _ = services.sender_of(chosen, services.publication_for(page))
            self.stdout.write(
                f"Would send “{page.email_subject or page.title}” from {name} <{address}> "
                f"to {count} subscriber{'s' if count != 1 else ''} of {chosen.name}. Nothing was sent."
            )
            return
        email, created = services.email_for(page, chosen)
        if email.status not in (Email.PENDING, Email.SENDING):
            self.stdout.write(f"This email is {email.get_status_display().lower()}: nothing to send.")
            self._print_status(email)
            return
        self.stdout.write(("Sending" if created or email.status == Email.PENDING else "Resuming") + " …")
        self._run_with_progress(email)

    def _newsletter(self, page, slug):
        if slug:
            chosen = Newsletter.objects.filter(slug=slug).first()
            if chosen is None:
                raise CommandError(f"There is no newsletter with the slug “{slug}”.")
        elif page.email_newsletter_id:
            chosen = page.email_newsletter
        else:
            raise CommandError("The story has no newsletter chosen: pass --newsletter <slug>.")
        if chosen.status != Newsletter.ACTIVE:
            raise CommandError(f"The newsletter “{chosen.name}” is archived.")
        return chosen

    def _run_with_progress(self, email):
        # The send runs here, on the main thread, where Ctrl-C stops it cleanly after the messages in
        # hand; a second thread only draws the progress bar, and only on a terminal.
        done = threading.Event()
        if sys.stdout.isatty():
            threading.Thread(target=self._draw_progress, args=(email, done), daemon=True).start()
        try:
            state = tasks.run(email.pk)
        finally:
            done.set()
        if state.startswith("stopped"):
            self.stderr.write("\nStopped after the messages in hand; run the command again to resume.")
        self.stdout.write("")
        self._print_status(email)

    def _draw_progress(self, email, done):
        from django.db import connection

        try:
            while not done.wait(0.5):
                self.stdout.write("\r" + progress_line(services.status_of(email)), ending="")
        finally:
            connection.close()

    def _print_status(self, email):
        email.refresh_from_db()
        self.stdout.write(progress_line(services.status_of(email)))
