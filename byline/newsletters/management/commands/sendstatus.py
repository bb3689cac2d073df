"""`byline sendstatus <story-slug> [--json]`: where each send of a story stands."""

import json

from django.core.management.base import BaseCommand, CommandError

from byline.newsletters import services
from byline.newsletters.models import Email, Recipient
from byline.stories.models import StoryPage

FAILURES_SHOWN = 20


class Command(BaseCommand):
    help = "Show the progress of a story's email sends: counts, times and failures."

    def add_arguments(self, parser):
        parser.add_argument("story", help="the story's slug")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the figures as JSON")

    def handle(self, story, as_json=False, **options):
        page = StoryPage.objects.filter(slug=story).first()
        if page is None:
            raise CommandError(f"There is no story with the slug “{story}”.")
        emails = list(Email.objects.filter(story=page).select_related("newsletter"))
        if not emails:
            raise CommandError("This story has not been sent to any newsletter.")
        if as_json:
            self.stdout.write(json.dumps([self._figures(email) for email in emails], indent=2))
            return
        for email in emails:
            self._print(email)

    def _figures(self, email) -> dict:
        status = services.status_of(email)
        return {
            "newsletter": email.newsletter.slug,
            "subject": email.subject,
            "status": email.status,
            "recipients": status.total,
            "sent": status.sent,
            "failed": status.failed,
            "suppressed": status.suppressed,
            "pending": status.pending,
            "uncertain": status.uncertain,
            "started_at": email.started_at.isoformat() if email.started_at else None,
            "finished_at": email.finished_at.isoformat() if email.finished_at else None,
        }

    def _print(self, email):
        figures = self._figures(email)
        self.stdout.write(f"{email.subject} → {email.newsletter.name}: {email.get_status_display()}")
        for key in ("recipients", "sent", "failed", "suppressed", "pending", "uncertain"):
            self.stdout.write(f"  {key:<11} {figures[key]}")
        self.stdout.write(f"  started     {figures['started_at'] or '—'}")
        self.stdout.write(f"  finished    {figures['finished_at'] or '—'}")
        if email.error:
            self.stdout.write(f"  error       {email.error}")
        failed = email.recipients.filter(state=Recipient.FAILED).order_by("pk")
        for row in failed[:FAILURES_SHOWN]:
            self.stdout.write(f"  failed: {row.address}: {row.reply}")
