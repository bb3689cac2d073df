"""`byline related --rebuild`: recompute the related-stories index and every story's list."""

import time

from django.core.management.base import BaseCommand, CommandError

from byline.related import services


class ProgressBar:
    """One line per stage, redrawn in place: `Ranking  [#####.....] 45,000/100,000  120s`."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width, self.stage, self.started = stream, width, None, time.monotonic()

    def write(self, text: str) -> None:
        self.stream.write(text, ending="")
        self.stream.flush()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            if self.stage is not None:
                self.write("\n")
            self.stage = stage
        filled = self.width * done // total if total else self.width
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "." * (self.width - filled)
        self.write(f"\r{stage:<16} [{bar}] {done:,}/{total:,}  {elapsed:,.0f}s")

    def close(self) -> None:
        if self.stage is not None:
            self.write("\n")


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
