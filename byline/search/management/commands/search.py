"""`byline search --rebuild`: re-index every story for site search, with progress."""

import time

from django.core.management.base import BaseCommand, CommandError

from byline.lib.progress import ProgressBar
from byline.search import services


class Command(BaseCommand):
    help = "Site search: `--rebuild` re-indexes every story (publishing keeps the index current)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Re-index every story.")

    def handle(self, *args, rebuild, verbosity=1, **options):
        if not rebuild:
            raise CommandError("Nothing to do: pass --rebuild.")
        bar = ProgressBar(self.stderr) if verbosity >= 1 else None
        started = time.monotonic()
        count = services.rebuild_index(progress=bar)
        if bar:
            bar.close()
        self.stdout.write(
            f"Search index rebuilt for {count:,} stories in {time.monotonic() - started:,.1f}s."
        )
