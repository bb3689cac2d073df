"""`byline related --rebuild`: recompute the related-stories index and every story's list."""

import time

from django.core.management.base import BaseCommand, CommandError

from byline.lib.progress import ProgressBar
from byline.related import services


class Command(BaseCommand):
    help = "Related stories: `--rebuild` recomputes every story's list from scratch, with progress."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Recompute the index and every list.")

    def handle(self, *args, rebuild, verbosity=1, **options):
        if not rebuild:
            raise CommandError("Nothing to do: pass --rebuild.")
        bar = ProgressBar(self.stderr) if verbosity >= 1 else None
        started = time.monotonic()
        count = services.rebuild(progress=bar)
        if bar:
            bar.close()
        self.stdout.write(
            f"Related stories rebuilt for {count:,} stories in {time.monotonic() - started:,.1f}s."
        )
